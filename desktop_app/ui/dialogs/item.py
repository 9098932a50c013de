"""The price-book item editor."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QWidget

from desktop_app.domain.status import ItemKind
from desktop_app.services import accounts as account_svc
from desktop_app.services import items as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import Form, combo, line, notes, set_combo

KINDS = [("Service", ItemKind.SERVICE.value), ("Material", ItemKind.MATERIAL.value)]


class ItemDialog(RecordDialog):
    def __init__(self, ctx: AppContext, item_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, "New price-book item" if item_id is None else "Price-book item", parent, width=700
        )
        self.resize(700, 600)
        frame, box = card("Item")
        form = Form(self.errors)
        self.name = form.add("name", "Name (as in QuickBooks, up to 31 characters)", line(max_length=31))
        self.kind = form.add("kind", "Type", combo(KINDS))
        self.description = form.add(
            "description", "Description on bids and invoices", notes(height=70), span=2
        )
        self.price = form.add("unit_price", "Unit price", line(placeholder="0.00"))
        self.taxable = form.add("taxable", "Sales tax", QCheckBox("Taxable"))
        accounts = ctx.read(account_svc.list_accounts)
        choices: list[tuple[str, object]] = [("Default income account (Settings)", None)]
        choices += [(account.full_name, account.id) for account in accounts]
        self.account = form.add(
            "income_account_id", "Income account (from QuickBooks)", combo(choices), span=2
        )
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.tracker.watch(self.name, self.kind, self.description, self.price, self.taxable, self.account)
        self.add_history_tab("item")
        self.set_record(ctx.read(svc.get_item, item_id) if item_id is not None else None)

    def load(self, record: svc.ItemDetail | None) -> None:
        self.name.setText(record.name if record else "")
        set_combo(self.kind, record.kind if record else ItemKind.SERVICE.value)
        self.description.setPlainText(record.description if record else "")
        self.price.setText(f"{record.unit_price.normalize():f}" if record else "")
        if record and "." not in self.price.text():
            self.price.setText(f"{record.unit_price:.2f}")
        self.taxable.setChecked(bool(record and record.taxable))
        set_combo(self.account, record.income_account_id if record else None)
        if record is not None:
            self.title_label.setText(record.name)
            self.subtitle_label.setText(
                f"{record.kind.capitalize()} · {record.income_account_name or 'Default account'}"
            )

    def fields(self) -> svc.ItemFields:
        return svc.ItemFields(
            kind=str(self.kind.currentData()),
            name=self.name.text(),
            description=self.description.toPlainText(),
            unit_price=self.price.text() or "0",
            taxable=self.taxable.isChecked(),
            income_account_id=self.account.currentData(),
        )

    def persist(self) -> svc.ItemDetail:
        if self.record is None:
            return self.ctx.write(svc.create_item, self.fields(), changes=("item",))
        return self.ctx.write(
            svc.update_item, self.record.id, self.record.version, self.fields(), changes=("item",)
        )

    def reload_record(self) -> svc.ItemDetail | None:
        return self.ctx.read(svc.get_item, self.record.id) if self.record is not None else None
