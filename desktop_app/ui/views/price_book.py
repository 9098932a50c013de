"""The price book: services and materials with prices, tax and income account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop_app.services import items as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.item import ItemDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.views.common import ACTIVE_CHOICES, active_filter, open_dialog, refresh_on, service_fetch
from desktop_app.ui.widgets.list_page import ListPage

COLUMNS = (
    Column("name", "Item", width=220),
    Column("kind", "Type", get=lambda r: r.kind.capitalize(), width=100),
    Column("description", "Description", sort="", width=320, stretch=True),
    Column("unit_price", "Price", kind="money", width=110),
    Column("taxable", "Taxable", kind="bool", sort="", width=80),
    Column("income_account_name", "Income account", sort="", width=200),
)
KIND_CHOICES = (("Services and materials", ""), ("Services", "service"), ("Materials", "material"))


def _filters(chosen: Mapping[str, str]) -> dict[str, Any]:
    values = active_filter(chosen)
    values["kind"] = chosen.get("kind") or None
    return values


class PriceBookView(ListPage):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "price_book",
            "Price Book",
            COLUMNS,
            service_fetch(ctx, svc.list_items, filters=_filters),
            ctx.settings,
            search_placeholder="Search items",
            filters=(("kind", "Type", KIND_CHOICES), ("active", "Show", ACTIVE_CHOICES)),
            noun=("item", "items"),
        )
        self.ctx = ctx
        self.last_dialog: ItemDialog | None = None
        self.add_action("Open", "edit").clicked.connect(self.open_current)
        self.add_action("New item", "plus", primary=True).clicked.connect(self.new_record)
        self.activated.connect(self.open_item)
        refresh_on(ctx, self, "item", "account", "sync")

    def new_record(self) -> ItemDialog:
        return open_dialog(self, ItemDialog(self.ctx, None, self))

    def open_item(self, item_id: int) -> ItemDialog:
        return open_dialog(self, ItemDialog(self.ctx, item_id, self))

    def open_current(self) -> None:
        item_id = self.current_id()
        if item_id is not None:
            self.open_item(item_id)
