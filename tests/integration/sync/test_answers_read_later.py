"""An answer held while the next message waits is read when it is applied (``Held.results``
None), on the planning thread, not while the Web Connector waits; one that cannot be read is
refused then exactly as one read at once would have been (``SyncEngine._apply``)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop_app.db.uow import Database
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from qbwc_server.sync import ahead as ahead_module
from qbwc_server.sync import engine as engine_module
from tests.integration.sync.conftest import Office, make_office
from tests.integration.sync.test_look_ahead import _customers_then_invoices
from tests.integration.sync.test_planned_ahead import (
    _ahead,
    _customers,
    _item,
    _one_request_a_message,
    _queue_everything,
    _start,
)

NAMES = ("Alpha Homes", "Beta Builders", "Cedar Decks", "Delta Roofing")


@pytest.fixture
def ahead(office: Office) -> Office:
    return _ahead(office)


def _to_beta_answer(office: Office, *, planned: bool = True) -> tuple[str, list[int], str]:
    """Alpha's answer applied; Beta's message out, Cedar's planned (the planning over):
    (ticket, ids, Beta's message)."""
    ids = _customers(office, *NAMES)
    _queue_everything(office)
    _one_request_a_message(office)
    ticket = _start(office)
    engine = office.engine
    first = engine.next_request(ticket)
    assert engine.apply_response(ticket, office.qb.process(first)) < 100
    second = engine.next_request(ticket)
    assert "Beta Builders" in second
    engine._ahead.waiting(ticket)  # Cedar's planning is over (as when QuickBooks is slower)
    assert engine._ahead.planned(ticket) is planned
    return ticket, ids, second


def _read_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads answers are read on."""
    threads: list[str] = []
    real = q.Answers

    def answers(*args: Any, **kwargs: Any) -> q.Answers:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_module.q, "Answers", answers)
    return threads


def test_an_answer_held_is_read_on_the_planning_thread(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, ids, second = _to_beta_answer(ahead)
    threads = _read_on(monkeypatch)
    percent = ahead.engine.apply_response(ticket, ahead.qb.process(second))
    assert 0 < percent < 100
    assert threads == []  # not read yet: held as it came
    assert _item(ahead, "customer", ids[1]).state == QueueState.SENT
    following = ahead.engine.next_request(ticket)
    assert "Cedar Decks" in following
    ahead.engine._ahead.waiting(ticket)
    assert threads and all(name.startswith("jobdesk-ahead") for name in threads)
    assert _item(ahead, "customer", ids[1]).state == QueueState.DONE
    percent = ahead.engine.apply_response(ticket, ahead.qb.process(following))
    for _round_trip in range(10):
        if percent >= 100:
            break
        message = ahead.engine.next_request(ticket)
        percent = ahead.engine.apply_response(ticket, ahead.qb.process(message))
    assert percent == 100
    ahead.engine.end_session(ticket)
    assert sorted(c.name for c in ahead.qb.customers) == sorted(NAMES)
    # Read once, applied once: nothing was looked up or added twice.
    assert [_item(ahead, "customer", one).attempts for one in ids] == [1, 1, 1, 1]
    assert all(_item(ahead, "customer", one).state == QueueState.DONE for one in ids)


def _unreadable_beta(office: Office, *, later: bool) -> tuple[Any, ...]:
    """Beta's answer cannot be read; the session goes on to the end. Beta's item as left."""
    ticket, ids, _second = _to_beta_answer(office, planned=later)
    engine = office.engine
    percent = engine.apply_response(ticket, "<QBXML><QBXMLMsgsRs><CustomerAddRs requestID=")
    assert 0 <= percent < 100  # the session goes on either way
    for _round_trip in range(20):
        message = engine.next_request(ticket)
        if not message:
            break
        if engine.apply_response(ticket, office.qb.process(message)) >= 100:
            break
    engine.end_session(ticket)
    beta = _item(office, "customer", ids[1])
    return (beta.state, beta.phase, beta.message_failures, beta.isolation, beta.note, beta.attempts)


def test_an_unreadable_answer_read_later_is_refused_as_one_read_at_once(
    office: Office, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same session in two offices: the answer read when it came, and read when applied.
    with monkeypatch.context() as at_once:
        at_once.setattr(ahead_module.Planning, "planned", lambda self, ticket: False)
        read_at_once = _unreadable_beta(_ahead(make_office(sqlite_db)), later=False)
    assert read_at_once[0] == QueueState.DONE  # looked up, then added: once
    assert read_at_once[2] == 1  # refused once, for the answer that could not be read
    assert _unreadable_beta(_ahead(office), later=True) == read_at_once


def test_an_unreadable_answer_read_later_is_counted_with_its_refusal(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, ids, _second = _to_beta_answer(ahead)
    written: list[int] = []
    percent = ahead.engine.apply_response(ticket, "not xml", also=lambda uow, told: written.append(told))
    assert written == []  # (written with the answer, when it is applied)
    ahead.engine.next_request(ticket)
    ahead.engine._ahead.waiting(ticket)
    assert written == [percent]
    beta = _item(ahead, "customer", ids[1])  # refused: looked up before it goes again
    assert beta.message_failures == 1
    assert beta.note.startswith(engine_module.UNREADABLE_ANSWER)


def test_an_unreadable_first_answer_with_only_lookups_planned_is_not_told_100(office: Office) -> None:
    # More invoices than a message holds: the first message, and the one planned after it,
    # carry only look-ahead lookups of their numbers (no items: nothing is held).
    ids = _customers_then_invoices(office, 80)
    engine = office.engine  # one message (the sales item's Add) in a session of its own
    engine.start_session("t0")
    engine.apply_response("t0", office.qb.process(engine.next_request("t0")))
    engine.end_session("t0")
    engine = _ahead(office).engine
    ticket = _start(office)
    assert engine.next_request(ticket)
    engine._ahead.waiting(ticket)
    planned = engine._ahead.result(ticket, take=False)
    assert planned is not None and planned.message and planned.items == 0
    percent = engine.apply_response(ticket, "not xml")
    assert all(office.items_of("invoice", one)[-1].state == QueueState.QUEUED for one in ids)
    assert percent < 100  # the session goes on: all 80 are still due
