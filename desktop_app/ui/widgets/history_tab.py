"""A record's "History" tab: its audit trail, newest first, with fields before → after."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from desktop_app.services import audit_log
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.widgets.list_page import make_table, size_columns

COLUMNS = (
    Column("at", "When", kind="datetime", width=160),
    Column("user_name", "User", width=140),
    Column("action", "Action", get=lambda row: str(row.action).replace("_", " ").capitalize(), width=110),
    Column("summary", "What happened", width=260),
    Column("changes_text", "Changes (before → after)", width=320, stretch=True),
)


class HistoryTab(QWidget):
    """Given ``(entity_type, entity_id)``, shows what happened to that record and who did it.

    Reloads when the record's kind changes anywhere in the application.
    """

    def __init__(
        self, ctx: AppContext, entity_type: str, entity_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyTab")
        self.ctx = ctx
        self.entity_type = entity_type
        self.entity_id = entity_id
        box = QVBoxLayout(self)
        box.setContentsMargins(28, 12, 28, 12)
        self.note = QLabel("")
        self.note.setObjectName("pageSubtitle")
        self.note.setWordWrap(True)
        box.addWidget(self.note)
        self.model = RowsTableModel(COLUMNS)
        self.table: QTableView = make_table()
        self.table.setModel(self.model)
        size_columns(self.table, COLUMNS)
        self.table.setWordWrap(True)
        box.addWidget(self.table, 1)
        ctx.changed.connect(self._changed)
        self.refresh()

    def set_record(self, entity_id: int | None) -> None:
        self.entity_id = entity_id
        self.refresh()

    def refresh(self) -> None:
        if self.entity_id is None:
            self.model.set_rows([])
            self.note.setText("The history starts when the record is first saved.")
            return
        rows = self.ctx.read(audit_log.history_for, self.entity_type, self.entity_id)
        self.model.set_rows(rows)
        count = len(rows)
        self.note.setText(
            f"{count} change{'' if count == 1 else 's'} recorded" if count else "No changes yet."
        )

    def _changed(self, kind: str) -> None:
        if kind == self.entity_type:
            self.refresh()
