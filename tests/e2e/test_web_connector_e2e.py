"""Server + Web Connector simulator + QuickBooks simulator + the real sync engine, over HTTP."""

from __future__ import annotations

import urllib.error
from collections import Counter

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Invoice
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Database
from desktop_app.demo.generator import CompanySize, generate_company
from desktop_app.services.sync_queue import queue_counts, send_everything_pending
from qbwc_server.server import EmbeddedServer
from qbwc_server.sessions import get_binding
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.simulator.webconnector import WebConnector
from tests.qbwc_fakes import PASSWORD, USER, set_password

SIZE = CompanySize(customers=8, jobs=10, items=6, invoices=12, payments=8)


@pytest.fixture
def company_db(db: Database) -> Database:
    generate_company(db, SIZE, seed=3)
    set_password(db)
    with db.uow() as uow:
        assert send_everything_pending(uow) > 0
        uow.commit()
    return db


def connector(server: EmbeddedServer, quickbooks: object) -> WebConnector:
    return WebConnector(server.url, USER, PASSWORD, quickbooks, company_file=quickbooks.file_path)  # type: ignore[arg-type, attr-defined]


def _live_invoices(db: Database) -> int:
    with db.reader() as uow:
        return int(
            uow.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status != "void")) or 0
        )


def test_realistic_company_syncs_completely_then_none(company_db: Database) -> None:
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(company_db, "localhost", 0) as server:
        report = connector(server, quickbooks).run_session()
        assert report.outcome == "done", report.summary()
        assert report.percents[-1] == 100
        with company_db.reader() as uow:
            counts = queue_counts(uow)
            binding = get_binding(uow)
        assert set(counts) <= {"done", "cancelled"}, counts
        assert binding.company_name == quickbooks.company_name
        assert binding.company_path == quickbooks.file_path
        assert len(quickbooks.invoices) == _live_invoices(company_db)
        second = connector(server, quickbooks).run_session()
        assert second.outcome == "none"


def test_restart_in_the_middle_of_a_session_recovers_without_duplicates(company_db: Database) -> None:
    quickbooks = QuickBooksCompany()
    server = EmbeddedServer(company_db, "localhost", 0)
    server.start()

    class CrashAfterSecondBatch:
        """QuickBooks applies the batch, then JobDesk dies before hearing the answer."""

        file_path = quickbooks.file_path
        calls = 0

        def process(self, request_xml: str) -> str:
            response = quickbooks.process(request_xml)
            if "HostQueryRq" not in request_xml:
                self.calls += 1
                if self.calls == 2:
                    server.stop()
            return response

    with company_db.uow() as uow:  # small batches, so the crash lands mid-session
        from desktop_app.services.settings import set_setting

        set_setting(uow, "sync.batch_max_requests", 5)
        uow.commit()
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            connector(server, CrashAfterSecondBatch()).run_session()
    finally:
        server.stop()
    with company_db.reader() as uow:
        sent = uow.session.scalar(select(func.count()).select_from(SyncItem).where(SyncItem.state == "sent"))
    assert sent, "the crash should leave a batch unanswered"
    with EmbeddedServer(company_db, "localhost", 0) as restarted:
        report = connector(restarted, quickbooks).run_session()
        assert report.outcome == "done", report.summary()
        assert connector(restarted, quickbooks).run_session().outcome == "none"
    with company_db.reader() as uow:
        assert set(queue_counts(uow)) <= {"done", "cancelled"}
    names = Counter(quickbooks.full_name(c) for c in quickbooks.customers)
    assert all(n == 1 for n in names.values()), names
    numbers = Counter(i.ref_number for i in quickbooks.invoices)
    assert all(n == 1 for n in numbers.values()), numbers
    assert len(quickbooks.invoices) == _live_invoices(company_db)


def test_the_realistic_company_syncs_over_http_exactly(realistic: Database) -> None:
    """The sync-engine issue's company, through server + Web Connector + QuickBooks simulators."""
    from tests.sync_compare import differences

    set_password(realistic)
    with realistic.uow() as uow:
        assert send_everything_pending(uow) > 2000
        uow.commit()
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(realistic, "localhost", 0) as server:
        report = connector(server, quickbooks).run_session()
        assert report.outcome == "done", report.summary()
        assert differences(realistic, quickbooks) == []
        assert connector(server, quickbooks).run_session().outcome == "none"
