"""Job details: lines, status actions, dates, notes, the job's invoices, totals, QuickBooks."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QTableView, QWidget

from desktop_app.domain.money import format_money
from desktop_app.domain.status import JobStatus, label
from desktop_app.services import invoice_queries as queries
from desktop_app.services import invoices as invoice_svc
from desktop_app.services import jobs as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.dialogs.credit_memo import CreditMemoDialog
from desktop_app.ui.dialogs.credit_memo_list import JOB_CREDIT_COLUMNS, CreditMemoList
from desktop_app.ui.dialogs.document import DocumentDialog
from desktop_app.ui.dialogs.job_number import ChangeJobNumberDialog
from desktop_app.ui.dialogs.new_invoice import FULL, KIND_LABELS, NewInvoiceDialog
from desktop_app.ui.dialogs.pay import PayInvoiceDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.forms import DateField, Form, line, notes
from desktop_app.ui.widgets.list_page import make_table, size_columns
from desktop_app.ui.widgets.qb_panel import QuickBooksPanel
from desktop_app.ui.widgets.stats import StatRow

INVOICE_COLUMNS = (
    Column("number", "Invoice #", width=110),
    Column("kind", "Kind", get=lambda r: str(r["kind"]).capitalize(), width=100),
    Column("amount", "Amount", kind="money", width=120),
    Column("percent", "%", kind="percent", width=80),
    Column("status", "Status", kind="status", width=100),
    Column("due_date", "Due", kind="date", width=110),
    Column("balance", "Balance", kind="money", width=120, stretch=True),
)
SEGMENT_COLUMNS = (
    Column("number", "Job #", width=110),
    Column("name", "Segment", width=260, stretch=True),
    Column("status", "Status", kind="status", width=110),
    Column("total", "Total", kind="money", width=120),
)


class JobDetailsDialog(DocumentDialog):
    def __init__(self, ctx: AppContext, job_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "New job" if job_id is None else "Job", parent)
        self.resize(1080, 900)
        self.summary: queries.JobInvoicingSummary | None = None
        self.stats = StatRow(
            [
                ("total", "Job total"),
                ("invoiced", "Invoiced"),
                ("paid", "Paid"),
                ("credited", "Credited"),
                ("remaining", "Remaining to invoice"),
                ("balance", "Balance due"),
            ]
        )
        self.body_layout.addWidget(self.stats)

        frame, box = card("Job")
        form = Form(self.errors, columns=3)
        self.name = form.add("name", "Job name", line(max_length=41))
        form.add("customer_id", "Customer", self.customer)
        form.add("location_id", "Service location", self.location)
        self.scheduled = form.add("scheduled_start", "Scheduled start", DateField(optional=True))
        self.started_field = form.add("started_on", "Started", line())
        self.finished_field = form.add("finished_on", "Finished", line())
        self.started_field.setReadOnly(True)
        self.finished_field.setReadOnly(True)
        self.notes = form.add("notes", "Notes", notes(height=60), span=3)
        box.addWidget(form)
        self.body_layout.addWidget(frame)

        frame, box = card("Lines")
        box.addWidget(self.lines)
        self.body_layout.addWidget(frame)

        self.invoices_card, box = card("Invoices")
        self.invoice_model = RowsTableModel(INVOICE_COLUMNS)
        self.invoice_table = self._table(self.invoice_model, INVOICE_COLUMNS)
        box.addWidget(self.invoice_table)
        row = QHBoxLayout()
        self.new_invoice_button = QPushButton(icon("plus", "#ffffff"), "New invoice")
        self.new_invoice_button.setObjectName("primaryButton")
        menu = QMenu(self.new_invoice_button)
        for kind, text in KIND_LABELS.items():
            menu.addAction(text, lambda k=kind: self.new_invoice(k))
        self.new_invoice_button.setMenu(menu)
        row.addWidget(self.new_invoice_button)
        self.invoice_buttons: dict[str, QPushButton] = {}
        for key, text, name in (
            ("send", "Send", "send"),
            ("pay", "Pay", "dollar"),
            ("edit", "Edit", "edit"),
            ("void", "Void", "x"),
        ):
            button = QPushButton(icon(name), text)
            button.clicked.connect(getattr(self, f"{key}_invoice"))
            self.invoice_buttons[key] = button
            row.addWidget(button)
        self.invoice_buttons["void"].setObjectName("dangerButton")
        row.addStretch(1)
        box.addLayout(row)
        self.invoice_table.selectionModel().selectionChanged.connect(
            lambda *_: self._enable_invoice_buttons()
        )
        self.body_layout.addWidget(self.invoices_card)

        self.credits_card, box = card("Credits")
        self.credits = CreditMemoList(ctx, JOB_CREDIT_COLUMNS, before_new=self._save_pending)
        box.addWidget(self.credits)
        self.credit_model, self.credit_table = self.credits.model, self.credits.table
        self.new_credit_button, self.open_credit_button = self.credits.new_button, self.credits.open_button
        self.body_layout.addWidget(self.credits_card)

        self.segments_card, box = card("Segments")
        self.segment_model = RowsTableModel(SEGMENT_COLUMNS)
        box.addWidget(self._table(self.segment_model, SEGMENT_COLUMNS, height=120))
        self.body_layout.addWidget(self.segments_card)

        self.qb_panel = QuickBooksPanel(ctx, "job")
        self.body_layout.addWidget(self.qb_panel)
        self.body_layout.addStretch(1)
        self.tracker.watch(self.name, self.customer, self.location, self.scheduled, self.notes)
        # The job's invoice list shows balances: a payment taken in another window changes them.
        ctx.changed.connect(self._others_changed)

        self.start_button = self.header_button("Start", lambda: self.transition(svc.start_job))
        self.finish_button = self.header_button(
            "Finish", lambda: self.transition(svc.finish_job), primary=True
        )
        self.cancel_job_button = self.header_button("Cancel job", self.cancel_job)
        self.reopen_button = self.header_button("Reopen", lambda: self.transition(svc.reopen_job))
        self.number_button = self.header_button("Change job number…", self.change_number)
        self.add_history_tab("job")
        self.set_record(ctx.read(svc.get_job, job_id) if job_id is not None else None)

    def _table(self, model: RowsTableModel, columns: tuple[Column, ...], height: int = 170) -> QTableView:
        table = make_table()
        table.setModel(model)
        size_columns(table, columns)
        table.setMinimumHeight(height)
        return table

    # -- loading -------------------------------------------------------------------------------
    def load(self, record: svc.JobDetail | None) -> None:
        self.name.setText(record.name if record else "")
        if record is not None:
            self.customer.set_customer(record.customer_id, record.customer_name)
            self._customer_changed(record.customer_id)
            self.set_location(record.location.id if record.location else None)
        self.scheduled.set_value(record.scheduled_start if record else None)
        self.started_field.setText(f"{record.started_on:%m/%d/%Y}" if record and record.started_on else "—")
        self.finished_field.setText(
            f"{record.finished_on:%m/%d/%Y}" if record and record.finished_on else "—"
        )
        self.notes.setPlainText(record.notes if record else "")
        self.lines.set_lines(record.lines if record else ())
        status = JobStatus(record.status) if record else JobStatus.OPEN
        closed = status in (JobStatus.FINISHED, JobStatus.CANCELLED)
        self.lines.set_read_only(closed)
        exists = record is not None
        self.start_button.setVisible(exists and status in (JobStatus.OPEN, JobStatus.SCHEDULED))
        self.finish_button.setVisible(exists and status is JobStatus.IN_PROGRESS)
        self.cancel_job_button.setVisible(exists and not closed)
        self.reopen_button.setVisible(exists and closed)
        self.number_button.setVisible(exists and self.ctx.actor.is_admin)
        for widget in (self.invoices_card, self.stats, self.credits_card):
            widget.setVisible(exists)
        self.segments_card.setVisible(bool(record and record.segment_ids))
        if record is None:
            self.title_label.setText("New job")
            self.subtitle_label.setText("Choose the customer and add the work to be done.")
            self.qb_panel.show_record(None)
            return
        self.title_label.setText(f"Job {record.number} · {record.name}")
        self.subtitle_label.setText(f"{record.customer_name} · {label(record.status)}")
        self.load_invoices()
        self.load_credits()
        self.load_segments(record)
        self.qb_panel.show_record(record.id)

    def _others_changed(self, kind: str) -> None:
        if kind in ("invoice", "payment", "credit_memo") and self.record is not None:
            self.load_invoices()

    def load_invoices(self) -> None:
        if self.record is None:
            return
        job_id = self.record.id
        summary = self.ctx.read(queries.job_invoicing_summary, job_id)
        due = {
            row.id: row.due_date
            for row in self.ctx.read(queries.list_invoices, job_id=job_id, limit=200).rows
        }
        self.summary = summary
        self.invoice_model.set_rows(
            [
                {
                    "id": i.id,
                    "number": i.number,
                    "kind": i.kind.value,
                    "amount": i.amount,
                    "percent": i.percent,
                    "status": i.status.value,
                    "due_date": due.get(i.id),
                    "balance": i.balance,
                }
                for i in summary.invoices
            ]
        )
        for key, value in (
            ("total", summary.job_total),
            ("invoiced", summary.invoiced),
            ("paid", summary.paid),
            ("credited", summary.credited),
            ("remaining", summary.remaining_to_invoice),
            ("balance", summary.balance_due),
        ):
            self.stats.set(key, format_money(value))
        self._enable_invoice_buttons()

    def load_credits(self) -> None:
        """The job's credit memos and the invoices each one is applied to."""
        if self.record is not None:
            self.credits.show_for(self.record.customer_id, self.record.id)

    def new_credit(self) -> CreditMemoDialog | None:
        return self.credits.new_credit()

    def open_credit(self) -> CreditMemoDialog | None:
        return self.credits.open_credit()

    @property
    def last_credit_dialog(self) -> CreditMemoDialog | None:
        return self.credits.last_dialog

    def load_segments(self, record: svc.JobDetail) -> None:
        rows = [self.ctx.read(svc.get_job, segment_id) for segment_id in record.segment_ids]
        self.segment_model.set_rows(
            [
                {"id": s.id, "number": s.number, "name": s.name, "status": s.status, "total": s.totals.total}
                for s in rows
            ]
        )

    # -- saving -----------------------------------------------------------------------------------
    def fields(self) -> svc.JobFields:
        customer_id = self.customer.customer_id()
        return svc.JobFields(
            customer_id=customer_id if customer_id is not None else 0,
            name=self.name.text(),
            location_id=self.location.checked_value("location_id"),
            scheduled_start=self.scheduled.value(),
            notes=self.notes.toPlainText(),
            lines=tuple(self.lines.lines()),
        )

    def persist(self) -> svc.JobDetail:
        if self.record is None:
            return self.ctx.write(svc.create_job, self.fields(), changes=("job",))
        return self.ctx.write(
            svc.update_job, self.record.id, self.record.version, self.fields(), changes=("job",)
        )

    def reload_record(self) -> svc.JobDetail | None:
        return self.ctx.read(svc.get_job, self.record.id) if self.record is not None else None

    # -- status ------------------------------------------------------------------------------------
    def _save_pending(self) -> bool:
        return not self.tracker.dirty or self.save()

    def transition(self, action: Any, **kwargs: Any) -> bool:
        if self.record is None or not self._save_pending():
            return False
        record = self.record
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(action, record.id, record.version, changes=("job",), **kwargs),
            on_reload=self._reload,
        )
        if ok:
            self.set_record(result)
        return ok

    def change_number(self) -> ChangeJobNumberDialog | None:
        """Admin: give the job another number (its invoices numbered after it follow)."""
        if self.record is None or not self.ctx.actor.is_admin or not self._save_pending():
            return None
        dialog = ChangeJobNumberDialog(self.ctx, self.record.id, self.record.number, self)
        dialog.accepted.connect(lambda: self._renumbered(dialog))
        self.last_number_dialog = dialog
        dialog.open()
        return dialog

    def _renumbered(self, dialog: ChangeJobNumberDialog) -> None:
        result = dialog.result_value
        self._reload()
        if result is not None:
            self.announce_saved(f"Job {result.old_number} renumbered {result.new_number}")

    def cancel_job(self) -> None:
        if self.record is None:
            return
        reason = self.ctx.prompts.ask_text(self, "Cancel job", "Why is the job cancelled? (optional)")
        if reason is not None:
            self.transition(svc.cancel_job, reason=reason)

    # -- invoices ----------------------------------------------------------------------------------
    def selected_invoice(self) -> dict[str, Any] | None:
        index = self.invoice_table.currentIndex()
        row = self.invoice_model.row_at(index.row()) if index.isValid() else None
        return row if isinstance(row, dict) else None

    def select_invoice(self, number: str) -> None:
        for row, invoice in enumerate(self.invoice_model.rows):
            if invoice["number"] == number:
                self.invoice_table.selectRow(row)

    def _enable_invoice_buttons(self) -> None:
        invoice = self.selected_invoice()
        live = invoice is not None and invoice["status"] != "void"
        self.invoice_buttons["send"].setEnabled(live)
        self.invoice_buttons["pay"].setEnabled(live and invoice is not None and invoice["balance"] > 0)
        self.invoice_buttons["edit"].setEnabled(invoice is not None)
        self.invoice_buttons["void"].setEnabled(live)

    def new_invoice(self, kind: str = FULL) -> NewInvoiceDialog | None:
        if self.record is None or self.summary is None or not self._save_pending():
            return None
        dialog = NewInvoiceDialog(self.ctx, self.record.id, self.summary, kind, self)
        dialog.saved.connect(lambda _: self.load_invoices())
        self.last_invoice_dialog = dialog
        dialog.show()
        return dialog

    def send_invoice(self) -> None:
        invoice = self.selected_invoice()
        if invoice is None:
            return
        ok, _ = self.ctx.attempt(
            self, lambda: self.ctx.write(invoice_svc.issue_invoice, invoice["id"], changes=("invoice",))
        )
        if ok:
            self.load_invoices()

    def pay_invoice(self) -> PayInvoiceDialog | None:
        invoice = self.selected_invoice()
        if invoice is None:
            return None
        dialog = PayInvoiceDialog(self.ctx, invoice["id"], invoice["number"], invoice["balance"], self)
        dialog.saved.connect(lambda _: self.load_invoices())
        self.last_pay_dialog = dialog
        dialog.show()
        return dialog

    def void_invoice(self) -> None:
        invoice = self.selected_invoice()
        if invoice is None:
            return
        reason = self.ctx.prompts.ask_text(
            self, f"Void invoice {invoice['number']}", "Reason for voiding (kept in the history):"
        )
        if reason is None:
            return
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                invoice_svc.void_invoice, invoice["id"], reason, changes=("invoice", "job")
            ),
        )
        if ok:
            self.load_invoices()

    def edit_invoice(self) -> None:
        invoice = self.selected_invoice()
        if invoice is None:
            return
        from desktop_app.ui.dialogs.invoice import InvoiceDialog

        dialog = InvoiceDialog(self.ctx, invoice["id"], self)
        dialog.saved.connect(lambda _: self.load_invoices())
        self.last_invoice_editor = dialog
        dialog.show()


__all__ = ["JobDetailsDialog"]
