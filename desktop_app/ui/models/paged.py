"""A table model over a paged service query: sorting, search and filters run in the query.

``fetch(offset, limit, search, sort, descending, filters) -> Page`` is any callable (each
list screen adapts its service to it). The model knows the total row count from the first
page and loads the other pages only when the view asks for their rows, keeping a bounded
cache, so a list of 100,000 invoices costs one count and one page to show.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from desktop_app.ui.logs import logger
from desktop_app.ui.models.columns import Column, KindRole, RawRole

Index = QModelIndex | QPersistentModelIndex


class PageLike(Protocol):
    @property
    def rows(self) -> Sequence[Any]: ...

    @property
    def started(self) -> bool:
        return self._started

    @property
    def total(self) -> int: ...


Fetch = Callable[[int, int, str, str | None, bool, Mapping[str, str]], PageLike]

PAGE_SIZE = 200
MAX_PAGES = 64
SEARCH_DELAY_MS = 150


class PagedTableModel(QAbstractTableModel):
    """Rows come from ``fetch``; ``row_at(i)`` gives the service's row dataclass."""

    loaded = Signal(int)
    fetch_failed = Signal(object)

    def __init__(self, columns: Sequence[Column], fetch: Fetch, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.columns = list(columns)
        self._fetch = fetch
        self._page_size = page_size
        self._pages: OrderedDict[int, Sequence[Any]] = OrderedDict()
        self._total = 0
        self.search_text = ""
        self.sort_key: str | None = None
        self.descending = False
        self.filters: dict[str, str] = {}
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_pending_search)
        self._pending_search = ""
        self._started = False

    # -- query state -------------------------------------------------------------------
    def start(self) -> None:
        """Load the first page (kept separate so views can restore sort first)."""
        self._started = True
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._total = 0
        try:
            self._load_page(0)
        except Exception as exc:
            logger("models").error("list query failed", exc_info=True)
            self._total = 0
            self.endResetModel()
            self.fetch_failed.emit(exc)
            return
        self.endResetModel()
        self.loaded.emit(self._total)

    refresh = reload

    def search(self, text: str) -> None:
        """Search as you type: applied once typing pauses for ~150 ms."""
        self._pending_search = text
        self._search_timer.start()

    def _apply_pending_search(self) -> None:
        self.set_search(self._pending_search)

    def set_search(self, text: str) -> None:
        self._search_timer.stop()
        text = text.strip()
        if text == self.search_text and self._started:
            return
        self.search_text = text
        if self._started:
            self.reload()

    def set_filter(self, key: str, value: str | None) -> None:
        if value:
            self.filters[key] = value
        else:
            self.filters.pop(key, None)
        if self._started:
            self.reload()

    def set_sort(self, key: str | None, descending: bool = False) -> None:
        self.sort_key = key
        self.descending = descending
        if self._started:
            self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        key = self.columns[column].sort_key
        if not key:
            return
        self.set_sort(key, order == Qt.SortOrder.DescendingOrder)

    def sort_column(self) -> int:
        for number, column in enumerate(self.columns):
            if self.sort_key and column.sort_key == self.sort_key:
                return number
        return -1

    # -- rows ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    @property
    def total(self) -> int:
        return self._total

    def _load_page(self, number: int) -> Sequence[Any]:
        page = self._fetch(
            number * self._page_size,
            self._page_size,
            self.search_text,
            self.sort_key,
            self.descending,
            dict(self.filters),
        )
        self._total = page.total
        rows = tuple(page.rows)
        self._pages[number] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return rows

    def row_at(self, row: int) -> Any | None:
        if not 0 <= row < self._total:
            return None
        number, within = divmod(row, self._page_size)
        rows = self._pages.get(number)
        if rows is None:
            try:
                rows = self._load_page(number)
            except Exception as exc:
                logger("models").error("page query failed", exc_info=True)
                self.fetch_failed.emit(exc)
                return None
        else:
            self._pages.move_to_end(number)
        return rows[within] if within < len(rows) else None

    def id_at(self, row: int) -> int | None:
        record = self.row_at(row)
        return getattr(record, "id", None) if record is not None else None

    def find_row(self, record_id: int) -> int:
        """The row of a loaded record, or -1."""
        for number, rows in self._pages.items():
            for within, record in enumerate(rows):
                if getattr(record, "id", None) == record_id:
                    return number * self._page_size + within
        return -1

    # -- Qt model -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.alignment
        if role == KindRole:
            return column.kind
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, RawRole):
            return None
        record = self.row_at(index.row())
        if record is None:
            return None
        if role == RawRole:
            return column.value(record)
        text = column.display(record)
        if role == Qt.ItemDataRole.ToolTipRole and len(text) < 40:
            return None
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return column.alignment
        return None
