"""The sync center's Queue and History tabs: paged lists with the qbXML beside them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from desktop_app.services import sync_center
from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.paged import BackgroundFetch, Fetch, PagedTableModel, PageLike
from desktop_app.ui.widgets.list_page import SearchBox, make_table, size_columns
from desktop_app.ui.widgets.xml_view import XmlView

QUEUE_COLUMNS = (
    Column("label", "Record", width=260, sort=""),
    Column("action_label", "Action", width=150, sort=""),
    Column("state_label", "State", width=140, sort=""),
    Column("attempts", "Tries", kind="number", width=60, sort=""),
    Column("note", "Note", width=320, stretch=True, sort=""),
)
HISTORY_COLUMNS = (
    Column("sent_at", "Sent", kind="datetime", width=175, sort=""),
    Column("label", "Record", width=300, sort=""),
    Column("action_label", "Action", width=140, sort=""),
    Column("state_label", "State", width=130, sort=""),
    Column(
        "status_message",
        "QuickBooks said",
        get=lambda r: r.status_message or r.note,
        width=300,
        stretch=True,
        sort="",
    ),
)


def _fetch(ctx: AppContext, fn: Any, *, searchable: bool) -> Fetch:
    def fetch(
        offset: int, limit: int, search: str, sort: str | None, descending: bool, chosen: Mapping[str, str]
    ) -> PageLike:
        kwargs: dict[str, Any] = {"offset": offset, "limit": limit}
        if searchable:
            kwargs["search"] = search
        page: PageLike = ctx.read(fn, **kwargs)
        return page

    # Each call opens its own reader: the list model may run it on a worker thread.
    return BackgroundFetch(fetch) if ctx.background_reads else fetch


class _ListWithXml(QWidget):
    """A table on the left, XML on the right; keeps the selection across refreshes."""

    def __init__(self, ctx: AppContext, columns: tuple[Column, ...], fetch: Fetch) -> None:
        super().__init__()
        self.ctx = ctx
        self.model = PagedTableModel(columns, fetch)
        self.table = make_table()
        self.table.setModel(self.model)
        size_columns(self.table, columns)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.model.fetch_failed.connect(lambda exc: self.ctx.report(self, exc))
        self.empty = QLabel("")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.selected_id: int | None = None
        self._stamp: object = None
        #: The item to select again once a refresh's rows are in (they may come later).
        self._keep: int | None = None
        self.model.loaded.connect(self._after_load)

    def current_item(self) -> Any | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_item(self, item_id: int) -> bool:
        row = self.model.find_row(item_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))
        if self.selected_id != item_id:
            self._selected()
        return True

    def refresh(self, stamp: object = None, *, force: bool = False) -> None:
        """Reload when ``stamp`` (the queue counts) changed since the last time, or when forced."""
        if not force and self.model.started and stamp is not None and stamp == self._stamp:
            return
        self._stamp = stamp
        self._keep = self.selected_id
        if self.model.started:
            self.model.reload()  # in the background: _after_load runs when the rows are in
        else:
            self.model.start()

    def _after_load(self, total: int) -> None:
        self.empty.setVisible(total == 0)
        keep, self._keep = self._keep, None
        if keep is not None and not self.select_item(keep):
            self.selected_id = None
            self._show(None)

    def _selected(self) -> None:
        record = self.current_item()
        self.selected_id = getattr(record, "id", None)
        self._show(record)

    def _show(self, record: Any | None) -> None:
        raise NotImplementedError


class QueueTab(_ListWithXml):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, QUEUE_COLUMNS, _fetch(ctx, sync_center.list_queue, searchable=False))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 10, 0, 0)
        hint = QLabel(
            "What JobDesk will send at the next Web Connector session, in the order it is sent. "
            "Select a row to see the exact qbXML QuickBooks will receive."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        box.addWidget(hint)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.table, 1)
        self.set_held_back(0)
        left_box.addWidget(self.empty)
        split.addWidget(left)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        self.preview_title = QLabel("qbXML preview")
        self.preview_title.setObjectName("sectionTitle")
        right_box.addWidget(self.preview_title)
        self.preview = XmlView("Select a queued item to see the qbXML it will send.")
        right_box.addWidget(self.preview, 1)
        split.addWidget(right)
        split.setSizes([640, 520])
        box.addWidget(split, 1)

    def set_held_back(self, count: int) -> None:
        """The empty queue says "up to date" only when the settings hold nothing back."""
        if count:
            self.empty.setText(
                "Nothing is waiting to be sent, but QuickBooks is not up to date: "
                f"{count} record{'s are' if count != 1 else ' is'} held back (see above)."
            )
        else:
            self.empty.setText("Nothing is waiting to be sent. QuickBooks is up to date.")

    def _show(self, record: Any | None) -> None:
        if record is None:
            self.preview_title.setText("qbXML preview")
            self.preview.set_xml("")
            return
        from qbwc_server.sync.center import preview_request

        self.preview_title.setText(f"qbXML preview — {record.label} ({record.action_label})")
        try:
            text = preview_request(self.ctx.db, record.id)
        except Exception:
            logger("ui").warning("could not build the qbXML preview", exc_info=True)
            text = "<!-- The preview could not be built for this item. Details are in the log file. -->"
        self.preview.set_xml(text)


class HistoryTab(_ListWithXml):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, HISTORY_COLUMNS, _fetch(ctx, sync_center.list_history, searchable=True))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 10, 0, 0)
        bar = QHBoxLayout()
        self.search_box = SearchBox("Search QuickBooks' messages and the qbXML sent")
        self.search_box.setMinimumWidth(420)
        self.search_box.textChanged.connect(self.model.search)
        bar.addWidget(self.search_box)
        bar.addStretch(1)
        box.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(self.table, 1)
        self.empty.setText("Nothing has been sent to QuickBooks yet.")
        top_box.addWidget(self.empty)
        split.addWidget(top)
        pair = QSplitter(Qt.Orientation.Horizontal)
        self.request_view = XmlView("The request JobDesk sent.")
        self.response_view = XmlView("QuickBooks' answer.")
        for title, view in (
            ("Sent to QuickBooks", self.request_view),
            ("QuickBooks answered", self.response_view),
        ):
            pane = QWidget()
            pane_box = QVBoxLayout(pane)
            pane_box.setContentsMargins(0, 0, 0, 0)
            heading = QLabel(title)
            heading.setObjectName("sectionTitle")
            pane_box.addWidget(heading)
            pane_box.addWidget(view, 1)
            pair.addWidget(pane)
        split.addWidget(pair)
        split.setSizes([300, 320])
        box.addWidget(split, 1)

    def _show(self, record: Any | None) -> None:
        if record is None:
            self.request_view.set_xml("")
            self.response_view.set_xml("")
            return
        ok, detail = self.ctx.attempt(self, lambda: self.ctx.read(sync_center.get_item, record.id))
        if ok and detail is not None:
            self.request_view.set_xml(detail.request_xml)
            self.response_view.set_xml(detail.response_xml or "<!-- No answer was received. -->")
