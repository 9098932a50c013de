"""The QuickBooks Sync center: Queue, History, Alerts, Send, Import and Connection tabs.

Every tab has ``refresh(stamp=None, *, force=False)``. A 3-second timer reads the queue
counts (one cheap grouped query) and refreshes the visible tab only when they changed, so
an idle sync center costs next to nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from desktop_app.services import sync_center, sync_queue
from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger
from desktop_app.ui.resources import icon
from desktop_app.ui.views.sync_alerts_tab import AlertsTab
from desktop_app.ui.views.sync_queue_tab import HistoryTab, QueueTab
from desktop_app.ui.views.sync_send_tab import ImportTab, SendTab
from desktop_app.ui.views.sync_setup_tab import ConnectionTab

REFRESH_MS = 3_000
TABS = ("queue", "history", "alerts", "send", "import", "connection")


class SyncCenterView(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(10)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("QuickBooks Sync")
        title.setObjectName("pageTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("pageSubtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        head.addLayout(titles)
        head.addStretch(1)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.clicked.connect(lambda: self.refresh(force=True))
        head.addWidget(self.refresh_button)
        self.sync_button = QPushButton(icon("sync", "#ffffff"), "Sync now")
        self.sync_button.setObjectName("primaryButton")
        self.sync_button.clicked.connect(self.sync_now)
        head.addWidget(self.sync_button)
        outer.addLayout(head)

        self.queue_tab = QueueTab(ctx)
        self.history_tab = HistoryTab(ctx)
        self.alerts_tab = AlertsTab(ctx)
        self.send_tab = SendTab(ctx)
        self.import_tab = ImportTab(ctx)
        self.connection_tab = ConnectionTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, text in (
            (self.queue_tab, "Queue"),
            (self.history_tab, "History"),
            (self.alerts_tab, "Alerts"),
            (self.send_tab, "Send"),
            (self.import_tab, "Import"),
            (self.connection_tab, "Connection"),
        ):
            self.tabs.addTab(widget, text)
        self.tabs.currentChanged.connect(lambda _: self.refresh(force=True))
        outer.addWidget(self.tabs, 1)

        self._stamp: object = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        ctx.changed.connect(self._changed)

    # -- public ----------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh(force=True)
        self._timer.start()

    def show_tab(self, key: str) -> QWidget:
        self.tabs.setCurrentIndex(TABS.index(key))
        return self.tabs.currentWidget()

    def current_tab(self) -> Any:
        return self.tabs.currentWidget()

    def refresh(self, *, force: bool = False) -> None:
        """Update the counts line; reload the visible tab when the queue changed (or forced)."""
        try:
            counts = self.ctx.read(sync_center.counts)
            states = self.ctx.read(sync_queue.queue_counts)
        except Exception:
            logger("ui").warning("could not read the sync counts", exc_info=True)
            return
        stamp = (counts, tuple(sorted(states.items())))
        self.summary.setText(
            f"{counts.pending} waiting to send · {counts.sent} awaiting an answer · "
            f"{counts.errors} with problems · {counts.alerts} alert{'s' if counts.alerts != 1 else ''}"
        )
        self.tabs.setTabText(2, f"Alerts ({counts.alerts})" if counts.alerts else "Alerts")
        changed = stamp != self._stamp
        self._stamp = stamp
        tab = self.current_tab()
        if force:
            tab.refresh(stamp, force=True)
        elif changed or isinstance(tab, ConnectionTab):
            tab.refresh(stamp)

    def sync_now(self) -> None:
        from desktop_app.ui.sync_status import sync_now

        sync_now(self.ctx, self.window())

    # -- internal --------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def _changed(self, kind: str) -> None:
        if kind in ("sync", "invoice", "payment", "settings") and self.isVisible():
            self.refresh(force=True)

    def stop(self) -> None:
        self._timer.stop()
