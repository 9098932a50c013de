"""The invoice window: lines, terms, dates, addresses, totals, payments and credits; print and PDF."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableView, QWidget

from desktop_app.errors import JobDeskError
from desktop_app.services import invoices as svc
from desktop_app.services import jobs as job_svc
from desktop_app.services import terms as terms_svc
from desktop_app.services.credit_memo_details import credits_for_invoice
from desktop_app.services.invoice_print import PrintableInvoice, printable_invoice
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import RecordDialog, card
from desktop_app.ui.models.columns import Column, format_value
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.printing import default_paper, print_invoice, write_pdf
from desktop_app.ui.tasks import TaskHandle, TaskProgress
from desktop_app.ui.widgets.forms import DateField, Form, line, notes
from desktop_app.ui.widgets.list_page import make_table, size_columns
from desktop_app.ui.widgets.pickers import static_picker
from desktop_app.ui.widgets.stats import StatRow

LINE_COLUMNS = (
    Column("description", "Description", width=380, stretch=True),
    Column("quantity", "Qty", kind="number", width=70),
    Column("rate", "Rate", kind="money", width=110),
    Column("amount", "Amount", kind="money", width=120),
    Column("taxable", "Tax", kind="bool", width=60),
)


class InvoiceDialog(RecordDialog):
    def __init__(self, ctx: AppContext, invoice_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Invoice", parent, width=980)
        self.resize(980, 860)
        self.pdf_task: TaskHandle | None = None
        self.stats = StatRow(
            [
                ("subtotal", "Subtotal"),
                ("tax", "Tax"),
                ("total", "Total"),
                ("paid", "Paid"),
                ("credits", "Credits"),
                ("balance", "Balance due"),
            ]
        )
        self.body_layout.addWidget(self.stats)

        frame, box = card("Details")
        form = Form(self.errors, columns=3)
        self.customer = form.add("customer", "Customer", line())
        self.job = form.add("job", "Job", line())
        self.kind = form.add("kind", "Kind", line())
        self.invoice_date = form.add("invoice_date", "Invoice date", line())
        terms = ctx.read(terms_svc.list_terms)
        self.terms = form.add(
            "terms_id",
            "Terms",
            static_picker([(t.name, t.id) for t in terms], noun="terms", none_text="No terms"),
        )
        self.due_date = form.add("due_date", "Due date", DateField(optional=True))
        for widget in (self.customer, self.job, self.kind, self.invoice_date):
            widget.setReadOnly(True)
        box.addWidget(form)
        addresses = QHBoxLayout()
        self.bill_to = QLabel()
        self.ship_to = QLabel()
        for caption, label in (("Bill to", self.bill_to), ("Service address", self.ship_to)):
            column, inner = card(caption)
            label.setWordWrap(True)
            inner.addWidget(label)
            inner.addStretch(1)
            addresses.addWidget(column)
        box.addLayout(addresses)
        self.body_layout.addWidget(frame)

        frame, box = card("Lines")
        self.line_model = RowsTableModel(LINE_COLUMNS)
        table = QTableView()
        table = make_table()
        table.setModel(self.line_model)
        size_columns(table, LINE_COLUMNS)
        table.setMinimumHeight(200)
        box.addWidget(table)
        self.body_layout.addWidget(frame)

        frame, box = card("Messages")
        form = Form(self.errors)
        self.memo = form.add("memo", "Memo (internal, sent to QuickBooks)", line(max_length=4095))
        self.customer_notes = form.add("customer_notes", "Message to the customer", notes(height=60))
        box.addWidget(form)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)
        self.tracker.watch(self.terms, self.due_date, self.memo, self.customer_notes)

        self.print_button = self.header_button("Print…", self.print_invoice)
        self.pdf_button = self.header_button("Export PDF…", self.export_pdf)
        self.send_button = self.header_button("Send", self.send, primary=True)
        self.add_history_tab("invoice")
        self.set_record(ctx.read(svc.get_invoice, invoice_id))
        ctx.changed.connect(self._others_changed)

    def _others_changed(self, kind: str) -> None:
        """A payment or credit applied elsewhere: the figures follow; what is typed here stays."""
        if kind not in ("payment", "credit_memo", "invoice") or self.record is None:
            return
        try:
            fresh = self.ctx.read(svc.get_invoice, self.record.id)
        except JobDeskError:
            return  # gone meanwhile: saving says so
        self._show_figures(fresh)
        editable = ("memo", "customer_notes", "terms_id", "due_date")
        if all(getattr(fresh, name) == getattr(self.record, name) for name in editable):
            # Only what follows from payments and credits changed: saving what is typed here
            # takes the newer version (no false "another user changed it"). A change of these
            # fields elsewhere keeps the old one, so saving then says so and nothing is lost.
            self.record = fresh

    def load(self, record: svc.InvoiceDetail | None) -> None:
        if record is None:
            return
        self.title_label.setText(f"Invoice {record.number}")
        sent = "sent" if record.sent_at or record.issued_at else "not sent yet"
        qb = "in QuickBooks" if record.in_quickbooks else "not in QuickBooks yet"
        self.subtitle_label.setText(
            f"{record.customer_name} · {record.status.value.capitalize()} · {sent} · {qb}"
        )
        self.customer.setText(record.customer_name)
        self.job.setText(record.job_number or "Several jobs")
        kind = record.kind.value.capitalize()
        self.kind.setText(f"{kind} {format_value(record.percent, 'percent')}".strip())
        self.invoice_date.setText(format_value(record.invoice_date, "date"))
        self.terms.set_value(record.terms_id)
        self.due_date.set_value(record.due_date)
        self.memo.setText(record.memo)
        self.customer_notes.setPlainText(record.customer_notes)
        street, unit, city, state, zip_code = record.bill_address
        self.bill_to.setText(
            "\n".join(
                p
                for p in (
                    record.bill_name or record.customer_name,
                    f"{street} {unit}".strip(),
                    f"{city}, {state} {zip_code}".strip(", "),
                )
                if p.strip()
            )
        )
        self.ship_to.setText(self.service_address(record) or "—")
        self.line_model.set_rows(record.lines)
        self._show_figures(record)

    def _show_figures(self, record: svc.InvoiceDetail) -> None:
        for key, value in (
            ("subtotal", record.subtotal),
            ("tax", record.tax),
            ("total", record.total),
            ("paid", record.amount_paid + record.deposit_credit),
            ("credits", record.credits_applied),
            ("balance", record.balance),
        ):
            self.stats.set(key, format_value(value, "money") or "$0.00")
        self._show_credits(record)
        live = record.status.value != "void"
        self.send_button.setEnabled(live)
        self.save_button.setEnabled(live)

    def _show_credits(self, record: svc.InvoiceDetail) -> None:
        """Total − Paid − Credits = Balance due; most invoices have no credits, so no card."""
        card = self.stats.cards["credits"]
        card.setVisible(record.credits_applied != 0)
        applied = self.ctx.read(credits_for_invoice, record.id) if record.credits_applied else ()
        card.setToolTip(
            "\n".join(
                f"Credit memo {c.number} ({format_value(c.credit_date, 'date')}): "
                f"{format_value(c.amount, 'money')}"
                for c in applied
            )
        )

    def service_address(self, record: svc.InvoiceDetail) -> str:
        if record.job_id is None:
            return ""
        job = self.ctx.read(job_svc.get_job, record.job_id)
        return job.location.one_line if job.location else ""

    def persist(self) -> svc.InvoiceDetail:
        record = self.record
        changes: dict[str, object] = {
            "memo": self.memo.text(),
            "customer_notes": self.customer_notes.toPlainText(),
        }
        if record.kind.value not in ("progress", "deposit"):
            terms_id = self.terms.checked_value("terms_id")
            if terms_id != record.terms_id:
                changes["terms_id"] = terms_id
            if self.due_date.value() != record.due_date:
                changes["due_date"] = self.due_date.value()
        return self.ctx.write(
            svc.update_invoice, record.id, expected_version=record.version, changes=("invoice",), **changes
        )

    def reload_record(self) -> svc.InvoiceDetail:
        return self.ctx.read(svc.get_invoice, self.record.id)

    def send(self) -> None:
        record = self.record
        ok, result = self.ctx.attempt(
            self, lambda: self.ctx.write(svc.issue_invoice, record.id, changes=("invoice",))
        )
        if ok:
            self.set_record(result)

    # -- paper -------------------------------------------------------------------------------------
    def printable(self) -> PrintableInvoice:
        """What goes on paper, read now (the PDF and the printout show the saved invoice)."""
        return self.ctx.read(printable_invoice, self.record.id)

    def export_pdf(self, path: str | None = None) -> TaskHandle | None:
        target = path or self.ctx.prompts.save_file(
            self, "Export invoice to PDF", f"Invoice {self.record.number}.pdf", "PDF files (*.pdf)"
        )
        if not target:
            return None
        document = self.printable()
        paper = default_paper()
        self.pdf_button.setEnabled(False)

        def work(progress: TaskProgress) -> str:
            progress.report(0, 1, "Writing PDF")
            return str(write_pdf(document, target, paper))

        def done(result: object) -> None:
            self.pdf_button.setEnabled(True)
            self.show_message("")
            self.exported_path = str(result)

        def failed(exc: BaseException) -> None:
            self.pdf_button.setEnabled(True)
            self.ctx.report(self, exc, title="Export PDF")

        self.pdf_task = self.ctx.tasks.start("invoice-pdf", work, on_success=done, on_error=failed)
        return self.pdf_task

    def print_invoice(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            print_invoice(self.printable(), printer)
