"""Lost answers, crashes and repeated messages never make a duplicate or lose a record."""

from __future__ import annotations

from collections import Counter

import pytest

from desktop_app.services import sync_queue
from qbwc_server.simulator import ResponseLostError
from qbwc_server.sync import fast_apply
from tests.integration.sync.conftest import Office


def _three_jobs(office: Office) -> None:
    for name in ("Smith, Ann", "Lee, Bo", "Kim, Cy"):
        office.invoiced_job(name)


def _assert_exactly_once(office: Office) -> None:
    names = Counter(office.qb.full_name(c) for c in office.qb.customers)
    assert all(n == 1 for n in names.values()), names
    refs = Counter(i.ref_number for i in office.qb.invoices)
    assert all(n == 1 for n in refs.values()), refs
    assert len(office.qb.invoices) == 3
    assert len(names) == 6  # three customers and their three jobs


def test_a_lost_answer_is_checked_before_anything_is_sent_again(office: Office) -> None:
    _three_jobs(office)
    office.qb.lose_next_response()  # QuickBooks does the first batch; its answer never arrives
    report = office.sync()
    assert report.broken
    assert len(office.qb.customers) == 6 and office.link("customer", 1) is None
    for _ in range(3):
        office.sync()
    _assert_exactly_once(office)
    assert office.engine.has_work() is False


def test_lost_answers_at_every_step_still_end_with_each_record_once(office: Office) -> None:
    _three_jobs(office)
    for _ in range(6):
        office.qb.lose_next_response()
        office.sync()
        office.sync()
    for _ in range(3):
        office.sync()
    _assert_exactly_once(office)


def test_a_crash_between_two_answers_of_one_batch_loses_and_repeats_nothing(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _three_jobs(office)
    engine, ticket = office.engine, "crash"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    response = office.qb.process(message)
    # Every answer is first offered to the fast path: the power goes at the third.
    real = fast_apply.apply_fast
    calls = {"n": 0}

    def crash_after_two(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr("qbwc_server.sync.engine.apply_fast", crash_after_two)
    with pytest.raises(SystemExit):
        engine.apply_response(ticket, response)
    monkeypatch.undo()
    done = [i for i in office.items_of("customer", 1) + office.items_of("customer", 2) if i.state == "done"]
    assert done, "the answers applied before the crash are kept"
    for _ in range(4):
        office.sync()
    _assert_exactly_once(office)


def test_the_same_answer_arriving_twice_is_applied_once(office: Office) -> None:
    _three_jobs(office)
    engine, ticket = office.engine, "twice"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    response = office.qb.process(message)
    engine.apply_response(ticket, response)
    with office.db.reader() as uow:
        before = sync_queue.queue_counts(uow)
    engine.apply_response(ticket, response)
    with office.db.reader() as uow:
        assert sync_queue.queue_counts(uow) == before
    for _ in range(3):
        office.sync()
    _assert_exactly_once(office)


def test_a_message_sent_twice_to_quickbooks_is_caught_by_the_lookup(office: Office) -> None:
    """The Web Connector delivered our batch twice (a retry on its side)."""
    _three_jobs(office)
    engine, ticket = office.engine, "dup"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    office.qb.process(message)  # processed, answer lost
    with pytest.raises(ResponseLostError):
        office.qb.lose_next_response()
        office.qb.process(message)  # the same message again: QuickBooks refuses duplicate names
    engine.end_session(ticket)
    for _ in range(4):
        office.sync()
    _assert_exactly_once(office)
