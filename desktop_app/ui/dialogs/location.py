"""A small editor for one service location."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop_app.services import locations as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import Form, line

FIELDS = (
    ("name", "Name (e.g. Lake house)"),
    ("street", "Street"),
    ("unit", "Unit"),
    ("city", "City"),
    ("state", "State"),
    ("zip", "ZIP"),
)


class LocationDialog(RecordDialog):
    def __init__(
        self, ctx: AppContext, customer_id: int, location_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "Service location", parent, width=560)
        self.resize(560, 460)
        self.customer_id = customer_id
        frame, box = card()
        form = Form(self.errors)
        self.widgets = {
            name: form.add(name, label, line(max_length=svc.LIMITS[name]), span=2 if name == "street" else 1)
            for name, label in FIELDS
        }
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.tracker.watch(*self.widgets.values())
        self.add_history_tab("location")
        self.set_record(ctx.read(svc.get_location, location_id) if location_id is not None else None)

    def load(self, record: svc.LocationDetail | None) -> None:
        for name, widget in self.widgets.items():
            widget.setText(getattr(record, name, "") if record is not None else "")

    def persist(self) -> svc.LocationDetail:
        values = svc.LocationFields(**{name: widget.text() for name, widget in self.widgets.items()})
        if self.record is None:
            return self.ctx.write(
                svc.add_location, self.customer_id, values, changes=("location", "customer")
            )
        return self.ctx.write(
            svc.update_location, self.record.id, self.record.version, values, changes=("location", "customer")
        )
