"""The customer list."""

from __future__ import annotations

from desktop_app.services import customers as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import ACTIVE_CHOICES, active_filter, open_dialog, refresh_on, service_fetch
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("display_name", "Customer", width=240),
    Column("company", "Company", width=200),
    Column("phone", "Phone", sort="", width=140),
    Column("email", "Email", width=240, stretch=True),
    Column("open_balance", "Open balance", kind="money", sort="", width=130),
)


class CustomersView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "customers",
            "Customers",
            COLUMNS,
            service_fetch(ctx, svc.list_customers, filters=active_filter),
            ctx.settings,
            search_placeholder="Search name, company, phone or email",
            filters=(("active", "Show", ACTIVE_CHOICES),),
            noun=("customer", "customers"),
        )
        self.ctx = ctx
        self.last_dialog: CustomerDialog | None = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("New customer", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_customer)
        refresh_on(ctx, self, "customer", "invoice", "payment", "location", "sync")

    def new_record(self) -> CustomerDialog:
        return open_dialog(self, CustomerDialog(self.ctx, None, self))

    def open_customer(self, customer_id: int) -> CustomerDialog:
        return open_dialog(self, CustomerDialog(self.ctx, customer_id, self))

    def open_current(self) -> None:
        customer_id = self.current_id()
        if customer_id is not None:
            self.open_customer(customer_id)
