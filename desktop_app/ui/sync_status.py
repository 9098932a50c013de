"""The status bar's QuickBooks line and the "Sync now" action, over the sync services.

The sync center service (``desktop_app.services.sync_center``) is optional: without it
the bar shows the queue counts and the last completed session from ``sync_queue`` and
the settings the engine writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger

REFRESH_MS = 10_000


@dataclass(frozen=True)
class SyncOverview:
    last_contact: datetime | None
    interval_minutes: int
    pending: int
    errors: int
    alerts: int
    server_text: str
    #: Changes whenever a session has changed records (an item done, a session ended).
    sync_stamp: tuple[int, str] = (0, "")

    @property
    def next_poll(self) -> datetime | None:
        if self.last_contact is None:
            return None
        return self.last_contact + timedelta(minutes=self.interval_minutes)


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _parse_time(text: object) -> datetime | None:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _last_contact(uow: Any) -> datetime | None:
    """When the Web Connector last called (its newest session), if the server package is here."""
    status = optional_module("qbwc_server.status")
    if status is None:
        return None
    return _parse_time(status.connector_status(uow, alert_limit=0).last_contact)


def read_overview(ctx: AppContext) -> SyncOverview:
    from desktop_app.services.settings import get_all

    queue = optional_module("desktop_app.services.sync_queue")
    center = optional_module("desktop_app.services.sync_center")

    def load(uow: Any) -> SyncOverview:
        values = get_all(uow)
        counts: dict[str, int] = queue.queue_counts(uow) if queue is not None else {}
        summary = center.counts(uow) if center is not None else None
        server = getattr(ctx, "server", None)
        if server is not None and getattr(server, "status_text", ""):
            server_text = str(server.status_text)
        elif server is not None and getattr(server, "running", False):
            server_text = f"Server: running on port {getattr(server, 'port', values.get('qbwc.port'))}"
        elif server is not None:
            server_text = "Server: stopped"
        else:
            server_text = f"Server: port {values.get('qbwc.port', 8089)}"
        last = _last_contact(uow) or _parse_time(values.get("sync.last_session_at"))
        return SyncOverview(
            last_contact=last,
            interval_minutes=1
            if values.get("sync.responsive")
            else int(values.get("sync.interval_minutes", 15)),
            pending=summary.pending + summary.sent
            if summary
            else counts.get("queued", 0) + counts.get("sent", 0),
            errors=summary.errors if summary else counts.get("error", 0),
            alerts=summary.alerts if summary else counts.get("attention", 0),
            server_text=server_text,
            sync_stamp=(int(counts.get("done", 0)), str(values.get("sync.last_session_at", ""))),
        )

    return ctx.read(load)


def local_time(value: datetime | None) -> str:
    if value is None:
        return "never"
    local = value.astimezone()
    today = datetime.now().astimezone().date()
    clock = local.strftime("%I:%M %p").lstrip("0")
    return clock if local.date() == today else f"{local:%m/%d/%Y} {clock}"


class SyncStatusBar(QStatusBar):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contact_label = QLabel("Web Connector: —")
        self.queue_label = QLabel("Queue: —")
        self.server_label = QLabel("Server: —")
        for label in (self.contact_label, self.queue_label, self.server_label):
            self.addPermanentWidget(label)
        self.message_label = QLabel("")
        self.addWidget(self.message_label, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self.refresh)
        ctx.changed.connect(self._changed)
        self.overview: SyncOverview | None = None

    def _changed(self, kind: str) -> None:
        self._soon.start()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        try:
            overview = read_overview(self.ctx)
        except Exception:
            logger("ui").warning("could not read the sync status", exc_info=True)
            return
        previous, self.overview = self.overview, overview
        if previous is not None and previous.sync_stamp != overview.sync_stamp:
            # The Web Connector session (in the server thread or another process) changed
            # records: every list showing QuickBooks status or pulled payments reloads.
            self.ctx.changed.emit("sync")
        contact = f"Web Connector: last contact {local_time(overview.last_contact)}"
        if overview.next_poll is not None:
            contact += f" · next poll about {local_time(overview.next_poll)}"
        self.contact_label.setText(contact)
        self.queue_label.setText(
            f"Queue: {overview.pending} pending · {overview.errors} errors · {overview.alerts} alerts"
        )
        self.server_label.setText(overview.server_text)


def sync_now(ctx: AppContext, parent: QWidget | None) -> None:
    """Ask the next Web Connector poll to run a session, and show when to expect it."""
    dialog_module = optional_module("desktop_app.ui.dialogs.sync_now")
    if dialog_module is not None and hasattr(dialog_module, "SyncNowDialog"):
        dialog = dialog_module.SyncNowDialog(ctx, parent)
        dialog.start()
        dialog.show()
        return
    queue = optional_module("desktop_app.services.sync_queue")
    if queue is None:
        ctx.prompts.inform(parent, "Sync now", "QuickBooks sync is not available in this version yet.")
        return
    ok, _ = ctx.attempt(parent, lambda: ctx.write(queue.request_sync_now, changes=("sync",)))
    if ok:
        overview = read_overview(ctx)
        when = local_time(overview.next_poll) if overview.next_poll else "its next poll"
        ctx.prompts.inform(
            parent,
            "Sync now",
            f"JobDesk will send the queue to QuickBooks when the Web Connector next calls (about {when}).",
        )
