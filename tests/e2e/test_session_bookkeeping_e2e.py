"""The Web Connector session's row keeps count while the engine writes it (issue 18, Speed).

The two callbacks of a round trip write nothing themselves: the row's touch rides in the
engine's transactions (the message handed out, the answer applied), on its planning thread
while it plans ahead. Over real HTTP against the strict simulator, the row still counts
every answer and keeps the progress told, whether the session ends or is stopped halfway.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.uow import Database
from desktop_app.demo.generator import CompanySize, generate_company
from desktop_app.services.settings import set_setting
from desktop_app.services.sync_queue import send_everything_pending
from qbwc_server.server import EmbeddedServer
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.simulator.webconnector import SessionReport, WebConnector
from tests.qbwc_fakes import PASSWORD, USER, set_password


@pytest.fixture
def company_db(db: Database) -> Database:
    generate_company(db, CompanySize(customers=12, jobs=14, items=6, invoices=16, payments=8), seed=5)
    set_password(db)
    with db.uow() as uow:
        set_setting(uow, "sync.batch_max_requests", 10)  # many messages: most planned ahead
        assert send_everything_pending(uow) > 30
        uow.commit()
    return db


def _run(server: EmbeddedServer, quickbooks: QuickBooksCompany, **kwargs: int) -> SessionReport:
    connector = WebConnector(
        server.url, USER, PASSWORD, quickbooks, company_file=quickbooks.file_path, **kwargs
    )
    return connector.run_session()


def _row(db: Database, ticket: str) -> WcSession:
    with db.reader() as uow:
        row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).one()
        uow.session.expunge(row)
        return row


@pytest.mark.parametrize("stopped_after", [None, 4], ids=["to the end", "stopped halfway"])
def test_the_session_row_counts_every_answer_and_keeps_the_progress_told(
    company_db: Database, stopped_after: int | None
) -> None:
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(company_db, "localhost", 0) as server:
        kwargs = {} if stopped_after is None else {"max_round_trips": stopped_after}
        report = _run(server, quickbooks, **kwargs)
        row = _row(company_db, report.ticket)
    answers = report.calls.count("receiveResponseXML")
    assert report.outcome == ("done" if stopped_after is None else "too_many_round_trips"), report.summary()
    assert answers > 5 if stopped_after is None else report.round_trips == stopped_after
    assert row.round_trips == answers
    assert row.percent == report.percents[-1]
    assert (0 < row.percent < 100) if stopped_after else row.percent == 100
    assert row.request_sent_at is None  # every message handed out was answered
    assert row.state == "closed"
