"""Recording the payment of one invoice's balance ("Pay")."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.domain.money import format_money
from desktop_app.domain.status import PaymentMethod
from desktop_app.services import payments as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import DateField, Form, combo, line

METHODS = [
    (method.value.upper() if method is PaymentMethod.ACH else method.value.capitalize(), method.value)
    for method in PaymentMethod
]


class PayInvoiceDialog(RecordDialog):
    def __init__(
        self, ctx: AppContext, invoice_id: int, number: str, balance: object, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, f"Pay invoice {number}", parent, width=560)
        self.resize(560, 420)
        self.invoice_id = invoice_id
        self.subtitle_label.setText("Records a payment of the whole balance and applies it to the invoice.")
        frame, box = card()
        amount = QLabel(format_money(balance) if not isinstance(balance, str) else balance)  # type: ignore[arg-type]
        amount.setObjectName("statValue")
        box.addWidget(amount)
        form = Form(self.errors)
        self.method = form.add("method", "Method", combo(METHODS, PaymentMethod.CHECK.value))
        self.received_on = form.add("received_on", "Received on", DateField(date.today()))
        self.reference = form.add("reference", "Check or reference number", line(max_length=20), span=2)
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.save_button.setText("Record payment")

    def persist(self) -> svc.PaymentDetail:
        return self.ctx.write(
            svc.mark_paid,
            self.invoice_id,
            method=str(self.method.currentData()),
            received_on=self.received_on.value(),
            reference=self.reference.text(),
            changes=("payment", "invoice", "job", "customer"),
        )
