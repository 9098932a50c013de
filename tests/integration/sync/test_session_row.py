"""The Web Connector session's row, written with the engine's work (issue 18, Speed).

The callbacks of a round trip write nothing themselves: the touch of a message handed out
rides with the message planned next, an answer's count with the answer (both on the
planning thread when it plans ahead). Whatever the timing, the row counts each answer
once, says no message is out once its answer came, and the ticket lasts from the Web
Connector's last call. Each case drives WebConnectorSessions with the real engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text

from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.services import settings, sync_queue
from qbwc_server.sessions import SessionPolicy, WebConnectorSessions
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.ahead import Held
from tests.integration.sync.conftest import Office
from tests.qbwc_fakes import PASSWORD, USER, set_password

HELLO = (
    '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
    '<QBXML><QBXMLMsgsRq onError="continueOnError">'
    '<HostQueryRq requestID="1"/><CompanyQueryRq requestID="2"/><PreferencesQueryRq requestID="3"/>'
    "</QBXMLMsgsRq></QBXML>"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class Gated(SyncEngine):
    """The planning thread waits for ``gate`` before it applies answers held, or before it
    plans (as when it takes longer than QuickBooks or the callback)."""

    gate: threading.Event | None = None
    where = "apply"

    def _apply_held(self, ticket: str, held: list[Held], *, keep_failed: bool = False) -> None:
        if self.where == "apply" and keep_failed and held and self.gate is not None:
            assert self.gate.wait(10)
        super()._apply_held(ticket, held, keep_failed=keep_failed)

    def _plan(self, ticket: str, qbxml_version: str, also: Any, *, planning_ahead: bool) -> Any:
        if self.where == "plan" and planning_ahead and self.gate is not None:
            assert self.gate.wait(10)
        return super()._plan(ticket, qbxml_version, also, planning_ahead=planning_ahead)


class Connector:
    """The Web Connector's side, one call at a time, over the office's QuickBooks."""

    def __init__(self, office: Office, engine: SyncEngine, **kwargs: Any) -> None:
        set_password(office.db)
        ids = [office.customer(f"Row {n:02d}") for n in range(6)]
        with office.db.uow() as uow:
            sync_queue.send_records(uow, [("customer", record) for record in ids])
            settings.set_setting(uow, "sync.batch_max_requests", 1)  # a message each
            uow.commit()
        self.office, self.engine = office, engine
        self.sessions = WebConnectorSessions(office.db, engine, **kwargs)
        self.ticket = self.login()
        self.hello = True

    def login(self) -> str:
        ticket, status = self.sessions.authenticate(USER, PASSWORD)
        assert status == "", status
        self.hello = True
        return ticket

    def send(self) -> str:
        hcp, self.hello = (self.office.qb.process(HELLO) if self.hello else ""), False
        request = self.sessions.send_request(self.ticket, hcp, self.office.qb.file_path, "US", 13, 0)
        assert request
        return request

    def answer(self, request: str) -> int:
        return self.sessions.receive_response(self.ticket, self.office.qb.process(request), "", "")

    def two_round_trips(self) -> None:
        """The first answer applied at once, the second held (a message is planned ahead)."""
        assert 0 < self.answer(self.send()) < 100
        assert 0 < self.answer(self.send()) < 100

    def row(self, ticket: str | None = None) -> WcSession:
        return _row(self.office.db, ticket or self.ticket)


@pytest.fixture
def connect(office: Office) -> Iterator[Callable[..., Connector]]:
    """A Web Connector over a new server's sessions; the server stops after the test (its
    planning thread ends, its connections close)."""
    made: list[Connector] = []

    def make(engine: SyncEngine | None = None, **kwargs: Any) -> Connector:
        made.append(Connector(office, engine or SyncEngine(office.db, plan_ahead=True), **kwargs))
        return made[-1]

    yield make
    for connector in made:
        if isinstance(connector.engine, Gated) and connector.engine.gate is not None:
            connector.engine.gate.set()
        connector.sessions.close()
        connector.engine.close()


def _row(db: Database, ticket: str) -> WcSession:
    with db.reader() as uow:
        found = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).one()
        uow.session.expunge(found)
        return found


@pytest.mark.parametrize("plan_ahead", [True, False], ids=["planning ahead", "in turn"])
def test_each_answer_is_counted_once_and_nothing_is_left_out(
    office: Office, connect: Callable[..., Connector], plan_ahead: bool
) -> None:
    wc = connect(SyncEngine(office.db, plan_ahead=plan_ahead))
    answers, percent = 0, 0
    while percent < 100:
        percent = wc.answer(wc.send())
        answers += 1
    wc.sessions.close_connection(wc.ticket)
    row = wc.row()
    assert (row.round_trips, row.percent, row.request_sent_at, row.state) == (answers, 100, None, "closed")


@pytest.mark.parametrize("hresult", ["0x80040408", "0x80040400"], ids=["cannot work", "refused"])
@pytest.mark.parametrize("where", ["apply", "plan"])
def test_a_message_refused_while_the_planning_thread_works_is_counted_once_and_not_left_out(
    office: Office, connect: Callable[..., Connector], hresult: str, where: str
) -> None:
    # The touch of the message handed out, and the count of the answer held before it, are
    # still on the planning thread when QuickBooks refuses the message whole.
    engine = Gated(office.db, plan_ahead=True)
    wc = connect(engine)
    wc.two_round_trips()
    engine.gate, engine.where = threading.Event(), where
    wc.send()
    real_live = wc.sessions._live

    def live(uow: UnitOfWork, ticket: str) -> WcSession | None:
        found = real_live(uow, ticket)  # the refusal's callback has read the row …
        assert engine.gate is not None
        engine.gate.set()  # … and the planning thread goes on meanwhile
        return found

    wc.sessions._live = live  # type: ignore[method-assign]
    wc.sessions.receive_response(wc.ticket, "", hresult, "QuickBooks could not process the message")
    wc.engine.end_session(wc.ticket)  # (whatever the thread still does is over)
    row = wc.row()
    assert (row.round_trips, row.request_sent_at) == (3, None)


def test_the_ticket_lasts_from_the_last_call_while_an_answer_is_held(
    connect: Callable[..., Connector],
) -> None:
    clock = Clock()
    wc = connect(policy=SessionPolicy(ticket_minutes=1), clock=clock)
    assert 0 < wc.answer(wc.send()) < 100
    request = wc.send()
    wc.engine._ahead.waiting(wc.ticket)  # (its touch, on the planning thread, written)
    clock.advance(seconds=50)  # QuickBooks works 50 s on it
    assert 0 < wc.answer(request) < 100  # held: the row is not written now
    clock.advance(seconds=20)  # 70 s after the send, 20 s after the Web Connector's last call
    assert wc.send()
    assert wc.row().state == "active"


def test_an_answer_held_when_a_new_session_takes_over_is_counted_on_its_own_ticket(
    connect: Callable[..., Connector],
) -> None:
    wc = connect()
    assert 0 < wc.answer(wc.send()) < 100
    request = wc.send()
    held = wc.answer(request)
    old = wc.ticket
    wc.ticket = wc.login()  # the Web Connector started again: the old session is over
    row = wc.row(old)
    assert (row.state, row.round_trips, row.percent, row.request_sent_at) == ("abandoned", 2, held, None)


def test_a_message_handed_out_as_the_server_stops_is_out_after_the_answer_before_it(
    connect: Callable[..., Connector],
) -> None:
    wc = connect()
    wc.two_round_trips()
    wc.engine._ahead.stop()  # the server stops (engine.close begins) while the callback runs
    wc.send()
    row = wc.row()
    assert row.round_trips == 2 and row.request_sent_at is not None


def test_an_answers_touch_is_written_as_every_other_time_is(
    office: Office, connect: Callable[..., Connector]
) -> None:
    # In UTC, as the column's type writes it (an aware clock of another zone too): a time
    # written raw would compare wrong in SQL (``expires_at < now`` …).
    clock = Clock()
    paris = timezone(timedelta(hours=2))
    wc = connect(clock=lambda: clock.now.astimezone(paris))
    wc.two_round_trips()
    wc.engine.end_session(wc.ticket)  # the held answer applied, with its count
    with office.db.engine.connect() as connection:
        written = connection.execute(
            select(WcSession.__table__.c.last_seen_at, WcSession.__table__.c.expires_at).where(
                WcSession.__table__.c.ticket == wc.ticket
            )
        ).one()
    row = wc.row()
    assert row.last_seen_at == clock.now and row.expires_at == clock.now + timedelta(minutes=30)
    assert all(value.utcoffset() in (None, timedelta(0)) for value in written)
    raw_text = text(
        "SELECT CAST(last_seen_at AS TEXT), CAST(created_at AS TEXT) FROM wc_sessions WHERE ticket = :t"
    )
    with office.db.engine.connect() as connection:
        raw = connection.execute(raw_text, {"t": wc.ticket}).one()
    assert len(raw[0]) == len(raw[1])  # the same text shape as a time the ORM wrote
