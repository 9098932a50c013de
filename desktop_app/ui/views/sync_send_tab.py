"""The sync center's Send tab (choose records to send) and Import tab (first-run import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop_app.services import sync_center, sync_held_back, sync_queue
from desktop_app.services.queue_states import MOVING
from desktop_app.services.settings import get_setting
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.list_page import make_table, size_columns

Index = QModelIndex | QPersistentModelIndex
#: How many records the Send tab lists (the oldest first are the most overdue).
SEND_LIMIT = 1000
IMPORT_STEPS = len(sync_center.FIRST_RUN_IMPORTS)


@dataclass(frozen=True)
class SendRow:
    entity_type: str
    id: int
    kind: str
    number: str
    customer_name: str
    on: date
    amount: Decimal
    reason: str


SEND_COLUMNS = (
    Column("kind", "Kind", width=90),
    Column("number", "Number / reference", width=140),
    Column("customer_name", "Customer", width=220),
    Column("on", "Date", kind="date", width=100),
    Column("amount", "Amount", kind="money", width=110),
    Column("reason", "Why not in QuickBooks yet", width=360, stretch=True),
)


class CheckableRowsModel(RowsTableModel):
    """Rows with a checkbox in the first column."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        super().__init__(columns)
        self.checked: set[tuple[str, int]] = set()

    def set_rows(self, rows: Any) -> None:
        keys = {(r.entity_type, r.id) for r in rows}
        self.checked &= keys
        super().set_rows(rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0:
            row = self.row_at(index.row())
            if row is None:
                return None
            key = (row.entity_type, row.id)
            return Qt.CheckState.Checked if key in self.checked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        row = self.row_at(index.row())
        if row is None:
            return False
        self.set_checked(index.row(), value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2))
        return True

    def set_checked(self, number: int, on: bool) -> None:
        row = self.row_at(number)
        if row is None:
            return
        key = (row.entity_type, row.id)
        if on:
            self.checked.add(key)
        else:
            self.checked.discard(key)
        cell = self.index(number, 0)
        self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.CheckStateRole])

    def set_all(self, on: bool) -> None:
        self.checked = {(r.entity_type, r.id) for r in self.rows} if on else set()
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))


def records_not_in_quickbooks(uow: Any) -> list[SendRow]:
    """The invoices and payments the trigger settings hold back, each with its reason."""
    return [
        SendRow(
            r.entity_type,
            r.entity_id,
            r.entity_type.capitalize(),
            r.number,
            r.customer_name,
            r.on,
            r.amount,
            r.reason,
        )
        for r in sync_held_back.list_held_back(uow)[:SEND_LIMIT]
    ]


class SendTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 10, 0, 0)
        bar = QHBoxLayout()
        hint = QLabel(
            "Invoices and payments not in QuickBooks and not queued, with what will send them. "
            "Tick the ones to send now."
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        bar.addWidget(hint, 1)
        self.all_button = QPushButton("Select all")
        self.all_button.clicked.connect(
            lambda: self.model.set_all(len(self.model.checked) < len(self.model.rows))
        )
        bar.addWidget(self.all_button)
        self.everything_button = QPushButton(icon("sync"), "Send everything pending")
        self.everything_button.clicked.connect(self.send_everything)
        bar.addWidget(self.everything_button)
        self.send_button = QPushButton(icon("upload", "#ffffff"), "Send selected to QuickBooks")
        self.send_button.setObjectName("primaryButton")
        self.send_button.clicked.connect(self.send_selected)
        bar.addWidget(self.send_button)
        box.addLayout(bar)
        self.model = CheckableRowsModel(SEND_COLUMNS)
        self.table = make_table()
        self.table.setModel(self.model)
        size_columns(self.table, SEND_COLUMNS)
        self.table.doubleClicked.connect(
            lambda index: self.model.set_checked(
                index.row(),
                (lambda r: (r.entity_type, r.id) not in self.model.checked)(self.model.rows[index.row()]),
            )
        )
        box.addWidget(self.table, 1)
        self.message = QLabel("")
        self.message.setObjectName("banner")
        self.message.hide()
        box.addWidget(self.message)
        self.model.dataChanged.connect(lambda *_: self._update_button())
        self.model.modelReset.connect(self._update_button)

    def _update_button(self) -> None:
        count = len(self.model.checked)
        self.send_button.setEnabled(count > 0)
        self.send_button.setText(
            f"Send {count} selected to QuickBooks" if count else "Send selected to QuickBooks"
        )

    def refresh(self, stamp: object = None, *, force: bool = False) -> None:
        ok, rows = self.ctx.attempt(self, lambda: self.ctx.read(records_not_in_quickbooks))
        if ok and rows is not None:
            self.model.set_rows(rows)

    def send_selected(self) -> int:
        records = sorted(self.model.checked)
        if not records:
            return 0
        ok, count = self.ctx.attempt(
            self, lambda: self.ctx.write(sync_queue.send_records, records, changes=("sync",))
        )
        if ok:
            self._say(f"{count} record{'s' if count != 1 else ''} queued; they go at the next sync.")
            self.model.set_all(False)
        return int(count or 0)

    def send_everything(self) -> int:
        ok, count = self.ctx.attempt(
            self, lambda: self.ctx.write(sync_queue.send_everything_pending, changes=("sync",))
        )
        if ok:
            self._say(f"{count} record{'s' if count != 1 else ''} queued; they go at the next sync.")
        return int(count or 0)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()


class ImportTab(QWidget):
    """First-run import wizard: what is imported, Start, progress from the queue, done."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.state = "ready"
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 16, 0, 0)
        box.setSpacing(12)
        title = QLabel("Bring your QuickBooks lists into JobDesk")
        title.setObjectName("sectionTitle")
        box.addWidget(title)
        text = QLabel(
            "Do this once, when you start using JobDesk with an existing QuickBooks company. At the next "
            "Web Connector session JobDesk reads from QuickBooks:\n"
            "  •  accounts (income accounts for your items)\n"
            "  •  payment terms (Net 30, Due on receipt…)\n"
            "  •  sales tax items\n"
            "  •  service and material items (your price book)\n"
            "  •  customers and jobs\n\n"
            "Nothing in QuickBooks is changed. Records JobDesk already has are matched by name, "
            "not copied twice."
        )
        text.setWordWrap(True)
        box.addWidget(text)
        row = QHBoxLayout()
        self.start_button = QPushButton(icon("download", "#ffffff"), "Start import")
        self.start_button.setObjectName("primaryButton")
        self.start_button.clicked.connect(self.start_import)
        row.addWidget(self.start_button)
        row.addStretch(1)
        box.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, IMPORT_STEPS)
        self.progress.hide()
        box.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        box.addWidget(self.status)
        box.addStretch(1)

    def start_import(self) -> bool:
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(sync_center.start_first_run_import, changes=("sync",)),
            title="Import",
        )
        if ok:
            self.state = "waiting"
            self.refresh(force=True)
        return ok

    def refresh(self, stamp: object = None, *, force: bool = False) -> None:
        def load(uow: Any) -> tuple[int, bool]:
            page = sync_center.list_queue(uow, limit=50)
            pending = sum(1 for r in page.rows if r.entity_type == "import" and r.state in MOVING)
            return pending, bool(get_setting(uow, "sync.import_done"))

        ok, result = self.ctx.attempt(self, lambda: self.ctx.read(load))
        if not ok or result is None:
            return
        pending, done = result
        if pending:
            self.state = "waiting"
            self.progress.show()
            self.progress.setValue(max(0, IMPORT_STEPS - pending))
            self.status.setText(
                f"Import queued: {IMPORT_STEPS - pending} of {IMPORT_STEPS} lists read so far. "
                "It runs at the "
                "next Web Connector session (press Sync now to start one)."
            )
            self.start_button.setEnabled(False)
        elif done or self.state == "waiting":
            self.state = "done"
            self.progress.show()
            self.progress.setValue(IMPORT_STEPS)
            self.status.setText("✔ Import finished. Your QuickBooks lists are in JobDesk.")
            self.start_button.setEnabled(True)
            self.start_button.setText("Import again")
        else:
            self.progress.hide()
            self.status.setText("Not imported yet.")
            self.start_button.setEnabled(self.ctx.actor.is_admin)
