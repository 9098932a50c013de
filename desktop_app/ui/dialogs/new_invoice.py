"""New invoice for a job: full, progress (by % or amount) or deposit."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QWidget

from desktop_app.domain.money import format_money
from desktop_app.services import invoices as svc
from desktop_app.services import terms as terms_svc
from desktop_app.services.invoice_queries import JobInvoicingSummary
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import DateField, Form, line, notes
from desktop_app.ui.widgets.pickers import static_picker

FULL, PROGRESS, DEPOSIT = "full", "progress", "deposit"
KIND_LABELS = {FULL: "Full invoice", PROGRESS: "Progress invoice", DEPOSIT: "Deposit"}


class NewInvoiceDialog(RecordDialog):
    """``created`` (the ``saved`` signal) carries the new InvoiceDetail."""

    enter_closes = True

    def __init__(
        self,
        ctx: AppContext,
        job_id: int,
        summary: JobInvoicingSummary,
        kind: str = PROGRESS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "New invoice", parent, width=620)
        self.resize(620, 620)
        self.job_id = job_id
        self.summary = summary
        self.title_label.setText(f"New invoice for job {summary.job_number}")
        self.subtitle_label.setText(
            f"Job total {format_money(summary.job_total)} · remaining to invoice "
            f"{format_money(summary.remaining_to_invoice)}"
        )
        frame, box = card("Kind")
        self.kind_group = QButtonGroup(self)
        kinds = QHBoxLayout()
        self.kind_buttons: dict[str, QRadioButton] = {}
        for key, text in KIND_LABELS.items():
            button = QRadioButton(text)
            self.kind_group.addButton(button)
            self.kind_buttons[key] = button
            kinds.addWidget(button)
            button.toggled.connect(self._kind_changed)
        kinds.addStretch(1)
        box.addLayout(kinds)
        self.share_form = Form(self.errors)
        self.by_percent = QRadioButton("Percent of the job")
        self.by_amount = QRadioButton("Fixed amount")
        self.by_percent.setChecked(True)
        self.by = QButtonGroup(self)
        self.by.addButton(self.by_percent)
        self.by.addButton(self.by_amount)
        self.by_percent.toggled.connect(self._by_changed)
        self.percent = line(placeholder="e.g. 30")
        self.amount = line(placeholder="e.g. 2,500.00")
        self.share_form.add("by_percent", "Bill by", self.by_percent)
        self.share_form.add("by_amount", " ", self.by_amount)
        self.share_form.add("percent", "Percent (%)", self.percent)
        self.share_form.add("amount", "Amount ($)", self.amount)
        box.addWidget(self.share_form)
        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        box.addWidget(self.hint)
        self.body_layout.addWidget(frame)

        frame, box = card("Terms")
        form = Form(self.errors)
        terms = ctx.read(terms_svc.list_terms)
        self.terms = form.add(
            "terms_id",
            "Terms",
            static_picker([(t.name, t.id) for t in terms], noun="terms", none_text="Default terms"),
        )
        self.due_date = form.add("due_date", "Due date (fixed-date terms)", DateField(optional=True))
        self.memo = form.add("memo", "Memo (internal)", line(max_length=4095), span=2)
        self.customer_notes = form.add("customer_notes", "Message to the customer", notes(height=60), span=2)
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.save_button.setText("Create invoice")
        self.tracker.watch(self.percent, self.amount, self.memo, self.customer_notes)
        self.kind_buttons[kind].setChecked(True)
        self._kind_changed()
        self._by_changed()

    def kind(self) -> str:
        return next(key for key, button in self.kind_buttons.items() if button.isChecked())

    def _kind_changed(self, *_: object) -> None:
        partial = self.kind() != FULL
        self.share_form.setVisible(partial)
        remaining = format_money(self.summary.remaining_to_invoice)
        self.hint.setText(
            f"Bills what is left of the job: {remaining}."
            if not partial
            else f"At most the remaining {remaining} can be invoiced; the job is never billed over 100%."
        )

    def _by_changed(self, *_: object) -> None:
        self.percent.setEnabled(self.by_percent.isChecked())
        self.amount.setEnabled(self.by_amount.isChecked())

    def persist(self) -> svc.InvoiceDetail:
        options: dict[str, object] = {
            "terms_id": self.terms.checked_value("terms_id"),
            "due_date": self.due_date.value(),
            "memo": self.memo.text(),
            "customer_notes": self.customer_notes.toPlainText(),
        }
        kind = self.kind()
        if kind == FULL:
            return self.ctx.write(svc.create_invoice, self.job_id, changes=("invoice", "job"), **options)
        if self.by_percent.isChecked():
            options["percent"] = self.percent.text().strip().rstrip("%") or None
        else:
            options["amount"] = self.amount.text().strip() or None
        if options.get("percent") is None and options.get("amount") is None:
            from desktop_app.errors import ValidationError

            field = "percent" if self.by_percent.isChecked() else "amount"
            raise ValidationError(field, "Enter the percent or the amount to invoice.")
        creator = svc.create_progress_invoice if kind == PROGRESS else svc.create_deposit_invoice
        return self.ctx.write(creator, self.job_id, changes=("invoice", "job"), **options)
