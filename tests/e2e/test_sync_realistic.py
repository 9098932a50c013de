"""A realistic company syncs completely: engine ↔ QuickBooks simulator, no HTTP."""

from __future__ import annotations

import pytest

from desktop_app.db.uow import Database
from desktop_app.services import sync_queue
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.sync_compare import differences


@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_a_realistic_company_syncs_completely_and_exactly(realistic: Database, plan_ahead: bool) -> None:
    with realistic.uow() as uow:
        queued = sync_queue.send_everything_pending(uow)
        uow.commit()
    assert queued > 2000
    qb = QuickBooksCompany()
    # Planned ahead: each next message is planned while QuickBooks answers the last, as the
    # server does (``qbwc_server.sync.ahead``); the outcome must not change.
    engine = SyncEngine(realistic, plan_ahead=plan_ahead)
    assert engine.plan_ahead is plan_ahead
    report = run_session(engine, qb)
    assert report.percent == 100 and not report.broken
    assert differences(realistic, qb) == []
    # Progress, deposit and multi-job invoices were all among them.
    assert len(qb.invoices) >= 900 and len(qb.payments) >= 750
    # A second sync sends nothing.
    requests_before = len(qb.log)
    second = run_session(engine, qb)
    assert second.round_trips == 0 and len(qb.log) == requests_before
