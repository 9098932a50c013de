"""A credit memo: who is credited (customer or one of its jobs), why, lines from the price
book, and how much of it goes to each open invoice of that customer or job. Void it here.

One already in QuickBooks can still be changed (by an admin, as the service requires: the
change goes there as a Mod) and applied (by anyone); a void one is read-only.

The invoices offered are those QuickBooks would take the credit on: open invoices of the
same Customer:Job (a job's credit goes to that job's invoices).
"""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QTableWidgetItem, QWidget

from desktop_app.domain.money import ZERO, format_money
from desktop_app.domain.status import CreditReason, CreditStatus, label
from desktop_app.services import credit_memo_details as details
from desktop_app.services import credit_memos as svc
from desktop_app.services import invoice_queries as queries
from desktop_app.services import jobs as job_svc
from desktop_app.services.credit_memo_form import save_credit_memo
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.dialogs.document import DocumentDialog
from desktop_app.ui.widgets.forms import DateField, Form, combo, line, set_combo

REASONS = [(label(reason.value), reason.value) for reason in CreditReason]
NUMBER, JOB, DATE, BALANCE, APPLY = range(5)
_ID = Qt.ItemDataRole.UserRole


def _amount(text: str) -> str:
    return text.replace(",", "").replace("$", "").strip() or "0"


class CreditMemoDialog(DocumentDialog):
    def __init__(
        self,
        ctx: AppContext,
        credit_id: int | None = None,
        parent: QWidget | None = None,
        *,
        customer_id: int | None = None,
        job_id: int | None = None,
    ) -> None:
        super().__init__(ctx, "New credit memo" if credit_id is None else "Credit memo", parent)
        self._preset_job = job_id
        frame, box = card("Credit")
        form = Form(self.errors, columns=3)
        form.add("customer_id", "Customer", self.customer)
        self.job: QComboBox = form.add("job_id", "Job", combo([("The customer (no job)", None)]))
        self.reason = form.add("reason", "Reason", combo(REASONS, CreditReason.REFUND.value))
        self.credit_date = form.add("credit_date", "Date", DateField(date.today()))
        self.memo = form.add("memo", "Memo", line(max_length=svc.MAX_CREDIT_MEMO), span=2)
        box.addWidget(form)
        self.locked_note = QLabel("")
        self.locked_note.setObjectName("muted")
        self.locked_note.setWordWrap(True)
        self.locked_note.hide()
        box.addWidget(self.locked_note)
        self.body_layout.addWidget(frame)

        frame, box = card("Lines")
        box.addWidget(self.lines)
        self.body_layout.addWidget(frame)

        frame, box = card("Apply to open invoices")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Invoice #", "Job", "Date", "Balance", "Apply"])
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(150)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(lambda *_: self._update_remainder())
        box.addWidget(self.table)
        self.remainder = QLabel("")
        self.remainder.setObjectName("grandTotal")
        box.addWidget(self.remainder)
        self.body_layout.addWidget(frame)
        self.body_layout.addStretch(1)

        self.customer.customer_changed.connect(self._load_jobs)
        self.job.currentIndexChanged.connect(lambda *_: self._load_invoices())
        self.lines.changed.connect(self._update_remainder)
        self.tracker.watch(self.customer, self.job, self.reason, self.credit_date, self.memo)
        self.table.itemChanged.connect(lambda *_: self.tracker.mark())
        self.void_button = self.header_button("Void credit", self.void)
        self.void_button.setObjectName("dangerButton")
        self.add_history_tab(details.ENTITY)
        record = ctx.read(details.get_credit_memo, credit_id) if credit_id is not None else None
        self.set_record(record)
        if record is None and customer_id is not None:
            with self.tracker.paused():
                self.customer.set_customer(customer_id, "")
                self._customer_changed(customer_id)
                self._load_jobs(customer_id)

    # -- form ------------------------------------------------------------------------------------
    def _load_jobs(self, customer_id: int | None) -> None:
        keep = self.job.currentData() if self.record is None else self.record.job_id
        if self.record is None and self._preset_job is not None:
            keep = self._preset_job
        self.job.blockSignals(True)
        self.job.clear()
        self.job.addItem("The customer (no job)", None)
        if customer_id is not None:
            for row in self.ctx.read(job_svc.list_jobs, customer_id=customer_id, limit=500).rows:
                self.job.addItem(f"{row.number} · {row.name}", row.id)
        set_combo(self.job, keep)
        self.job.blockSignals(False)
        self._load_invoices()

    def load(self, record: details.CreditMemoDetail | None) -> None:
        live = record is not None and record.status is not CreditStatus.VOID
        self.void_button.setVisible(live)
        if record is None:
            self.subtitle_label.setText("A refund, discount or warranty credit, applied to open invoices.")
            self._update_remainder()
            return
        self.customer.set_customer(record.customer_id, record.customer_name)
        self._customer_changed(record.customer_id)
        self._load_jobs(record.customer_id)
        set_combo(self.reason, record.reason.value)
        self.credit_date.set_value(record.credit_date)
        self.memo.setText(record.memo)
        self.lines.set_lines(record.lines)
        # It keeps the rate it was made with (``credit_memos``): its totals here too.
        self.lines.tax_rate, self.lines.tax_exempt = record.tax_rate, False
        self.lines.recalculate()
        locked = self._why_read_only(record)
        self.lines.set_read_only(bool(locked))
        for widget in (self.customer, self.job, self.reason, self.credit_date, self.memo):
            widget.setEnabled(not locked)
        self.customer.setEnabled(False)  # a credit memo's customer never changes
        # Said only when the credit is live: a void one says so in its subtitle.
        self.locked_note.setText(locked if live else "")
        self.locked_note.setVisible(live and bool(locked))
        self.title_label.setText(f"Credit memo {record.number}")
        qb = " · in QuickBooks" if record.in_quickbooks else ""
        why = f" · {record.void_reason}" if record.void_reason else ""
        self.subtitle_label.setText(f"{record.customer_name} · {label(record.status.value)}{qb}{why}")
        self.save_button.setEnabled(live)
        self._load_invoices()

    def _why_read_only(self, record: details.CreditMemoDetail) -> str:
        """Why the credit itself (not where it is applied) cannot be changed ("" when it can)."""
        if record.status is CreditStatus.VOID:
            return "This credit memo is void."
        if record.in_quickbooks and not self.ctx.actor.is_admin:
            return (
                "This credit memo is already in QuickBooks: only an admin can change its lines, job, "
                "reason, date or memo. It can still be applied to invoices."
            )
        return ""

    def _load_invoices(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        choices: tuple[details.InvoiceChoice, ...] = ()
        if self.record is not None:
            choices = self.ctx.read(details.invoices_for_credit, self.record.id)
        rows = [
            (c.id, c.number, c.job_number or "", c.invoice_date, c.balance + c.applied_here, c.applied_here)
            for c in choices
        ]
        if self.record is None or self.job.currentData() != self.record.job_id:
            rows = self._open_invoices_for_new()  # (another job chosen: its own open invoices)
        editable = self.record is None or self.record.status is not CreditStatus.VOID
        for invoice_id, number, job_number, when, owed, applied in rows:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for column, text in (
                (NUMBER, number),
                (JOB, job_number),
                (DATE, f"{when:%m/%d/%Y}"),
                (BALANCE, format_money(owed)),
            ):
                cell = QTableWidgetItem(text)
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, cell)
            self.table.item(row, NUMBER).setData(_ID, invoice_id)
            apply = QTableWidgetItem(f"{applied:,.2f}" if applied else "")
            if not editable:
                apply.setFlags(apply.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, APPLY, apply)
        self.table.blockSignals(False)
        self._update_remainder()

    def _open_invoices_for_new(self) -> list[tuple[int, str, str, date, Decimal, Decimal]]:
        """Before the credit exists (or once another job is chosen for it): open invoices of
        the chosen customer or job."""
        customer_id = self.customer.customer_id()
        if customer_id is None:
            return []
        job_id = self.job.currentData()
        rows = self.ctx.read(queries.list_open_invoices_for_customer, customer_id)
        return [
            (r.id, r.number, r.job_number or "", r.invoice_date, r.balance, ZERO)
            for r in rows
            if r.job_id == job_id
        ]

    def applications(self) -> list[tuple[int, str]]:
        result = []
        for row in range(self.table.rowCount()):
            text = self.table.item(row, APPLY).text().strip()
            invoice_id = self.table.item(row, NUMBER).data(_ID)
            if text or (
                self.record is not None and invoice_id in {a.invoice_id for a in self.record.applications}
            ):
                result.append((int(invoice_id), _amount(text)))
        return result

    def _update_remainder(self) -> None:
        """What is left of the credit as its lines and amounts are typed (what saving would
        leave): a cell that is not a number counts for nothing here (saving says why)."""
        applied = ZERO
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, APPLY)
            with contextlib.suppress(InvalidOperation):
                value = Decimal(_amount(cell.text() if cell is not None else ""))
                applied += value if value.is_finite() else ZERO
        total = self.lines.current.total
        self.remainder.setText(f"Left to apply: {format_money(total - applied)}")

    # -- saving ------------------------------------------------------------------------------------
    def fields(self) -> svc.CreditMemoFields:
        customer_id = self.customer.customer_id()
        return svc.CreditMemoFields(
            customer_id=customer_id if customer_id is not None else 0,
            job_id=self.job.currentData(),
            reason=str(self.reason.currentData()),
            credit_date=self.credit_date.value(),
            memo=self.memo.text(),
            lines=tuple(self.lines.lines()),
        )

    def persist(self) -> details.CreditMemoDetail:
        record = self.record
        return self.ctx.write(
            save_credit_memo,
            record.id if record is not None else None,
            record.version if record is not None else 0,
            self.fields(),
            self.applications(),
            changes=("credit_memo", "invoice"),
        )

    def reload_record(self) -> details.CreditMemoDetail | None:
        return self.ctx.read(details.get_credit_memo, self.record.id) if self.record is not None else None

    def void(self) -> None:
        if self.record is None:
            return
        record = self.record
        reason = self.ctx.prompts.ask_text(
            self, f"Void credit memo {record.number}", "Reason for voiding (kept in the history):"
        )
        if reason is None:
            return
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                svc.void_credit_memo, record.id, reason, changes=("credit_memo", "invoice")
            ),
        )
        if ok:
            self.set_record(result)
            self.saved.emit(result)


__all__ = ["CreditMemoDialog"]
