"""A list screen: title, search-as-you-type, status filter, a paged table, actions.

Column widths, order and the sort column are remembered per list in QSettings.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import Fetch, PagedTableModel
from desktop_app.ui.resources import icon
from desktop_app.ui.widgets.column_fit import ColumnFitter
from desktop_app.ui.widgets.delegates import StatusDelegate


def make_table(parent: QWidget | None = None) -> QTableView:
    table = QTableView(parent)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(34)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setHighlightSections(False)
    table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    table.setItemDelegate(StatusDelegate(table))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return table


def size_columns(table: QTableView, columns: Sequence[Column]) -> None:
    header = table.horizontalHeader()
    for number, column in enumerate(columns):
        header.resizeSection(number, column.width)
        if column.stretch:
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)


class SearchBox(QLineEdit):
    """Search as you type; Down goes to the results below."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.down.emit()
            return
        super().keyPressEvent(event)

    def __init__(self, placeholder: str = "Search", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.addAction(icon("search", "#94a3b8"), QLineEdit.ActionPosition.LeadingPosition)
        self.setObjectName("searchBox")
        self.setMinimumWidth(280)


class ListPage(QWidget):
    """Emits ``activated(id)`` on double-click / Enter."""

    activated = Signal(int)
    selection_changed = Signal()

    def __init__(
        self,
        name: str,
        title: str,
        columns: Sequence[Column],
        fetch: Fetch,
        settings: QSettings,
        *,
        search_placeholder: str = "Search",
        filters: Sequence[tuple[str, str, Sequence[tuple[str, str]]]] = (),
        default_sort: tuple[str, bool] | None = None,
        noun: tuple[str, str] = ("record", "records"),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"list_{name}")
        self.name = name
        self._settings = settings
        self._noun = noun
        self.model = PagedTableModel(columns, fetch)
        self.refresh_kinds: set[str] = set()
        if default_sort:
            self.model.sort_key, self.model.descending = default_sort

        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(14)

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("pageTitle")
        self.count_label = QLabel("")
        self.count_label.setObjectName("pageSubtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.count_label)
        head.addLayout(titles)
        head.addStretch(1)
        self.actions_bar = QHBoxLayout()
        self.actions_bar.setSpacing(8)
        head.addLayout(self.actions_bar)
        outer.addLayout(head)

        bar = QHBoxLayout()
        bar.setSpacing(10)
        self.search_box = SearchBox(search_placeholder)
        self.search_box.textChanged.connect(self.model.search)
        self.search_box.down.connect(self.focus_results)
        bar.addWidget(self.search_box)
        self.filter_boxes: dict[str, QComboBox] = {}
        for key, label, choices in filters:
            box = QComboBox()
            box.setObjectName(f"filter_{key}")
            box.setToolTip(label)
            for text, value in choices:
                box.addItem(text, value)
            box.currentIndexChanged.connect(
                lambda _=0, k=key, b=box: self.model.set_filter(k, b.currentData())
            )
            self.filter_boxes[key] = box
            if choices and choices[0][1]:
                self.model.filters[key] = str(choices[0][1])
            bar.addWidget(box)
        bar.addStretch(1)
        outer.addLayout(bar)
        #: The search and filter row (a screen may add its own filter widgets before the stretch).
        self.filter_bar = bar

        self.table = make_table()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)
        size_columns(self.table, columns)
        # At 1024 × 768 every column stays in view: the wide ones give up room first.
        self.fitter = ColumnFitter(self.table, columns)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSectionsMovable(True)
        header.sectionClicked.connect(self._header_clicked)
        header.sectionResized.connect(lambda *_: self._save_state())
        header.sectionMoved.connect(lambda *_: self._save_state())
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self._activate_current)
        outer.addWidget(self.table, 1)

        self.empty_label = QLabel("")
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        outer.addWidget(self.empty_label)

        self.model.loaded.connect(self._loaded)
        self.model.loading_changed.connect(self._loading)
        self._count_text = ""
        self._reselect: int | None = None
        self._restore_state()

    # -- public -------------------------------------------------------------------------
    def add_action(self, text: str, icon_name: str = "", *, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        if icon_name:
            button.setIcon(icon(icon_name, "#ffffff" if primary else "#334155"))
        if primary:
            button.setObjectName("primaryButton")
        self.actions_bar.addWidget(button)
        return button

    def start(self) -> None:
        self.model.start()

    def refresh(self) -> None:
        """Reload the rows (in the background when the model can), keeping the selection."""
        self._reselect = self.current_id()
        self.model.reload()

    def refresh_if_changed(self, kind: str) -> None:
        """Slot for ``AppContext.changed``: reload when a kind this list shows changed."""
        if kind in self.refresh_kinds and self.model.started:
            self.refresh()

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().hasSelection():
            return None
        return self.model.id_at(index.row())

    def current_row(self) -> object | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    # -- internals ------------------------------------------------------------------------
    def _loaded(self, total: int) -> None:
        one, many = self._noun
        self._count_text = f"{total:,} {one if total == 1 else many}"
        self.count_label.setText(self._count_text)
        selected, self._reselect = self._reselect, None
        if selected is not None:
            row = self.model.find_row(selected)
            if row >= 0:
                self.table.selectRow(row)
        if total == 0:
            searching = bool(self.model.search_text)
            self.empty_label.setText(
                f"No {many} match “{self.model.search_text}”." if searching else f"No {many} yet."
            )
        self.empty_label.setVisible(total == 0)

    def _loading(self, loading: bool) -> None:
        """A slow query: say so under the title; the old rows stay until the new ones come."""
        self.count_label.setText("Loading…" if loading else self._count_text)

    def _header_clicked(self, section: int) -> None:
        column = self.model.columns[section]
        if not column.sort_key:
            self._show_sort_indicator()
            return
        descending = (
            not self.model.descending
            if self.model.sort_key == column.sort_key
            else column.kind in {"money", "date"}
        )
        self.model.set_sort(column.sort_key, descending)
        self._show_sort_indicator()
        self._save_state()

    def _show_sort_indicator(self) -> None:
        column = self.model.sort_column()
        order = Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(column, order)

    def focus_results(self) -> None:
        """From the search box to the list, on its current row (the first when none)."""
        if self.model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.selectionModel().hasSelection():
            current = self.table.currentIndex()
            self.table.selectRow(current.row() if current.isValid() else 0)

    def _double_clicked(self, index: QModelIndex) -> None:
        record_id = self.model.id_at(index.row())
        if record_id is not None:
            self.activated.emit(record_id)

    def _activate_current(self) -> None:
        record_id = self.current_id()
        if record_id is not None:
            self.activated.emit(record_id)

    def _key(self, what: str) -> str:
        return f"lists/{self.name}/{what}"

    def _save_state(self) -> None:
        self._settings.setValue(self._key("header"), self.table.horizontalHeader().saveState())
        self._settings.setValue(self._key("sort"), self.model.sort_key or "")
        self._settings.setValue(self._key("descending"), bool(self.model.descending))

    def _restore_state(self) -> None:
        state = self._settings.value(self._key("header"))
        if isinstance(state, QByteArray | bytes):
            self.table.horizontalHeader().restoreState(QByteArray(state))
        sort = self._settings.value(self._key("sort"))
        keys = {column.sort_key for column in self.model.columns if column.sort_key}
        if isinstance(sort, str) and sort in keys:
            self.model.sort_key = sort
            self.model.descending = str(self._settings.value(self._key("descending"))).lower() == "true"
        self._show_sort_indicator()
