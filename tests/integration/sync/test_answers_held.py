"""An answer applied while QuickBooks works on the next message (``ahead.Held``).

When the next message is planned ahead and waiting, ``receiveResponseXML`` only reads
QuickBooks' answer; it is applied on the planning thread once that next message is
handed out. These tests check that the answer is always applied, exactly once and in
order, whatever the Web Connector or the server does next, and that a failure to apply
it is reported as it always was, never lost.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.errors import DatabaseUnavailable
from desktop_app.services import settings
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync import SyncEngine
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_planned_ahead import (
    _ahead,
    _customers,
    _item,
    _one_request_a_message,
    _queue_everything,
    _start,
)
from tests.sync_compare import differences


@pytest.fixture
def ahead(office: Office) -> Office:
    return _ahead(office)


def _names(office: Office) -> list[str]:
    return sorted(c.name for c in office.qb.customers)


def _finish(office: Office, ticket: str, percent: int) -> int:
    """Go on as the Web Connector does until the engine says 100 (bounded)."""
    for _round_trip in range(20):
        if percent >= 100:
            break
        message = office.engine.next_request(ticket)
        if not message:
            break
        percent = office.engine.apply_response(ticket, office.qb.process(message))
    return percent


@dataclass
class Held:
    """A session whose second answer (Beta's) is held, Cedar's message planned ahead."""

    ticket: str
    alpha: int
    beta: int
    cedar: int
    delta: int
    beta_answer: str = ""


def _beta_held(office: Office, ticket: str = "t1") -> Held:
    ids = _customers(office, "Alpha Homes", "Beta Builders", "Cedar Decks", "Delta Roofing")
    _queue_everything(office)
    _one_request_a_message(office)
    held = Held(_start(office, ticket), *ids)
    engine = office.engine
    # The session's first answer is applied at once (the progress bar needs a count).
    first = engine.next_request(ticket)
    assert engine.apply_response(ticket, office.qb.process(first)) < 100
    assert _item(office, "customer", held.alpha).state == QueueState.DONE
    second = engine.next_request(ticket)
    assert "Beta Builders" in second
    held.beta_answer = office.qb.process(second)
    percent = engine.apply_response(ticket, held.beta_answer)
    # Cedar's message waits, planned: the session goes on, and Beta's answer is only read.
    assert 0 < percent < 100
    assert _item(office, "customer", held.beta).state == QueueState.SENT
    assert _item(office, "customer", held.cedar).state == QueueState.SENT
    return held


ALL = ["Alpha Homes", "Beta Builders", "Cedar Decks", "Delta Roofing"]


def _looked_up(office: Office, since: int = 0) -> list[str]:
    return [request for request, _answer in office.qb.log[since:] if "CustomerQueryRq" in request]


def test_an_answer_is_applied_while_quickbooks_works_on_the_next_message(ahead: Office) -> None:
    held = _beta_held(ahead)
    following = ahead.engine.next_request(held.ticket)
    assert "Cedar Decks" in following
    ahead.engine.progress(held.ticket)  # returns once the planning thread is idle
    assert _item(ahead, "customer", held.beta).state == QueueState.DONE
    assert _item(ahead, "customer", held.delta).state == QueueState.SENT  # planned after it
    percent = ahead.engine.apply_response(held.ticket, ahead.qb.process(following))
    assert _finish(ahead, held.ticket, percent) == 100
    ahead.engine.end_session(held.ticket)
    assert _names(ahead) == ALL
    assert differences(ahead.db, ahead.qb) == []
    assert all(_item(ahead, "customer", one).attempts == 1 for one in (held.alpha, held.beta, held.cedar))
    assert _looked_up(ahead) == []


def test_the_last_answer_is_applied_before_the_session_says_it_is_done(ahead: Office) -> None:
    held = _beta_held(ahead)
    percents = [0]
    while percents[-1] < 100 and len(percents) < 4:  # Cedar, then Delta
        message = ahead.engine.next_request(held.ticket)
        percents.append(ahead.engine.apply_response(held.ticket, ahead.qb.process(message)))
    percents = percents[1:]
    assert len(percents) == 2
    # Nothing is planned after Delta: its answer is applied before 100 is said.
    assert percents[-1] == 100 and all(0 < p < 100 for p in percents[:-1])
    assert all(_item(ahead, "customer", one).state == QueueState.DONE for one in (held.cedar, held.delta))


def test_an_answer_held_when_the_web_connector_stops_is_applied_at_the_session_end(ahead: Office) -> None:
    held = _beta_held(ahead)
    ahead.engine.end_session(held.ticket)  # closeConnection: Cedar's message never went
    assert _item(ahead, "customer", held.beta).state == QueueState.DONE
    cedar = _item(ahead, "customer", held.cedar)
    assert (cedar.state, cedar.phase, cedar.attempts) == (QueueState.QUEUED, Phase.FIRST, 0)
    assert ahead.sync().percent == 100
    # Beta's answer was applied, not lost: nothing is looked up, nothing added twice.
    assert _looked_up(ahead) == []
    assert _names(ahead) == ALL


def test_an_answer_held_when_the_server_stops_is_applied(ahead: Office) -> None:
    held = _beta_held(ahead)
    ahead.engine.close()
    assert _item(ahead, "customer", held.beta).state == QueueState.DONE
    assert _item(ahead, "customer", held.cedar).state == QueueState.QUEUED


def test_a_new_session_applies_what_an_older_one_held(ahead: Office) -> None:
    held = _beta_held(ahead, "old")
    ahead.engine.start_session("new")  # the Web Connector started over without closing
    beta = _item(ahead, "customer", held.beta)
    assert (beta.state, beta.phase) == (QueueState.DONE, Phase.ADD)
    assert ahead.sync(ticket="new").percent == 100
    assert _looked_up(ahead) == []
    assert _names(ahead) == ALL


def test_the_late_answer_of_a_session_taken_over_elsewhere_is_applied_at_once(office: Office) -> None:
    """Two servers on one database: a new session started on the other one while this one
    still has the old session's message planned ahead; the old session's answer then
    comes back here (``sessions._keep_late_answer``)."""
    _customers(office, *ALL)
    _queue_everything(office)
    _one_request_a_message(office)
    here, there = SyncEngine(office.db, plan_ahead=True), SyncEngine(office.db, plan_ahead=True)
    office.engine = here
    here.start_session("old")
    here.apply_response("old", office.qb.process(here.next_request("old")))
    beta_answer = office.qb.process(here.next_request("old"))  # the answer is delayed
    here.progress("old")  # Cedar's message is planned ahead here
    there.start_session("new")  # takes over: Beta's item, out with no answer, is recovered
    here.apply_response("old", beta_answer, late=True)
    beta = _customers_item(office, "Beta Builders")
    assert beta.state == QueueState.DONE  # taken in as if in time
    cedar = _customers_item(office, "Cedar Decks")
    assert cedar.state == QueueState.QUEUED  # not left "sent" to a session that is over
    office.engine = there
    assert office.sync(ticket="new2").percent == 100
    assert [r for r in _looked_up(office) if "Beta" in r] == []
    assert _names(office) == ALL


def _customers_item(office: Office, name: str) -> SyncItem:
    from desktop_app.db.models import Customer

    with office.db.reader() as uow:
        customer_id = uow.session.scalar(select(Customer.id).where(Customer.display_name == name))
    return _item(office, "customer", customer_id or -1)


def _failing(office: Office, monkeypatch: pytest.MonkeyPatch, *, when: Any) -> None:
    """Applying an answer fails (the company file locked) whenever ``when(answer)``."""
    engine = office.engine
    real_apply = engine._apply

    def locked(ticket: str, answer: Any) -> tuple[int, int]:
        if when(answer):
            raise DatabaseUnavailable("The company file is busy (a test's lock).")
        return real_apply(ticket, answer)

    monkeypatch.setattr(engine, "_apply", locked)


def test_an_answer_the_planning_thread_could_not_apply_is_applied_at_the_next_callback(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _beta_held(ahead)
    failed: list[str] = []

    def once_on_the_planning_thread(answer: Any) -> bool:
        if failed or threading.current_thread() is threading.main_thread():
            return False
        failed.append(threading.current_thread().name)
        return True

    _failing(ahead, monkeypatch, when=once_on_the_planning_thread)
    engine = ahead.engine
    following = engine.next_request(held.ticket)  # Beta's answer fails on the planning thread
    engine.progress(held.ticket)  # the next callback applies it after all
    assert failed and failed[0].startswith("jobdesk-ahead")
    assert _item(ahead, "customer", held.beta).state == QueueState.DONE
    # Nothing was planned behind the failure: Delta waits to be planned when asked for.
    assert _item(ahead, "customer", held.delta).state == QueueState.QUEUED
    percent = engine.apply_response(held.ticket, ahead.qb.process(following))
    assert _finish(ahead, held.ticket, percent) == 100
    engine.end_session(held.ticket)
    assert _names(ahead) == ALL
    assert all(_item(ahead, "customer", one).attempts == 1 for one in (held.beta, held.cedar, held.delta))
    assert _looked_up(ahead) == []


def test_an_answer_that_cannot_be_applied_is_reported_and_the_next_one_still_taken_in(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _beta_held(ahead)
    _failing(ahead, monkeypatch, when=lambda answer: answer.response_xml == held.beta_answer)
    engine = ahead.engine
    following = engine.next_request(held.ticket)
    # The next callback tries Beta's answer again and says why it cannot go on, as when
    # applying fails; Cedar's answer, which it brought, is taken in all the same.
    with pytest.raises(DatabaseUnavailable):
        engine.apply_response(held.ticket, ahead.qb.process(following))
    assert _item(ahead, "customer", held.cedar).state == QueueState.DONE
    engine.end_session(held.ticket)
    monkeypatch.undo()
    assert _item(ahead, "customer", held.beta).state == QueueState.SENT  # its answer never applied
    assert ahead.sync().percent == 100
    # Beta's answer is lost: Beta is looked up before anything goes again, never added twice.
    assert [r for r in _looked_up(ahead) if "Cedar" in r] == []
    assert _names(ahead) == ALL
    assert differences(ahead.db, ahead.qb) == []


@pytest.mark.parametrize("entry", ["end_session", "close", "start_session"])
def test_what_was_planned_ahead_is_put_back_even_when_a_held_answer_cannot_be_applied(
    ahead: Office, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    held = _beta_held(ahead)
    _failing(ahead, monkeypatch, when=lambda answer: True)
    with ahead.db.uow() as uow:
        before = settings.get_setting(uow, "sync.last_session_at")
        uow.rollback()
    try:
        if entry == "end_session":
            ahead.engine.end_session(held.ticket)  # closeConnection
        elif entry == "close":
            ahead.engine.close()  # the server stops
        else:
            ahead.engine.start_session("newer")  # a new session, without the old one closing
    except DatabaseUnavailable:
        assert entry == "end_session"  # reported where it is the session's own
    cedar = _item(ahead, "customer", held.cedar)
    assert (cedar.state, cedar.attempts) == (QueueState.QUEUED, 0)
    if entry == "end_session":
        with ahead.db.uow() as uow:
            assert settings.get_setting(uow, "sync.last_session_at") != before
            uow.rollback()


def test_an_answer_taken_in_while_the_server_stops_is_applied_at_once(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _customers(ahead, *ALL)
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    engine = ahead.engine
    ticket = _start(ahead)
    engine.apply_response(ticket, ahead.qb.process(engine.next_request(ticket)))
    beta_answer = ahead.qb.process(engine.next_request(ticket))
    real_hold = engine._ahead.hold

    def server_stops_first(ticket: str, answer: Any, *, again: bool = False) -> bool:
        stopper = threading.Thread(target=engine.close)  # server.stop, from its own thread
        stopper.start()
        stopper.join()
        return real_hold(ticket, answer, again=again)

    monkeypatch.setattr(engine._ahead, "hold", server_stops_first)
    engine.apply_response(ticket, beta_answer)
    # The process may exit now: Beta's answer is in the database, not in memory.
    assert _customers_item(ahead, "Beta Builders").state == QueueState.DONE


def test_a_held_answer_is_applied_before_a_refused_message_is_split(ahead: Office) -> None:
    held = _beta_held(ahead)
    refused = ahead.engine.next_request(held.ticket)
    assert "Cedar Decks" in refused
    # QuickBooks refuses Cedar's message whole: the error is the handed-out batch's.
    assert ahead.engine.fail_batch(held.ticket, "0x80040400", "QuickBooks found an error parsing the XML")
    assert _item(ahead, "customer", held.beta).state == QueueState.DONE
    with ahead.db.reader() as uow:
        errors = {batch.id: batch.error for batch in uow.session.scalars(select(SyncBatch))}
    assert errors[_item(ahead, "customer", held.cedar).batch_id or -1].startswith("0x80040400")
    assert errors[_item(ahead, "customer", held.beta).batch_id or -1] == ""
    ahead.engine.end_session(held.ticket)
    assert ahead.sync().percent == 100
    # Cedar alone is what QuickBooks refuses: it waits for a person; the rest went once.
    assert _item(ahead, "customer", held.cedar).state == QueueState.ATTENTION
    assert _names(ahead) == ["Alpha Homes", "Beta Builders", "Delta Roofing"]


def test_a_refusal_is_written_even_when_the_held_answer_before_it_cannot_be_applied(
    ahead: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _beta_held(ahead)
    _failing(ahead, monkeypatch, when=lambda answer: answer.response_xml == held.beta_answer)
    engine = ahead.engine
    refused = engine.next_request(held.ticket)  # Beta's answer fails on the planning thread
    assert "Cedar Decks" in refused
    with pytest.raises(DatabaseUnavailable):
        engine.fail_batch(held.ticket, "0x80040400", "QuickBooks found an error when parsing the XML")
    cedar = _item(ahead, "customer", held.cedar)
    with ahead.db.reader() as uow:
        batch = uow.session.get(SyncBatch, cedar.batch_id)
        error = "" if batch is None else batch.error
    # Cedar, refused alone, waits for a person; it is not left "sent" to be looked up.
    assert cedar.state == QueueState.ATTENTION
    assert error.startswith("0x80040400")
