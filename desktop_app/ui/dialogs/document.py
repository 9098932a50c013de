"""Shared parts of bid and job editors: customer, location, lines with totals."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QWidget

from desktop_app.errors import ValidationError
from desktop_app.services import customers as customer_svc
from desktop_app.services import items as item_svc
from desktop_app.services import settings as settings_svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog
from desktop_app.ui.widgets.lines_editor import LinesEditor
from desktop_app.ui.widgets.pickers import CustomerPicker, RecordPicker

LINE_FIELDS = ("lines", "quantity", "rate", "description", "item_id", "taxable")


class DocumentDialog(RecordDialog):
    """A record with a customer, an optional service location and lines."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, title, parent, width=1000)
        self.resize(1000, 800)
        self.customer = CustomerPicker(ctx)
        self.customer.customer_changed.connect(self._customer_changed)
        self.location = RecordPicker(noun="service location", none_text="No service location")
        items = ctx.read(item_svc.list_items, active=None, limit=500).rows
        rate = Decimal(str(ctx.read(settings_svc.get_setting, "tax.default_rate")))
        self.lines = LinesEditor(items, rate)
        self.lines.changed.connect(self.tracker.mark)

    def _customer_changed(self, customer_id: int | None) -> None:
        if customer_id is None:
            self.location.set_choices(())
            self.location.set_value(None)
            return
        detail = self.ctx.read(customer_svc.get_customer, customer_id)
        active = [(location.one_line, location.id) for location in detail.locations if location.active]
        self.location.set_choices(active)
        # One address is the obvious choice; with several the office picks.
        self.location.set_value(active[0][1] if len(active) == 1 else None)
        self.lines.tax_exempt = detail.tax_exempt
        self.lines.recalculate()

    def set_location(self, location_id: int | None) -> None:
        self.location.set_value(location_id if self.location.findData(location_id) >= 0 else None)

    def _on_validation(self, exc: ValidationError) -> bool:
        self.lines.show_error("")
        if exc.field in LINE_FIELDS:
            self.lines.show_error(str(exc))
            self.errors.clear()
            return True
        return super()._on_validation(exc)

    def save(self) -> bool:
        self.lines.show_error("")
        return super().save()
