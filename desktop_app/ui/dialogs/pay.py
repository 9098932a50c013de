"""Paying one invoice from its job ("Pay"): the whole balance by default, or part of it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtWidgets import QWidget

from desktop_app.domain.money import format_money
from desktop_app.domain.status import PaymentMethod
from desktop_app.errors import ValidationError
from desktop_app.services import invoice_details
from desktop_app.services import payments as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import DateField, Form, combo, line

METHODS = [
    (method.value.upper() if method is PaymentMethod.ACH else method.value.capitalize(), method.value)
    for method in PaymentMethod
]


class PayInvoiceDialog(RecordDialog):
    enter_closes = True

    def __init__(
        self, ctx: AppContext, invoice_id: int, number: str, balance: object, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, f"Pay invoice {number}", parent, width=560)
        self.resize(560, 420)
        self.invoice_id = invoice_id
        self.balance = balance if isinstance(balance, Decimal) else Decimal(str(balance))
        self.subtitle_label.setText(
            f"Balance due {format_money(self.balance)}. Records a payment of the amount below "
            "and applies it to this invoice; less than the balance leaves the rest owing."
        )
        frame, box = card()
        form = Form(self.errors)
        self.amount = form.add("amount", "Amount received", line(f"{self.balance:,.2f}"), span=2)
        self.method = form.add("method", "Method", combo(METHODS, PaymentMethod.CHECK.value))
        self.received_on = form.add("received_on", "Received on", DateField(date.today()))
        self.reference = form.add("reference", "Check or reference number", line(max_length=20), span=2)
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.save_button.setText("Record payment")
        self.tracker.watch(self.amount, self.method, self.received_on, self.reference)
        self.amount.setFocus()
        self.amount.selectAll()

    def persist(self) -> svc.PaymentDetail:
        text = self.amount.text().replace(",", "").replace("$", "").strip()
        if not text:
            raise ValidationError(
                "amount", f"Type the amount received (the balance is {format_money(self.balance)})."
            )
        invoice = self.ctx.read(invoice_details.get_invoice, self.invoice_id)
        return self.ctx.write(
            svc.record_payment,
            invoice.customer_id,
            text,
            str(self.method.currentData()),
            self.received_on.value(),
            self.reference.text(),
            applications=[(self.invoice_id, text)],
            changes=("payment", "invoice", "job", "customer"),
        )
