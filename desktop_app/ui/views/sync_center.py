"""The QuickBooks Sync center: Queue, History, Alerts, Send, Import and Connection tabs.

Every tab has ``refresh(stamp=None, *, force=False)``. A 3-second timer reads the queue
counts (one cheap grouped query) and refreshes the visible tab only when they changed, so
an idle sync center costs next to nothing.

Above the tabs, what the trigger settings hold back (``services.sync_held_back``) is said
in a sentence with a "Send now" button: the queue may be empty while invoices and payments
are still not in QuickBooks, and "up to date" is said only when nothing is held back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from desktop_app.db.uow import UnitOfWork
from desktop_app.services import settings, sync_center, sync_held_back, sync_queue
from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger
from desktop_app.ui.resources import icon
from desktop_app.ui.views.sync_alerts_tab import AlertsTab
from desktop_app.ui.views.sync_queue_tab import HistoryTab, QueueTab
from desktop_app.ui.views.sync_send_tab import ImportTab, SendTab
from desktop_app.ui.views.sync_setup_tab import ConnectionTab

REFRESH_MS = 3_000
#: Below this width (a 1024-pixel screen) the header's buttons take their short names.
NARROW = 1150
PREVIEW_TEXT = ("Preview next sync…", "Preview…")
CONNECT_TEXT = ("Connect to QuickBooks…", "Connect…")
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
        self.preview_button = QPushButton(icon("search"), PREVIEW_TEXT[0])
        self.preview_button.setAccessibleName(PREVIEW_TEXT[0])
        self.preview_button.setToolTip("What the next sync will send to QuickBooks, record by record")
        self.preview_button.clicked.connect(self.open_sync_preview)
        head.addWidget(self.preview_button)
        self.connect_button = QPushButton(icon("link"), CONNECT_TEXT[0])
        self.connect_button.setAccessibleName(CONNECT_TEXT[0])
        self.connect_button.clicked.connect(self.open_connect_wizard)
        if not ctx.actor.is_admin:  # the service refuses too; the button says so first
            from desktop_app.ui.views.connect_wizard import ADMIN_ONLY

            self.connect_button.setEnabled(False)
            self.connect_button.setToolTip(ADMIN_ONLY)
        else:
            self.connect_button.setToolTip(
                "Import QuickBooks' lists, decide the matches, set the numbering and preview the first sync"
            )
        head.addWidget(self.connect_button)
        self.sync_button = QPushButton(icon("sync", "#ffffff"), "Sync now")
        self.sync_button.setObjectName("primaryButton")
        self.sync_button.clicked.connect(self.sync_now)
        head.addWidget(self.sync_button)
        outer.addLayout(head)
        outer.addWidget(self._build_held_banner())

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
        #: A change came while the screen was hidden: read everything when it shows again.
        self._stale = False
        self.held: sync_held_back.HeldBackSummary | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        ctx.changed.connect(self._changed)

    def _build_held_banner(self) -> QFrame:
        self.held_banner = QFrame()
        self.held_banner.setObjectName("card")
        row = QHBoxLayout(self.held_banner)
        row.setContentsMargins(14, 8, 14, 8)
        self.held_label = QLabel("")
        self.held_label.setWordWrap(True)
        row.addWidget(self.held_label, 1)
        self.show_held_button = QPushButton("Show them")
        self.show_held_button.clicked.connect(lambda: self.show_tab("send"))
        row.addWidget(self.show_held_button)
        self.send_now_button = QPushButton(icon("upload", "#ffffff"), "Send now")
        self.send_now_button.setObjectName("primaryButton")
        self.send_now_button.clicked.connect(self.send_held_back)
        row.addWidget(self.send_now_button)
        self.held_banner.hide()
        return self.held_banner

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
        changed = stamp != self._stamp
        self._stamp = stamp
        if force or changed or self.held is None:
            self._read_held_back()
        held = self.held.total if self.held is not None else 0
        self.summary.setText(
            f"{counts.pending} waiting to send · {counts.sent} awaiting an answer · "
            f"{counts.errors} with problems · {counts.alerts} alert{'s' if counts.alerts != 1 else ''}"
            + (f" · {held} held back" if held else "")
        )
        self.tabs.setTabText(2, f"Alerts ({counts.alerts})" if counts.alerts else "Alerts")
        tab = self.current_tab()
        if force:
            tab.refresh(stamp, force=True)
        elif changed or isinstance(tab, ConnectionTab):
            tab.refresh(stamp)

    def sync_now(self) -> None:
        from desktop_app.ui.sync_status import sync_now

        sync_now(self.ctx, self.window())

    def open_connect_wizard(self) -> Any:
        """The connection wizard, at the step where it stopped; None when refused."""
        from desktop_app.ui.views.common import open_dialog
        from desktop_app.ui.views.connect_wizard import ConnectWizard

        for shown in self.__dict__.get("_open_dialogs", []):
            if isinstance(shown, ConnectWizard) and shown.isVisible():  # one wizard at a time
                shown.raise_()
                shown.activateWindow()
                return shown
        wizard = ConnectWizard(self.ctx, self.window())
        if not wizard.start():
            wizard.deleteLater()
            return None
        return open_dialog(self, wizard)

    def open_sync_preview(self) -> Any:
        from desktop_app.ui.views.common import open_dialog
        from desktop_app.ui.views.sync_preview_dialog import SyncPreviewDialog

        dialog = SyncPreviewDialog(self.ctx, self.window())
        dialog.start()
        return open_dialog(self, dialog)

    def send_held_back(self) -> int:
        """ "Send now": queue every held-back record, and ask for a sync when this user may."""

        def send(uow: UnitOfWork) -> int:
            count = sync_held_back.send_held_back(uow)
            if count and (uow.actor.is_admin or settings.get_setting(uow, "sync.office_may_sync_now")):
                sync_queue.request_sync_now(uow)
            return count

        ok, count = self.ctx.attempt(self, lambda: self.ctx.with_uow(send, changes=("sync",)))
        if ok:
            self.refresh(force=True)
            many = count != 1
            self.ctx.prompts.inform(
                self,
                "Send now",
                f"{count} record{'s' if many else ''} queued for QuickBooks; "
                f"{'they go' if many else 'it goes'} at the next Web Connector session.",
            )
        return int(count or 0)

    # -- internal --------------------------------------------------------------------------------
    def _read_held_back(self) -> None:
        try:
            self.held = self.ctx.read(sync_held_back.held_back_summary)
        except Exception:
            logger("ui").warning("could not read what is held back", exc_info=True)
            return
        message = self.held.message()
        self.held_label.setText(message)
        self.held_banner.setVisible(bool(message))
        self.queue_tab.set_held_back(self.held.total)

    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def _changed(self, kind: str) -> None:
        if kind in ("sync", "invoice", "payment", "job", "settings"):
            if self.isVisible():
                self.refresh(force=True)
            else:
                self._stale = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = int(event.size().width() < NARROW)  # the tooltips keep the full words
        self.preview_button.setText(PREVIEW_TEXT[narrow])
        self.connect_button.setText(CONNECT_TEXT[narrow])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh(force=True)

    def stop(self) -> None:
        self._timer.stop()
