"""The bid list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop_app.services import bids as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.bid import BidDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import open_dialog, refresh_on, service_fetch
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("number", "Bid #", width=90),
    Column("title", "Title", width=280, stretch=True),
    Column("customer_name", "Customer", sort="customer", width=220),
    Column("status", "Status", kind="status", width=110),
    Column("valid_until", "Valid until", kind="date", width=110),
    Column("total", "Total", kind="money", sort="", width=120),
)
STATUS_CHOICES = (
    ("All statuses", ""),
    ("Draft", "draft"),
    ("Sent", "sent"),
    ("Accepted", "accepted"),
    ("Declined", "declined"),
)


def _filters(chosen: Mapping[str, str]) -> dict[str, Any]:
    return {"status": chosen.get("status") or None}


class BidsView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "bids",
            "Bids",
            COLUMNS,
            service_fetch(ctx, svc.list_bids, filters=_filters),
            ctx.settings,
            search_placeholder="Search bid number, title or customer",
            filters=(("status", "Status", STATUS_CHOICES),),
            default_sort=("number", True),
            noun=("bid", "bids"),
        )
        self.ctx = ctx
        self.last_dialog: BidDialog | None = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("New bid", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_bid)
        refresh_on(ctx, self, "bid", "customer", "settings")

    def new_record(self) -> BidDialog:
        return open_dialog(self, BidDialog(self.ctx, None, self))

    def open_bid(self, bid_id: int) -> BidDialog:
        return open_dialog(self, BidDialog(self.ctx, bid_id, self))

    def open_current(self) -> None:
        bid_id = self.current_id()
        if bid_id is not None:
            self.open_bid(bid_id)
