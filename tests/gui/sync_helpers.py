"""Sync test data through services and the loopback session (no ORM in the GUI tests)."""

from __future__ import annotations

from desktop_app.services import invoices, sync_queue
from desktop_app.ui.context import AppContext
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.gui.helpers import make_customer, make_job


def sync_with_alert(ctx: AppContext) -> QuickBooksCompany:
    """A job and its invoice sent to a simulated QuickBooks; the invoice's line item has no
    income account, so QuickBooks' side leaves one alert (edit / retry / dismiss)."""
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(sync_queue.send_records, [("invoice", invoice.id)])
    company = QuickBooksCompany()
    for _ in range(6):  # a session may only queue a dependency; the next poll sends it
        run_session(SyncEngine(ctx.db), company)
        if not SyncEngine(ctx.db).has_work():
            break
    return company
