"""The invoice list (stays fast with 100,000 invoices: paged, sorted and searched in the database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop_app.services import invoice_queries as queries
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.invoice import InvoiceDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import open_dialog, refresh_on, service_fetch
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("number", "Invoice #", width=110),
    Column("invoice_date", "Date", kind="date", sort="date", width=110),
    Column("customer_name", "Customer", sort="customer", width=240, stretch=True),
    Column("job_number", "Job", sort="job", width=100),
    Column("kind", "Kind", get=lambda r: str(r.kind.value).capitalize(), width=100),
    Column("due_date", "Due", kind="date", width=110),
    Column("status", "Status", kind="status", get=lambda r: r.status.value, width=100),
    Column("total", "Total", kind="money", width=120),
    Column("balance", "Balance", kind="money", width=120),
    Column(
        "in_quickbooks", "QuickBooks", get=lambda r: "Synced" if r.in_quickbooks else "—", sort="", width=100
    ),
)
STATUS_CHOICES = (
    ("All invoices", ""),
    ("Open", "open"),
    ("Unpaid", "unpaid"),
    ("Paid", "paid"),
    ("Void", "void"),
)


def _filters(chosen: Mapping[str, str]) -> dict[str, Any]:
    status = chosen.get("status") or None
    if status == "unpaid":
        return {"open_only": True}
    return {"status": status}


class InvoicesView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "invoices",
            "Invoices",
            COLUMNS,
            service_fetch(ctx, queries.list_invoices, filters=_filters),
            ctx.settings,
            search_placeholder="Search invoice number, customer or job",
            filters=(("status", "Status", STATUS_CHOICES),),
            default_sort=("number", True),
            noun=("invoice", "invoices"),
        )
        self.ctx = ctx
        self.last_dialog: Any = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("New invoice", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_invoice)
        refresh_on(ctx, self, "invoice", "payment", "customer", "job", "sync")

    def new_record(self) -> Any:
        from desktop_app.ui.dialogs.multi_invoice import MultiJobInvoiceDialog

        return open_dialog(self, MultiJobInvoiceDialog(self.ctx, self))

    def open_invoice(self, invoice_id: int) -> InvoiceDialog:
        return open_dialog(self, InvoiceDialog(self.ctx, invoice_id, self))

    def open_current(self) -> None:
        invoice_id = self.current_id()
        if invoice_id is not None:
            self.open_invoice(invoice_id)
