"""What the next sync will do, before anything is sent: the preview widget.

Used on the connection wizard's last page and in Sync centre → "Preview next sync…". The
preview (``qbwc_server.sync.preview.build_preview``, a dry run in a rolled-back
transaction) is built off the UI thread: for a large queue it takes seconds. The widget
shows per kind how many records will be linked, created, updated, skipped or are in
conflict; the records themselves, filtered by kind and outcome and searched; and for the
selected one why, and the exact qbXML it would send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.context import AppContext
from desktop_app.ui.resources import icon
from desktop_app.ui.views.background_load import BackgroundLoad
from desktop_app.ui.widgets.list_page import SearchBox, make_table
from desktop_app.ui.widgets.xml_view import XmlView

ROW_COLUMNS = ("Kind", "Record", "What happens", "Why")
SUMMARY_ROW = 24
SUMMARY_HEADER = 34
_Index = QModelIndex | QPersistentModelIndex


def _labels() -> tuple[dict[str, str], dict[str, str], tuple[str, ...], tuple[str, ...]]:
    # The engine's words, imported where they are used (the GUI reaches the sync engine
    # through function-level imports only, as the queue tab's qbXML preview does).
    from qbwc_server.sync.preview import KIND_LABEL, KINDS, OUTCOME_LABEL, OUTCOMES

    return KIND_LABEL, OUTCOME_LABEL, KINDS, OUTCOMES


#: Short column headings of the summary (the full words are the tooltips).
OUTCOME_HEADING = {
    "link": "Link",
    "create": "Create",
    "update": "Update",
    "skip": "Skip",
    "conflict": "Conflict",
}


class PreviewRowsModel(QAbstractTableModel):
    """The preview's rows as filtered; a plain list, as the preview is built whole."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: tuple[Any, ...] = ()
        self._kind_label, self._outcome_label, _, _ = _labels()

    def set_rows(self, rows: tuple[Any, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ROW_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ROW_COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return self._kind_label.get(row.entity_type, row.entity_type)
            if column == 1:
                return row.label + ("  (needed first)" if row.needed_first else "")
            if column == 2:
                return self._outcome_label.get(row.outcome, row.outcome)
            return row.reason
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return row.reason
        return None


class SyncPreviewWidget(QWidget):
    """``refresh()`` rebuilds the preview from the current data; ``loaded`` says it is shown."""

    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: Any = None
        self.error = ""
        self._sized = False
        kind_label, outcome_label, kinds, outcomes = _labels()
        self._kinds, self._outcomes = kinds, outcomes
        self._kind_label, self._outcome_label = kind_label, outcome_label
        self._loader = BackgroundLoad(ctx, "sync preview", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(self._failed)
        # Rebuilt from the current data when anything changes (a burst of saves: once).
        self._stale = QTimer(self)
        self._stale.setSingleShot(True)
        self._stale.setInterval(400)
        self._stale.timeout.connect(self._rebuild_if_shown)
        ctx.changed.connect(self._data_changed)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(8)
        head = QHBoxLayout()
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        head.addWidget(self.status, 1)
        self.refresh_button = QPushButton(icon("refresh"), "&Refresh")
        self.refresh_button.setToolTip("Build the preview again from the current data")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.refresh_button)
        self.export_button = QPushButton(icon("download"), "&Export CSV…")
        self.export_button.setToolTip("Save the records shown (as filtered) to a CSV file for Excel")
        self.export_button.clicked.connect(self.export_csv)
        head.addWidget(self.export_button)
        box.addLayout(head)

        self.summary = QTableWidget(0, len(outcomes) + 2)
        self.summary.setObjectName("previewSummary")
        self.summary.setHorizontalHeaderLabels(
            ["Kind", *(OUTCOME_HEADING.get(o, o) for o in outcomes), "Total"]
        )
        self.summary.verticalHeader().hide()
        for number, outcome in enumerate(outcomes, start=1):
            header_item = self.summary.horizontalHeaderItem(number)
            if header_item is not None:
                header_item.setToolTip(outcome_label.get(outcome, outcome))
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.summary.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # Every kind and the total shown at once, without a scroll bar of its own.
        self.summary.verticalHeader().setDefaultSectionSize(SUMMARY_ROW)
        self.summary.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.summary.setMaximumHeight(SUMMARY_ROW * (len(kinds) + 1) + SUMMARY_HEADER)
        self.summary.setMinimumHeight(SUMMARY_ROW * 3 + SUMMARY_HEADER)
        self.summary.setShowGrid(False)
        # Summary above, records below: a small screen gives the records the room by dragging.
        self.vertical = QSplitter(Qt.Orientation.Vertical)
        self.vertical.setChildrenCollapsible(False)
        self.vertical.addWidget(self.summary)
        lower = QWidget()
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 6, 0, 0)
        lower_box.setSpacing(8)

        filters = QHBoxLayout()
        self.kind_filter = QComboBox()
        self.kind_filter.setObjectName("previewKind")
        self.kind_filter.addItem("All kinds", "")
        for kind in kinds:
            self.kind_filter.addItem(kind_label.get(kind, kind), kind)
        self.outcome_filter = QComboBox()
        self.outcome_filter.setObjectName("previewOutcome")
        self.outcome_filter.addItem("Everything", "")
        for outcome in outcomes:
            self.outcome_filter.addItem(outcome_label.get(outcome, outcome), outcome)
        self.search_box = SearchBox("Search records and reasons")
        self.search_box.setMinimumWidth(180)
        kind_caption = QLabel("&Kind:")
        kind_caption.setBuddy(self.kind_filter)
        outcome_caption = QLabel("&What happens:")
        outcome_caption.setBuddy(self.outcome_filter)
        filters.addWidget(kind_caption)
        filters.addWidget(self.kind_filter)
        filters.addWidget(outcome_caption)
        filters.addWidget(self.outcome_filter)
        filters.addWidget(self.search_box, 1)
        self.shown_label = QLabel("")
        self.shown_label.setObjectName("hint")
        filters.addWidget(self.shown_label)
        lower_box.addLayout(filters)
        self.kind_filter.currentIndexChanged.connect(self.apply_filter)
        self.outcome_filter.currentIndexChanged.connect(self.apply_filter)
        self.search_box.textChanged.connect(self.apply_filter)

        # The records on the left, the chosen one's reason and qbXML beside them.
        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = PreviewRowsModel()
        self.table = make_table()
        self.table.setObjectName("previewRows")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        for number, width in enumerate((100, 230, 160)):
            header.resizeSection(number, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.search_box.down.connect(self.table.setFocus)
        split.addWidget(self.table)
        detail = QWidget()
        detail_box = QVBoxLayout(detail)
        detail_box.setContentsMargins(6, 0, 0, 0)
        self.reason = QLabel("Select a record to see why, and the qbXML it would send.")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail_box.addWidget(self.reason)
        self.xml = XmlView("This record sends nothing.")
        detail_box.addWidget(self.xml, 1)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        lower_box.addWidget(split, 1)
        self.vertical.addWidget(lower)
        self.vertical.setStretchFactor(0, 0)
        self.vertical.setStretchFactor(1, 1)
        box.addWidget(self.vertical, 1)
        self._set_busy(False)

    # -- public ----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._loader.busy

    def _data_changed(self, _kind: str) -> None:
        if self.preview is not None:
            self._stale.start()

    def _rebuild_if_shown(self) -> None:
        # Hidden, it is rebuilt by whoever shows it next (the wizard's page, the dialog).
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Build the preview again from the current data (off the UI thread)."""
        from qbwc_server.sync.preview import build_preview

        db = self.ctx.db
        self._set_busy(True)
        self.status.setText("Building the preview from the current data…")
        self._loader.load(lambda: build_preview(db, with_xml=True))

    def shown_rows(self) -> tuple[Any, ...]:
        return self.model.rows

    def apply_filter(self) -> None:
        if self.preview is None:
            self.model.set_rows(())
            self.shown_label.setText("")
            self._show_selected()
            return
        rows = self.preview.filtered(
            kind=str(self.kind_filter.currentData() or ""),
            outcome=str(self.outcome_filter.currentData() or ""),
            search=self.search_box.text(),
        )
        self.model.set_rows(rows)
        total = len(self.preview.rows)
        self.shown_label.setText(f"{len(rows):,} of {total:,} shown" if len(rows) != total else f"{total:,}")
        if rows:
            self.table.selectRow(0)
        self._show_selected()

    def export_csv(self) -> Path | None:
        """Save the rows shown (as filtered) as CSV where the user chooses."""
        from qbwc_server.sync.preview import to_csv

        rows = self.model.rows
        if not rows:
            self.ctx.prompts.inform(self, "Export CSV", "There are no records to export (as filtered).")
            return None
        name = self.ctx.prompts.save_file(
            self, "Export the preview", "next-sync-preview.csv", "CSV files (*.csv)"
        )
        if not name:
            return None
        path = Path(name)
        try:
            # utf-8-sig: Excel on Windows reads the names' accents and curly quotes right.
            path.write_text(to_csv(rows), encoding="utf-8-sig", newline="")
        except OSError as exc:
            self.ctx.prompts.error(self, "Export CSV", f"The file could not be saved: {exc.strerror or exc}")
            return None
        self.status.setText(f"{len(rows):,} records exported to {path}.")
        return path

    # -- internal --------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy)
        self.export_button.setEnabled(not busy and self.preview is not None)

    def _show(self, preview: Any) -> None:
        self.preview = preview
        self.error = ""
        self._set_busy(False)
        self._fill_summary()
        since = ""
        if preview.imported_at:
            since = f" What QuickBooks has is as imported {_when(preview.imported_at)}."
        if not preview.rows:
            self.status.setText("The next sync sends nothing: no record of JobDesk's is waiting." + since)
        else:
            conflicts = preview.total("conflict")
            self.status.setText(
                f"The next sync: {len(preview.rows):,} records"
                + (f", {conflicts:,} in conflict (they are not sent as they are)" if conflicts else "")
                + ". Nothing has been sent."
                + since
            )
        self.apply_filter()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        from desktop_app.errors import JobDeskError
        from desktop_app.ui.errors import unexpected_message

        self._set_busy(False)
        self.error = str(exc) if isinstance(exc, JobDeskError) else unexpected_message()
        self.status.setText(f"The preview could not be built. {self.error}")
        self.loaded.emit()

    def _fill_summary(self) -> None:
        preview = self.preview
        kinds = [k for k in self._kinds if k in preview.counts] or list(self._kinds)
        self.summary.setRowCount(len(kinds) + 1)
        for row, kind in enumerate(kinds):
            counts = [preview.count(kind, outcome) for outcome in self._outcomes]
            self._summary_row(row, self._kind_label.get(kind, kind), [*counts, sum(counts)])
        totals = [preview.total(outcome) for outcome in self._outcomes]
        self._summary_row(len(kinds), "All", [*totals, sum(totals)])
        header = self.summary.horizontalHeader().sizeHint().height()
        frame = 2 * self.summary.frameWidth()
        full = SUMMARY_ROW * self.summary.rowCount() + header + frame
        self.summary.setMaximumHeight(full)
        room = self.vertical.height()
        if not self._sized and room > 0:  # once: later, where the person dragged it stays
            self._sized = True
            top = min(full, max(self.summary.minimumHeight(), room // 3))
            self.vertical.setSizes([top, max(1, room - top)])

    def _summary_row(self, row: int, label: str, values: list[int]) -> None:
        name = QTableWidgetItem(label)
        if label == "All":
            font = name.font()
            font.setBold(True)
            name.setFont(font)
        self.summary.setItem(row, 0, name)
        for column, value in enumerate(values, start=1):
            cell = QTableWidgetItem(f"{value:,}" if value else "–")
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.summary.setItem(row, column, cell)

    def summary_count(self, kind_label: str, outcome: str) -> str:
        """The summary's cell for a kind (its label, or "All") and an outcome (tests read it)."""
        column = 1 + (list(self._outcomes).index(outcome) if outcome != "total" else len(self._outcomes))
        for row in range(self.summary.rowCount()):
            name = self.summary.item(row, 0)
            if name is not None and name.text() == kind_label:
                cell = self.summary.item(row, column)
                return "" if cell is None else cell.text()
        return ""

    def _show_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            self.reason.setText(
                "Select a record to see why, and the qbXML it would send." if self.model.rows else ""
            )
            self.xml.set_xml("")
            return
        row = self.model.rows[index.row()]
        outcome = self._outcome_label.get(row.outcome, row.outcome)
        first = ""
        if row.needed_first:
            first = " It is not queued itself: the sync sends it because a record queued needs it."
        self.reason.setText(f"{row.label} — {outcome}. {row.reason}{first}")
        self.xml.set_xml(row.request_xml)


def _when(iso: str) -> str:
    """An import's time as the status bar says times (local; the date when not today)."""
    from datetime import UTC, datetime

    from desktop_app.ui.sync_status import local_time

    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return local_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
