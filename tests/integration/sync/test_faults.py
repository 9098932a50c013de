"""Lost answers, crashes and repeated messages never make a duplicate or lose a record."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
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
    real = fast_apply.prepare_fast
    calls = {"n": 0}

    def crash_after_two(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr("qbwc_server.sync.answers.prepare_fast", crash_after_two)
    with pytest.raises(SystemExit):
        engine.apply_response(ticket, response)
    monkeypatch.undo()
    # A message's answers are kept together (one commit per message): the two applied before
    # the crash went with it, and their items are still "sent", so each is looked up in
    # QuickBooks before anything is sent again.
    items = office.items_of("customer", 1) + office.items_of("customer", 2)
    assert items and {i.state for i in items} == {"sent"}
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


#: Applies one message's answers in a process of its own, killed (SIGKILL: no cleanup, no
#: rollback, as a power cut) when it reaches the answer numbered ``after`` ("prepare"), or
#: once the first answers written together are in the (uncommitted) transaction ("written").
_KILLED_CHILD = """
import os, signal, sys
from desktop_app.db.open import open_database
from qbwc_server.sync import SyncEngine
from qbwc_server.sync import answers as answers_module

url, ticket, answer_file, after, where = sys.argv[1:6]
real_prepare, real_write = answers_module.prepare_fast, answers_module.write_many
calls = [0]

def killed_at(*args, **kwargs):
    calls[0] += 1
    if where == "prepare" and calls[0] > int(after):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_prepare(*args, **kwargs)

def killed_after_writing(session, fasts):
    left = real_write(session, fasts)
    assert len(left) < len(fasts), "nothing was written together"
    os.kill(os.getpid(), signal.SIGKILL)

answers_module.prepare_fast = killed_at
if where == "written":
    answers_module.write_many = killed_after_writing
SyncEngine(open_database(url, upgrade=False)).apply_response(ticket, open(answer_file).read())
"""


@pytest.mark.parametrize(("after", "where"), [(0, "prepare"), (1, "prepare"), (4, "prepare"), (0, "written")])
def test_a_process_killed_between_two_answers_loses_and_repeats_nothing(
    office: Office, tmp_path: Path, after: int, where: str
) -> None:
    _three_jobs(office)
    engine, ticket = office.engine, "killed"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    assert message.count("requestID=") > after + 1
    answer = tmp_path / "answer.xml"
    answer.write_text(office.qb.process(message))
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_CHILD, office.db.url, ticket, str(answer), str(after), where],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    # The message's answers commit together: none of them was kept, each item is still
    # "sent", and so is looked up in QuickBooks before anything is sent again.
    with office.db.reader() as uow:
        states = set(uow.session.scalars(select(SyncItem.state).where(SyncItem.batch_id.is_not(None))))
    assert states == {"sent"}
    for _ in range(4):
        office.sync()
    _assert_exactly_once(office)
    assert office.engine.has_work() is False
