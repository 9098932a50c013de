"""A table model over a paged service query: sorting, search and filters run in the query.

``fetch(offset, limit, search, sort, descending, filters) -> Page`` is any callable (each
list screen adapts its service to it). The model knows the total row count from the first
page and loads the other pages only when the view asks for their rows, keeping a bounded
cache, so a list of 100,000 invoices costs one count and one page to show.

The UI thread never waits on those queries once the list is showing: a fetch wrapped in
:class:`BackgroundFetch` (it opens its own read-only unit of work, so it may run on any
thread) is run on the list fetches' own thread pool (``fetch_pool``) for search, sort and
filter changes, refreshes and the pages met while scrolling. Results come back as signals
on the UI thread; each carries the generation of the query it answers, and a result for an
older query (the user typed on) is dropped. The old rows stay on screen until the new ones
replace them in one reset, so the table does not flash empty; ``loading_changed`` drives a
small "Loading…" note. ``start()`` still loads the first page synchronously: it is one
short query and makes the first paint complete (no empty table followed by a second
paint).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)

from desktop_app.ui.logs import logger
from desktop_app.ui.models.columns import Column, KindRole, RawRole
from desktop_app.ui.tasks import TaskRunner, fetch_pool

Index = QModelIndex | QPersistentModelIndex


class PageLike(Protocol):
    @property
    def rows(self) -> Sequence[Any]: ...

    @property
    def total(self) -> int: ...


Fetch = Callable[[int, int, str, str | None, bool, Mapping[str, str]], PageLike]

PAGE_SIZE = 200
MAX_PAGES = 64
SEARCH_DELAY_MS = 150
#: "Loading…" shows only when a query takes longer than this (no flicker for quick ones).
LOADING_DELAY_MS = 200


class BackgroundFetch:
    """A fetch that is safe to run on a worker thread (each call opens its own reader)."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch

    def __call__(
        self,
        offset: int,
        limit: int,
        search: str,
        sort: str | None,
        descending: bool,
        filters: Mapping[str, str],
    ) -> PageLike:
        return self._fetch(offset, limit, search, sort, descending, filters)


@dataclass(frozen=True)
class _Query:
    """What one fetch asks for, captured on the UI thread when it is started."""

    generation: int
    page: int
    search: str
    sort: str | None
    descending: bool
    filters: tuple[tuple[str, str], ...]
    reset: bool = False  # a new result set (else one more page of the current one)


@dataclass(frozen=True)
class _Result:
    query: _Query
    total: int
    rows: tuple[Any, ...]


class PagedTableModel(QAbstractTableModel):
    """Rows come from ``fetch``; ``row_at(i)`` gives the service's row dataclass."""

    loaded = Signal(int)
    fetch_failed = Signal(object)
    #: True while a new result set (search, sort, filter, refresh) is being fetched.
    loading_changed = Signal(bool)

    def __init__(
        self,
        columns: Sequence[Column],
        fetch: Fetch,
        *,
        page_size: int = PAGE_SIZE,
        pool: QThreadPool | None = None,
    ) -> None:
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
        # Background loading: the generation names the current query; results of older ones
        # are dropped. One reset query runs at a time; a newer request waits for it (the
        # newest wins), so fast typing does not pile queries up on the pool.
        self.background = isinstance(fetch, BackgroundFetch)
        # Their own pool: a long task (a sync, an import) never holds the thread a page needs.
        self._tasks = TaskRunner(pool or fetch_pool())
        self._generation = 0
        self._reset_running = False
        self._reset_wanted = False
        self._pages_running: set[int] = set()
        self._loading = False
        self._loading_timer = QTimer(self)
        self._loading_timer.setSingleShot(True)
        self._loading_timer.setInterval(LOADING_DELAY_MS)
        self._loading_timer.timeout.connect(lambda: self.loading_changed.emit(True))

    # -- query state -------------------------------------------------------------------
    def start(self) -> None:
        """Load the first page (kept separate so views can restore sort first).

        Synchronous on purpose: one short query, and the first paint shows the rows.
        """
        self._started = True
        self._reload_now()

    def reload(self) -> None:
        """Fetch the first page again for the current search, sort and filters."""
        if self.background and self._started:
            self._reload_in_background()
        else:
            self._reload_now()

    refresh = reload

    def _reload_now(self) -> None:
        self._generation += 1
        self._pages_running.clear()
        self.beginResetModel()
        self._pages.clear()
        self._total = 0
        try:
            result = self._run(self._query(0))
        except Exception as exc:
            logger("models").error("list query failed", exc_info=True)
            self.endResetModel()
            self.fetch_failed.emit(exc)
            return
        self._total = result.total
        self._store(0, result.rows)
        self.endResetModel()
        self._set_loading(False)
        self.loaded.emit(self._total)

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

    # -- background loading ---------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """A new result set or a page is still being fetched."""
        return self._reset_running or self._reset_wanted or bool(self._pages_running)

    def _query(self, page: int) -> _Query:
        return _Query(
            self._generation,
            page,
            self.search_text,
            self.sort_key,
            self.descending,
            tuple(sorted(self.filters.items())),
        )

    def _run(self, query: _Query) -> _Result:
        """Run one fetch; called on the UI thread or a worker (touches no model state)."""
        page = self._fetch(
            query.page * self._page_size,
            self._page_size,
            query.search,
            query.sort,
            query.descending,
            dict(query.filters),
        )
        return _Result(query, page.total, tuple(page.rows))

    def _reload_in_background(self) -> None:
        self._generation += 1
        self._pages_running.clear()  # answers for the old query will be dropped
        if self._reset_running:
            self._reset_wanted = True  # started when the running one comes back
            return
        self._start_reset()

    def _start_reset(self) -> None:
        self._reset_wanted = False
        self._reset_running = True
        self._set_loading(True)
        self._submit(replace(self._query(0), reset=True))

    def _submit(self, query: _Query) -> None:
        """Run the fetch on the thread pool; its answer comes back as a signal on this thread."""
        self._tasks.start(
            "list page",
            lambda _progress: self._run(query),
            on_success=lambda result: self._answered(query, result),
            on_error=lambda exc: self._answered(query, exc),
        )

    def _answered(self, query: _Query, outcome: object) -> None:
        """On the UI thread: apply a worker's answer (stale answers are dropped)."""
        if query.reset:
            if isinstance(outcome, _Result):
                self._reset_done(outcome)
            else:
                self._reset_failed(
                    query, outcome if isinstance(outcome, BaseException) else Exception(outcome)
                )
        elif isinstance(outcome, _Result):
            self._page_done(outcome)
        elif isinstance(outcome, BaseException):
            self._page_failed(query, outcome)

    def _reset_done(self, result: _Result) -> None:
        self._reset_running = False
        if self._reset_wanted:
            self._start_reset()  # stale: the user asked for something else meanwhile
            return
        if result.query.generation != self._generation:
            return  # stale: a synchronous start() already replaced it
        self.beginResetModel()
        self._pages.clear()
        self._total = result.total
        self._store(0, result.rows)
        self.endResetModel()
        self._set_loading(False)
        self.loaded.emit(self._total)

    def _reset_failed(self, query: _Query, exc: BaseException) -> None:
        self._reset_running = False
        if self._reset_wanted:
            self._start_reset()
            return
        if query.generation != self._generation:
            return
        logger("models").error("list query failed", exc_info=exc)
        self._set_loading(False)
        self.fetch_failed.emit(exc)

    def _fetch_page_in_background(self, number: int) -> None:
        if number in self._pages_running or self._reset_running:
            return
        self._pages_running.add(number)
        self._submit(self._query(number))

    def _page_done(self, result: _Result) -> None:
        number = result.query.page
        if result.query.generation != self._generation or number not in self._pages_running:
            return
        self._pages_running.discard(number)
        self._store(number, result.rows)
        first = number * self._page_size
        last = min(first + len(result.rows), self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    def _page_failed(self, query: _Query, exc: BaseException) -> None:
        if query.generation != self._generation:
            return
        self._pages_running.discard(query.page)
        logger("models").error("page query failed", exc_info=exc)
        self.fetch_failed.emit(exc)

    def _set_loading(self, loading: bool) -> None:
        if loading == self._loading:
            return
        self._loading = loading
        if loading:
            self._loading_timer.start()
        elif self._loading_timer.isActive():
            self._loading_timer.stop()  # quick: "Loading…" was never shown
        else:
            self.loading_changed.emit(False)

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until background queries finish (their answers apply as events are processed)."""
        return self._tasks.wait(msecs)

    # -- rows ---------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._started

    @property
    def total(self) -> int:
        return self._total

    def _store(self, number: int, rows: Sequence[Any]) -> None:
        self._pages[number] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    def _load_page(self, number: int) -> Sequence[Any]:
        result = self._run(self._query(number))
        rows = result.rows
        self._store(number, rows)
        return rows

    def _cached(self, row: int) -> tuple[bool, Any | None]:
        """(is the row's page loaded, the row)."""
        if not 0 <= row < self._total:
            return True, None
        number, within = divmod(row, self._page_size)
        rows = self._pages.get(number)
        if rows is None:
            return False, None
        self._pages.move_to_end(number)
        return True, rows[within] if within < len(rows) else None

    def row_at(self, row: int) -> Any | None:
        """The row's record, fetching its page now if it is not loaded (explicit lookups)."""
        known, record = self._cached(row)
        if known:
            return record
        number, within = divmod(row, self._page_size)
        try:
            rows = self._load_page(number)
        except Exception as exc:
            logger("models").error("page query failed", exc_info=True)
            self.fetch_failed.emit(exc)
            return None
        return rows[within] if within < len(rows) else None

    def _display_row(self, row: int) -> Any | None:
        """For painting: a row not loaded yet is fetched in the background (blank until then)."""
        if not self.background:
            return self.row_at(row)
        known, record = self._cached(row)
        if not known:
            self._fetch_page_in_background(row // self._page_size)
        return record

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
        record = self._display_row(index.row())
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
