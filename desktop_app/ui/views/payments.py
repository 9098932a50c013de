"""The payment list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop_app.services import invoice_queries as queries
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.payment import PaymentDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import open_dialog, refresh_on, service_fetch
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("received_on", "Received", kind="date", width=110),
    Column("customer_name", "Customer", sort="customer", width=260, stretch=True),
    Column(
        "method",
        "Method",
        get=lambda r: r.method.value.upper() if r.method.value == "ach" else r.method.value.capitalize(),
        width=100,
    ),
    Column("reference", "Reference", width=130),
    Column("amount", "Amount", kind="money", width=120),
    Column("applied", "Applied", kind="money", sort="", width=120),
    Column("unapplied", "Unapplied", kind="money", width=120),
    Column(
        "in_quickbooks", "QuickBooks", get=lambda r: "Synced" if r.in_quickbooks else "—", sort="", width=100
    ),
)
SHOW_CHOICES = (("All payments", ""), ("With money unapplied", "unapplied"), ("Including deleted", "deleted"))


def _filters(chosen: Mapping[str, str]) -> dict[str, Any]:
    show = chosen.get("show")
    return {"unapplied_only": show == "unapplied", "include_deleted": show == "deleted"}


class PaymentsView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "payments",
            "Payments",
            COLUMNS,
            service_fetch(ctx, queries.list_payments, filters=_filters),
            ctx.settings,
            search_placeholder="Search customer, reference or memo",
            filters=(("show", "Show", SHOW_CHOICES),),
            default_sort=("received_on", True),
            noun=("payment", "payments"),
        )
        self.ctx = ctx
        self.last_dialog: PaymentDialog | None = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("Receive payment", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_payment)
        refresh_on(ctx, self, "payment", "customer", "sync")

    def new_record(self) -> PaymentDialog:
        return open_dialog(self, PaymentDialog(self.ctx, None, self))

    def open_payment(self, payment_id: int) -> PaymentDialog:
        return open_dialog(self, PaymentDialog(self.ctx, payment_id, self))

    def open_current(self) -> None:
        payment_id = self.current_id()
        if payment_id is not None:
            self.open_payment(payment_id)
