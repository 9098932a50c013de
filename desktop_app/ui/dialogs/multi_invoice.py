"""A new invoice from the invoice list: one or several jobs of one customer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from desktop_app.domain.money import format_money
from desktop_app.errors import ValidationError
from desktop_app.services import invoices as svc
from desktop_app.services import jobs as job_svc
from desktop_app.services import terms as terms_svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.widgets.forms import Form, line
from desktop_app.ui.widgets.pickers import CustomerPicker, static_picker


class MultiJobInvoiceDialog(RecordDialog):
    enter_closes = True

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New invoice", parent, width=700)
        self.resize(700, 640)
        self.subtitle_label.setText("Bill one job, or several jobs of the same customer on one invoice.")
        frame, box = card()
        form = Form(self.errors)
        self.customer = CustomerPicker(ctx)
        self.customer.setCurrentIndex(-1)
        self.customer.customer_changed.connect(self._load_jobs)
        form.add("customer_id", "Customer", self.customer, span=2)
        self.jobs = QListWidget()
        self.jobs.setMinimumHeight(200)
        form.add("job_ids", "Jobs to bill", self.jobs, span=2, aliases=("lines",))
        terms = ctx.read(terms_svc.list_terms)
        self.terms = form.add(
            "terms_id",
            "Terms",
            static_picker([(t.name, t.id) for t in terms], noun="terms", none_text="Default terms"),
        )
        self.memo = form.add("memo", "Memo", line(max_length=4095))
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.save_button.setText("Create invoice")
        self.created: svc.InvoiceDetail | None = None

    def _load_jobs(self, customer_id: int | None) -> None:
        self.jobs.clear()
        if customer_id is None:
            return
        for job in self.ctx.read(job_svc.list_jobs, customer_id=customer_id, limit=200).rows:
            if job.status == "cancelled":
                continue
            item = QListWidgetItem(f"{job.number} · {job.name} · {format_money(job.total)}")
            item.setData(Qt.ItemDataRole.UserRole, job.id)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.jobs.addItem(item)

    def chosen_jobs(self) -> list[int]:
        return [
            int(self.jobs.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.jobs.count())
            if self.jobs.item(row).checkState() == Qt.CheckState.Checked
        ]

    def persist(self) -> svc.InvoiceDetail:
        customer_id = self.customer.customer_id()
        if customer_id is None:
            raise ValidationError("customer_id", "Choose the customer to invoice.")
        jobs = self.chosen_jobs()
        if not jobs:
            raise ValidationError("job_ids", "Tick at least one job to bill.")
        options = {"terms_id": self.terms.checked_value("terms_id"), "memo": self.memo.text()}
        if len(jobs) == 1:
            result = self.ctx.write(svc.create_invoice, jobs[0], changes=("invoice", "job"), **options)
        else:
            result = self.ctx.write(
                svc.create_multi_job_invoice, customer_id, jobs, changes=("invoice", "job"), **options
            )
        self.created = result
        return result
