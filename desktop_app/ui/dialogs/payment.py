"""Receive a payment: customer, amount, method, reference, applications to open invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QWidget

from desktop_app.domain.money import ZERO, format_money
from desktop_app.domain.status import PaymentMethod
from desktop_app.services import invoice_queries as queries
from desktop_app.services import payments as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.dialogs.pay import METHODS
from desktop_app.ui.widgets.forms import DateField, Form, combo, line, set_combo
from desktop_app.ui.widgets.pickers import CustomerPicker

NUMBER, DATE, TOTAL, BALANCE, APPLY = range(5)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "").replace("$", "").strip() or "0")
    except InvalidOperation:
        return ZERO


class PaymentDialog(RecordDialog):
    def __init__(self, ctx: AppContext, payment_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Receive payment" if payment_id is None else "Payment", parent, width=900)
        self.resize(900, 780)
        frame, box = card("Payment")
        form = Form(self.errors, columns=3)
        self.customer = CustomerPicker(ctx)
        self.customer.setCurrentIndex(-1)
        self.customer.customer_changed.connect(self._load_invoices)
        form.add("customer_id", "Customer", self.customer)
        self.amount = form.add("amount", "Amount received", line(placeholder="0.00"))
        self.method = form.add("method", "Method", combo(METHODS, PaymentMethod.CHECK.value))
        self.received_on = form.add("received_on", "Date received", DateField(date.today()))
        self.reference = form.add("reference", "Check / reference #", line(max_length=20))
        self.memo = form.add("memo", "Memo", line(max_length=4095))
        box.addWidget(form)
        self.body_layout.addWidget(frame)

        frame, box = card("Apply to open invoices")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Invoice #", "Date", "Total", "Balance", "Apply"])
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(220)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(lambda *_: self._update_remainder())
        box.addWidget(self.table)
        row = QHBoxLayout()
        self.auto_button = QPushButton("Apply oldest first")
        self.auto_button.clicked.connect(self.apply_oldest_first)
        row.addWidget(self.auto_button)
        row.addStretch(1)
        self.remainder = QLabel("")
        self.remainder.setObjectName("grandTotal")
        row.addWidget(self.remainder)
        box.addLayout(row)
        self.apply_error = QLabel("")
        self.apply_error.setObjectName("fieldError")
        self.apply_error.hide()
        box.addWidget(self.apply_error)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.amount.textEdited.connect(lambda *_: self._update_remainder())
        self.tracker.watch(self.customer, self.amount, self.method, self.reference, self.memo)
        self.delete_button = self.header_button("Delete payment", self.delete)
        self.delete_button.setObjectName("dangerButton")
        self.add_history_tab("payment")
        self.set_record(ctx.read(svc.get_payment, payment_id) if payment_id is not None else None)

    # -- form ------------------------------------------------------------------------------------
    def load(self, record: svc.PaymentDetail | None) -> None:
        self.delete_button.setVisible(record is not None and record.deleted_at is None)
        if record is None:
            self.subtitle_label.setText(
                "Choose the customer; their open invoices are listed to apply the money to."
            )
            self._update_remainder()
            return
        self.customer.set_customer(record.customer_id, record.customer_name)
        self.amount.setText(f"{record.amount:,.2f}")
        set_combo(self.method, record.method.value)
        self.received_on.set_value(record.received_on)
        self.reference.setText(record.reference)
        self.memo.setText(record.memo)
        self.title_label.setText(f"Payment from {record.customer_name}")
        state = "deleted" if record.deleted_at else f"{format_money(record.unapplied)} unapplied"
        self.subtitle_label.setText(
            f"{format_money(record.amount)} received {record.received_on:%m/%d/%Y} · {state}"
        )
        self.table.setRowCount(0)
        for application in record.applications:
            self._add_row(
                application.invoice_id, application.invoice_number, "", None, None, application.amount
            )
        for widget in (self.customer, self.amount, self.method, self.received_on, self.auto_button):
            widget.setEnabled(False)
        self.save_button.hide()
        self._update_remainder()

    def _add_row(
        self,
        invoice_id: int,
        number: str,
        when: str,
        total: Decimal | None,
        balance: Decimal | None,
        apply: Decimal | None,
    ) -> None:
        blocked = self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = (
            number,
            when,
            format_money(total) if total is not None else "",
            format_money(balance) if balance is not None else "",
        )
        for column, text in enumerate(values):
            cell = QTableWidgetItem(text)
            cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if column >= TOTAL:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, cell)
        self.table.item(row, NUMBER).setData(Qt.ItemDataRole.UserRole, invoice_id)
        self.table.item(row, BALANCE).setData(Qt.ItemDataRole.UserRole, balance)
        cell = QTableWidgetItem("" if apply is None else f"{apply:.2f}")
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, APPLY, cell)
        self.table.blockSignals(blocked)

    def _load_invoices(self, customer_id: int | None) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        if customer_id is not None:
            for invoice in self.ctx.read(queries.list_open_invoices_for_customer, customer_id):
                self._add_row(
                    invoice.id,
                    invoice.number,
                    f"{invoice.invoice_date:%m/%d/%Y}",
                    invoice.total,
                    invoice.balance,
                    None,
                )
        self.table.blockSignals(False)
        self._update_remainder()

    def set_apply(self, invoice_number: str, amount: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, NUMBER).text() == invoice_number:
                self.table.item(row, APPLY).setText(amount)

    def apply_oldest_first(self) -> None:
        left = _amount(self.amount.text())
        for row in range(self.table.rowCount()):
            balance = self.table.item(row, BALANCE).data(Qt.ItemDataRole.UserRole) or ZERO
            share = min(left, balance)
            self.table.item(row, APPLY).setText(f"{share:.2f}" if share > 0 else "")
            left -= max(share, ZERO)

    def applications(self) -> list[tuple[int, str]]:
        result = []
        for row in range(self.table.rowCount()):
            text = self.table.item(row, APPLY).text().strip()
            if text and _amount(text) != 0:
                result.append(
                    (int(self.table.item(row, NUMBER).data(Qt.ItemDataRole.UserRole)), text.replace(",", ""))
                )
        return result

    def _update_remainder(self) -> None:
        applied = sum((_amount(text) for _, text in self.applications()), ZERO)
        left = _amount(self.amount.text()) - applied
        self.remainder.setText(f"Applied {format_money(applied)} · Unapplied {format_money(left)}")

    def _on_validation(self, exc: object) -> bool:
        from desktop_app.errors import ValidationError

        assert isinstance(exc, ValidationError)
        if exc.field in ("applications", "invoice_id", "applied"):
            self.apply_error.setText(str(exc))
            self.apply_error.show()
            return True
        return super()._on_validation(exc)

    def persist(self) -> svc.PaymentDetail:
        from desktop_app.errors import ValidationError

        self.apply_error.hide()
        customer_id = self.customer.customer_id()
        if customer_id is None:
            raise ValidationError("customer_id", "Choose the customer who paid.")
        return self.ctx.write(
            svc.record_payment,
            customer_id,
            self.amount.text().replace(",", "").strip(),
            str(self.method.currentData()),
            self.received_on.value(),
            self.reference.text(),
            self.memo.text(),
            self.applications(),
            changes=("payment", "invoice", "customer", "job"),
        )

    def delete(self) -> None:
        if self.record is None:
            return
        if not self.ctx.prompts.confirm(
            self, "Delete payment", "Delete this payment and its applications?", ok="Delete payment"
        ):
            return
        record = self.record
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(svc.delete_payment, record.id, changes=("payment", "invoice", "customer")),
        )
        if ok:
            self.set_record(result)
