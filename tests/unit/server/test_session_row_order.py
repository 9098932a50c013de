"""The session row's touch and count are written last: a change the unit of work holds for
the same row (``_live``'s touch) goes first, as ``Session.execute`` flushed it first before
the statements ran on SQLite's own connection (``writes.run_many``). Found by review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.uow import Database
from qbwc_server.sessions import WebConnectorSessions
from tests.qbwc_fakes import PASSWORD, USER, FakeEngine, host_company_response, set_password

FILE = r"C:\Company Files\practice.qbw"


class Ticking:
    """Every reading one second after the last (a slow machine, exaggerated)."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _row(db: Database, ticket: str) -> WcSession:
    with db.reader() as uow:
        row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).one()
        uow.session.expunge(row)
    return row


def test_the_hello_answer_s_count_is_the_row_s_last_touch(db: Database) -> None:
    set_password(db)
    sessions = WebConnectorSessions(db, FakeEngine(batches=3, db=db), clock=Ticking())  # type: ignore[arg-type]
    ticket, _ = sessions.authenticate(USER, PASSWORD)
    assert "<HostQueryRq" in sessions.send_request(ticket, "", FILE, "US", 13, 0)
    readings: list[datetime] = []
    real = sessions.clock

    def reading() -> datetime:
        readings.append(real())
        return readings[-1]

    sessions.clock = reading  # type: ignore[method-assign]
    assert sessions.receive_response(ticket, host_company_response(), "", "") == 0
    row = _row(db, ticket)
    assert row.round_trips == 1 and row.request_sent_at is None
    assert row.last_seen_at == readings[-1]
    assert row.expires_at == readings[-1] + timedelta(minutes=30)


def test_a_count_after_a_touch_held_by_the_unit_of_work_is_written_after_it(db: Database) -> None:
    set_password(db)
    sessions = WebConnectorSessions(db, FakeEngine(batches=3, db=db), clock=Ticking())  # type: ignore[arg-type]
    ticket, _ = sessions.authenticate(USER, PASSWORD)
    later = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with db.uow() as uow:
        assert sessions._live(uow, ticket) is not None  # touched in the unit of work, not written
        sessions._count_answer(uow, ticket, 50, later)
        uow.commit()
    row = _row(db, ticket)
    assert (row.percent, row.round_trips) == (50, 1)
    assert row.last_seen_at == later
