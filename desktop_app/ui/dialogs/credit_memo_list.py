"""A list of credit memos (a job's, or a customer's own and its jobs') with New and Open.

The job window and the customer window both show one. A credit memo window closes and
the credit memo is still there to reopen (to apply what is left of it, or void it). The
list follows every credit memo saved, applied or voided anywhere in the application:
``AppContext.write`` broadcasts those as a "credit_memo" change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop_app.domain.money import format_money
from desktop_app.domain.status import label
from desktop_app.services import credit_memo_details as details
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.credit_memo import CreditMemoDialog
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.list_page import make_table, size_columns

#: The job window: every credit is the job's, so which invoices each went to matters most.
JOB_CREDIT_COLUMNS = (
    Column("number", "Credit #", width=110),
    Column("reason", "Reason", width=130),
    Column("total", "Amount", kind="money", width=120),
    Column("applied_to", "Applied to", width=260, stretch=True),
    Column("remaining", "Left", kind="money", width=110),
    Column("status", "Status", kind="status", width=100),
)
#: The customer window: the customer's own credits and its jobs' ones, told apart by the job.
CUSTOMER_CREDIT_COLUMNS = (
    Column("number", "Credit #", width=100),
    Column("credit_date", "Date", kind="date", width=100),
    Column("job", "Job", width=100),
    Column("reason", "Reason", width=110),
    Column("total", "Amount", kind="money", width=110),
    Column("remaining", "Left to apply", kind="money", width=120),
    Column("status", "Status", kind="status", width=90, stretch=True),
)


def credit_row(credit: details.CreditMemoRow) -> dict[str, Any]:
    return {
        "id": credit.id,
        "number": credit.number,
        "credit_date": credit.credit_date,
        "job": credit.job_number or "—",
        "reason": label(credit.reason.value),
        "total": credit.total,
        "applied_to": ", ".join(f"{a.invoice_number} ({format_money(a.amount)})" for a in credit.applications)
        or "—",
        "remaining": credit.remaining,
        "status": credit.status.value,
    }


class CreditMemoList(QWidget):
    """The table and its New credit… / Open credit buttons; the caller puts it in a card."""

    #: The list was read again because a credit memo changed (figures that count credits
    #: beside it, such as the customer's open balance, are stale now).
    credits_changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        columns: Sequence[Column],
        *,
        height: int = 110,
        before_new: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: int | None = None
        self.job_id: int | None = None
        #: Asked before a new credit memo is started (the job window saves its edits first).
        self.before_new = before_new
        self.last_dialog: CreditMemoDialog | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.model = RowsTableModel(columns)
        self.table = make_table()
        self.table.setModel(self.model)
        size_columns(self.table, columns)
        self.table.setMinimumHeight(height)
        self.table.doubleClicked.connect(lambda *_: self.open_credit())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        box.addWidget(self.table)
        row = QHBoxLayout()
        self.new_button = QPushButton(icon("plus"), "New credit…")
        self.new_button.setToolTip("A refund, discount or warranty credit for this customer or a job.")
        self.new_button.clicked.connect(self.new_credit)
        self.open_button = QPushButton(icon("edit"), "Open credit")
        self.open_button.setToolTip("Apply what is left of the credit to open invoices, or void it.")
        self.open_button.clicked.connect(self.open_credit)
        row.addWidget(self.new_button)
        row.addWidget(self.open_button)
        row.addStretch(1)
        box.addLayout(row)
        ctx.changed.connect(self._others_changed)
        self._enable()

    def show_for(self, customer_id: int | None, job_id: int | None = None) -> None:
        """List a job's credit memos, or (no job) all of a customer's."""
        self.customer_id, self.job_id = customer_id, job_id
        self.reload()

    def reload(self) -> None:
        if self.customer_id is None and self.job_id is None:
            self.model.set_rows([])
        else:
            keep = self.selected()
            credits = self.ctx.read(
                details.list_credit_memos, customer_id=self.customer_id, job_id=self.job_id
            )
            self.model.set_rows([credit_row(c) for c in credits])
            if keep is not None:
                self.select(keep["id"])
        self._enable()

    def _others_changed(self, kind: str) -> None:
        if kind == "credit_memo" and (self.customer_id is not None or self.job_id is not None):
            self.reload()
            self.credits_changed.emit()

    def selected(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row if isinstance(row, dict) else None

    def select(self, credit_id: int) -> None:
        for number, row in enumerate(self.model.rows):
            if row["id"] == credit_id:
                self.table.selectRow(number)

    def _enable(self) -> None:
        self.new_button.setEnabled(self.customer_id is not None)
        self.open_button.setEnabled(self.selected() is not None)

    def new_credit(self) -> CreditMemoDialog | None:
        if self.customer_id is None or (self.before_new is not None and not self.before_new()):
            return None
        dialog = CreditMemoDialog(
            self.ctx, parent=self.window(), customer_id=self.customer_id, job_id=self.job_id
        )
        return self._show(dialog)

    def open_credit(self) -> CreditMemoDialog | None:
        row = self.selected()
        if row is None:
            return None
        return self._show(CreditMemoDialog(self.ctx, row["id"], self.window()))

    def _show(self, dialog: CreditMemoDialog) -> CreditMemoDialog:
        # Saves and voids are broadcast ("credit_memo"), which reloads the list; reading it
        # again when the window closes as well costs one query and needs no such promise.
        dialog.finished.connect(lambda *_: self.reload())
        self.last_dialog = dialog
        dialog.show()
        return dialog


__all__ = ["CUSTOMER_CREDIT_COLUMNS", "JOB_CREDIT_COLUMNS", "CreditMemoList", "credit_row"]
