"""Receive a payment: customer, amount, method, reference, applications to open invoices.

As the amount is typed it is applied to the customer's open invoices, oldest first; an
Apply cell the office edits by hand is kept. A saved payment reopens with its invoices
(date, total, balance); what was received (amount, date, method, reference, memo) and what
it pays are changed and saved together. A payment in QuickBooks is changed by an admin only,
one entered in QuickBooks in QuickBooks; the window says why when its fields are read-only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QWidget

from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, format_money
from desktop_app.domain.status import PaymentMethod
from desktop_app.errors import ValidationError
from desktop_app.services import invoice_details
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
        value = Decimal(text.replace(",", "").replace("$", "").strip() or "0")
    except InvalidOperation:
        return ZERO
    return value if value.is_finite() else ZERO


def _bad_amount(text: str) -> str:
    """Why the typed amount cannot be a payment ("" when it can, or is still empty)."""
    clean = text.replace(",", "").replace("$", "").strip()
    if not clean:
        return ""
    try:
        value = Decimal(clean)
    except InvalidOperation:
        return f"“{text.strip()}” is not an amount. Type it as 1,250.00."
    if not value.is_finite() or value <= 0:
        return "The amount received must be more than zero."
    if value != value.quantize(Decimal("0.01")):
        return "Amounts are in dollars and cents: at most two decimals."
    return ""


class PaymentDialog(RecordDialog):
    def __init__(self, ctx: AppContext, payment_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Receive payment" if payment_id is None else "Payment", parent, width=900)
        self.resize(900, 780)
        self._manual = False
        #: A saved payment whose amount, date, method, reference and memo may be changed here.
        self._received_editable = False
        frame, box = card("Payment")
        form = Form(self.errors, columns=3)
        self.customer = CustomerPicker(ctx)
        self.customer.customer_changed.connect(self._load_invoices)
        form.add("customer_id", "Customer", self.customer)
        self.amount = form.add("amount", "Amount received", line(placeholder="0.00"))
        self.method = form.add("method", "Method", combo(METHODS, PaymentMethod.CHECK.value))
        self.received_on = form.add("received_on", "Date received", DateField(date.today()))
        self.reference = form.add(
            "reference", "Check / reference #", line(max_length=svc.MAX_PAYMENT_REFERENCE)
        )
        self.memo = form.add("memo", "Memo", line(max_length=svc.MAX_PAYMENT_MEMO))
        box.addWidget(form)
        self.locked_note = QLabel("")
        self.locked_note.setObjectName("muted")
        self.locked_note.setWordWrap(True)
        self.locked_note.hide()
        box.addWidget(self.locked_note)
        self.body_layout.addWidget(frame)

        frame, box = card("Apply to open invoices")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Invoice #", "Date", "Total", "Balance", "Apply"])
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(220)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in ((NUMBER, 100), (DATE, 105), (TOTAL, 115), (BALANCE, 115)):
            self.table.setColumnWidth(column, width)
        self.table.itemChanged.connect(self._apply_edited)
        box.addWidget(self.table)
        row = QHBoxLayout()
        self.auto_button = QPushButton("Apply oldest first")
        self.auto_button.setToolTip("Share the amount over the open invoices again, oldest first.")
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
        self.amount.textEdited.connect(self._amount_edited)
        self.tracker.watch(
            self.customer, self.amount, self.method, self.received_on, self.reference, self.memo
        )
        self.table.itemChanged.connect(lambda *_: self.tracker.mark())
        self.delete_button = self.header_button("Delete payment", self.delete)
        self.delete_button.setObjectName("dangerButton")
        self.add_history_tab("payment")
        self.set_record(ctx.read(svc.get_payment, payment_id) if payment_id is not None else None)

    # -- form ------------------------------------------------------------------------------------
    def load(self, record: svc.PaymentDetail | None) -> None:
        live = record is not None and record.deleted_at is None
        self.delete_button.setVisible(live)
        if record is None:
            self.subtitle_label.setText(
                "Choose the customer; the amount is applied to their open invoices, oldest first."
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
        qb = " · in QuickBooks" if record.in_quickbooks else ""
        self.subtitle_label.setText(
            f"{format_money(record.amount)} received {record.received_on:%m/%d/%Y} · {state}{qb}"
        )
        # The customer stays (a payment from someone else is another payment); the rest of
        # what was received can change unless the reason below says otherwise.
        self.customer.setEnabled(False)
        locked = self._why_read_only(record)
        self._received_editable = not locked
        for widget in (self.amount, self.method, self.received_on, self.reference, self.memo):
            widget.setEnabled(not locked)
        self.locked_note.setText(locked)
        self.locked_note.setVisible(bool(locked))
        self._load_saved(record)
        self.table.setEnabled(live)
        self.auto_button.setEnabled(live)
        self.save_button.setVisible(live)
        self.save_button.setText("Save")

    def _why_read_only(self, record: svc.PaymentDetail) -> str:
        """Why what was received cannot be changed here ("" when it can)."""
        if record.deleted_at is not None:
            return "This payment is deleted."
        if record.origin == "quickbooks":
            return (
                "This payment was entered in QuickBooks and JobDesk only copied it: change the amount, "
                "date, method, reference or memo in QuickBooks."
            )
        if record.in_quickbooks and not self.ctx.actor.is_admin:
            return (
                "This payment is already in QuickBooks: only an admin can change the amount, date, "
                "method, reference or memo."
            )
        return ""

    def _load_saved(self, record: svc.PaymentDetail) -> None:
        """The invoices it pays (with date, total, balance), then the customer's other open ones."""
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(0)
        applied = {a.invoice_id: a.amount for a in record.applications}
        for invoice_id, amount in applied.items():
            invoice = self.ctx.read(invoice_details.get_invoice, invoice_id)
            self._add_row(
                invoice_id, invoice.number, invoice.invoice_date, invoice.total, invoice.balance, amount
            )
        if record.deleted_at is None:
            for invoice in self.ctx.read(queries.list_open_invoices_for_customer, record.customer_id):
                if invoice.id not in applied:
                    self._add_row(
                        invoice.id, invoice.number, invoice.invoice_date, invoice.total, invoice.balance, None
                    )
        self.table.blockSignals(blocked)
        self._manual = True
        self._update_remainder()

    def _add_row(
        self,
        invoice_id: int,
        number: str,
        when: date | None,
        total: Decimal | None,
        balance: Decimal | None,
        apply: Decimal | None,
    ) -> None:
        """``balance`` is the invoice's; what this payment may apply is that plus what it applies now."""
        blocked = self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = (
            number,
            f"{when:%m/%d/%Y}" if when else "",
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
        room = None if balance is None else balance + (apply or ZERO)
        self.table.item(row, BALANCE).setData(Qt.ItemDataRole.UserRole, room)
        cell = QTableWidgetItem("" if apply is None else f"{apply:.2f}")
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, APPLY, cell)
        self.table.blockSignals(blocked)

    def _load_invoices(self, customer_id: int | None) -> None:
        if self.record is not None:
            return
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        if customer_id is not None:
            for invoice in self.ctx.read(queries.list_open_invoices_for_customer, customer_id):
                self._add_row(
                    invoice.id, invoice.number, invoice.invoice_date, invoice.total, invoice.balance, None
                )
        self.table.blockSignals(False)
        self._manual = False
        self.apply_oldest_first()

    def set_apply(self, invoice_number: str, amount: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, NUMBER).text() == invoice_number:
                self.table.item(row, APPLY).setText(amount)

    def _amount_edited(self, text: str) -> None:
        self.errors.show_text("amount", self._amount_problem())
        if not self._manual:
            self.apply_oldest_first()
        else:
            self._update_remainder()

    def _apply_edited(self, cell: QTableWidgetItem) -> None:
        if cell.column() == APPLY and not self.table.signalsBlocked():
            self._manual = True  # the office chose; typing the amount no longer re-shares it
        self._update_remainder()

    def apply_oldest_first(self) -> None:
        """Share the amount over the open invoices, oldest first (the list is oldest first)."""
        left = _amount(self.amount.text()) if not _bad_amount(self.amount.text()) else ZERO
        blocked = self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            room = self.table.item(row, BALANCE).data(Qt.ItemDataRole.UserRole) or ZERO
            share = min(left, room)
            self.table.item(row, APPLY).setText(f"{share:.2f}" if share > 0 else "")
            left -= max(share, ZERO)
        self.table.blockSignals(blocked)
        self._manual = self.record is not None
        self._update_remainder()

    def applications(self) -> list[tuple[int, str]]:
        result = []
        for row in range(self.table.rowCount()):
            text = self.table.item(row, APPLY).text().strip()
            if text and _amount(text) != 0:
                result.append(
                    (int(self.table.item(row, NUMBER).data(Qt.ItemDataRole.UserRole)), text.replace(",", ""))
                )
        return result

    def _applied_in_table(self) -> Decimal:
        return sum((_amount(text) for _, text in self.applications()), ZERO)

    def _amount_problem(self) -> str:
        """What is wrong with the typed amount; a saved one also may not drop below what it pays."""
        text = self.amount.text()
        problem = _bad_amount(text)
        if problem or self.record is None or not text.strip():
            return problem
        applied, received = self._applied_in_table(), _amount(text)
        if received >= applied:
            return ""
        return (
            f"{format_money(applied)} of this payment is applied below, more than {format_money(received)}. "
            f"Take {format_money(applied - received)} off what it pays first, or keep the amount at "
            f"{format_money(applied)} or more."
        )

    def _update_remainder(self) -> None:
        applied = self._applied_in_table()
        received = _amount(self.amount.text()) if not _bad_amount(self.amount.text()) else ZERO
        left = received - applied
        if self._received_editable:
            # A saved payment's amount can change: too little for what it pays is said at it.
            self.errors.show_text("amount", self._amount_problem())
        if left < 0 and self._received_editable:
            self.remainder.setText(f"Applied {format_money(applied)}")
            self.apply_error.hide()
            return
        if left < 0:
            # Never a negative "Unapplied": say what is wrong instead.
            self.remainder.setText(f"Applied {format_money(applied)}")
            self.apply_error.setText(
                f"{format_money(applied)} is applied but only {format_money(received)} was received."
            )
            self.apply_error.show()
            return
        self.apply_error.hide()
        self.remainder.setText(f"Applied {format_money(applied)} · Unapplied {format_money(left)}")

    def _on_validation(self, exc: ValidationError) -> bool:
        if exc.field in ("applications", "invoice_id", "applied"):
            self.apply_error.setText(str(exc))
            self.apply_error.show()
            return True
        return super()._on_validation(exc)

    def persist(self) -> svc.PaymentDetail:
        self.apply_error.hide()
        if self.record is not None:
            return self._save_applications(self.record)
        customer_id = self.customer.checked_value("customer_id")
        if customer_id is None:
            raise ValidationError("customer_id", "Choose the customer who paid.")
        problem = _bad_amount(self.amount.text()) or (
            "Type the amount received." if not self.amount.text().strip() else ""
        )
        if problem:
            raise ValidationError("amount", problem)
        return self.ctx.write(
            svc.record_payment,
            customer_id,
            self.amount.text().replace(",", "").replace("$", "").strip(),
            str(self.method.currentData()),
            self.received_on.value(),
            self.reference.text(),
            self.memo.text(),
            self.applications(),
            changes=("payment", "invoice", "customer", "job"),
        )

    def _received_fields(self) -> dict[str, object] | None:
        """What the form says was received, for ``update_payment``; None when it is read-only."""
        if not self._received_editable:
            return None
        problem = self._amount_problem() or (
            "Type the amount received." if not self.amount.text().strip() else ""
        )
        if problem:
            raise ValidationError("amount", problem)
        return {
            "amount": self.amount.text().replace(",", "").replace("$", "").strip(),
            "received_on": self.received_on.value(),
            "method": str(self.method.currentData()),
            "reference": self.reference.text(),
            "memo": self.memo.text(),
        }

    def _save_applications(self, record: svc.PaymentDetail) -> svc.PaymentDetail:
        """In one transaction: take back what is applied less, change what was received, then
        apply what is applied more (so a lower amount follows the unapplying it needs, and a
        higher one comes before what it lets the payment apply)."""
        received = self._received_fields()
        wanted = {invoice_id: _amount(text) for invoice_id, text in self.applications()}
        before = {a.invoice_id: a.amount for a in record.applications}
        less = [(i, before[i] - wanted.get(i, ZERO)) for i in before if wanted.get(i, ZERO) < before[i]]
        more = [
            (i, amount - before.get(i, ZERO)) for i, amount in wanted.items() if amount > before.get(i, ZERO)
        ]

        def work(uow: UnitOfWork) -> svc.PaymentDetail:
            try:
                for invoice_id, amount in less:
                    svc.unapply_payment(uow, record.id, invoice_id, amount)
            except ValidationError as exc:
                raise ValidationError("applications", str(exc)) from exc
            if received is not None:
                # Its version check covers the whole save: applications leave the version alone.
                svc.update_payment(uow, record.id, record.version, **received)
            try:
                for invoice_id, amount in more:
                    svc.apply_payment(uow, record.id, invoice_id, amount)
            except ValidationError as exc:
                raise ValidationError("applications", str(exc)) from exc
            return svc.get_payment(uow, record.id)

        return self.ctx.with_uow(work, changes=("payment", "invoice", "customer", "job"))

    def reload_record(self) -> svc.PaymentDetail | None:
        return None if self.record is None else self.ctx.read(svc.get_payment, self.record.id)

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
