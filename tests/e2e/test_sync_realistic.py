"""A realistic company syncs completely: engine ↔ QuickBooks simulator, no HTTP."""

from __future__ import annotations

from desktop_app.db.uow import Database
from desktop_app.services import sync_queue
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.sync_compare import differences


def test_a_realistic_company_syncs_completely_and_exactly(realistic: Database) -> None:
    with realistic.uow() as uow:
        queued = sync_queue.send_everything_pending(uow)
        uow.commit()
    assert queued > 2000
    qb = QuickBooksCompany()
    engine = SyncEngine(realistic)
    report = run_session(engine, qb)
    assert report.percent == 100 and not report.broken
    assert differences(realistic, qb) == []
    # Progress, deposit and multi-job invoices were all among them.
    assert len(qb.invoices) >= 900 and len(qb.payments) >= 750
    # A second sync sends nothing.
    requests_before = len(qb.log)
    second = run_session(engine, qb)
    assert second.round_trips == 0 and len(qb.log) == requests_before
