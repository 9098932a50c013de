"""Sync now: ask for a session, wait for the Web Connector, watch the session, show the result.

With a real Web Connector the dialog only watches: after ``request_sync_now`` it says when
the next poll is expected (last contact + interval), then follows the session through
``connector_status`` and the queue counts every second. In demo mode (``ctx.demo``) it
also drives the session itself: a background task runs the Web Connector simulator against
the embedded server and the simulated QuickBooks company.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop_app.services import settings as settings_svc
from desktop_app.services import sync_center, sync_queue
from desktop_app.services.queue_states import QueueState
from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger
from desktop_app.ui.sync_status import local_time

POLL_MS = 1_000


def _parse(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _n(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


class SyncNowDialog(QDialog):
    """States: ``waiting`` → ``running`` → ``done`` (or ``failed``)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Sync now")
        self.setModal(False)
        self.resize(520, 260)
        self.state = "idle"
        self.sent = 0
        self.report = sync_center.SentReport(sent=0, added=())
        self.new_alerts = 0
        self.task: Any = None
        self._started_at = datetime.now(UTC)
        self._baseline: tuple[int, int] = (0, 0)
        self._seen_session = False
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 16)
        box.setSpacing(10)
        self.title = QLabel("Sync with QuickBooks")
        self.title.setObjectName("dialogTitle")
        box.addWidget(self.title)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        box.addWidget(self.status)
        self.detail = QLabel("")
        self.detail.setObjectName("hint")
        self.detail.setWordWrap(True)
        box.addWidget(self.detail)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        box.addWidget(self.progress)
        self.result = QLabel("")
        self.result.setObjectName("banner")
        self.result.setWordWrap(True)
        self.result.hide()
        box.addWidget(self.result)
        box.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.alerts_button = QPushButton("Show alerts")
        self.alerts_button.clicked.connect(self.show_alerts)
        self.alerts_button.hide()
        row.addWidget(self.alerts_button)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.close_button)
        box.addLayout(row)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)

    # -- flow ------------------------------------------------------------------------------------
    def start(self) -> bool:
        self._started_at = datetime.now(UTC)
        ok, _ = self.ctx.attempt(
            self, lambda: self.ctx.write(sync_queue.request_sync_now, changes=("sync",)), title="Sync now"
        )
        if not ok:
            self._finish("failed", "Sync now was not started.")
            return False
        try:
            self._baseline = self._done_and_alerts()
        except Exception:
            logger("ui").warning("could not read the queue", exc_info=True)
        demo = getattr(self.ctx, "demo", None)
        if demo is not None:
            self._set_running("The demo's Web Connector is sending the queue to the simulated QuickBooks…")
            self.task = self.ctx.tasks.start(
                "demo sync",
                lambda _progress: demo.run_session(),
                on_success=self._demo_done,
                on_error=self._demo_failed,
            )
        else:
            self.state = "waiting"
            self._show_waiting()
        self._timer.start()
        return True

    def poll(self) -> None:
        """Every second: follow the session through the database."""
        if self.state in ("done", "failed"):
            self._timer.stop()
            return
        try:
            from qbwc_server.status import connector_status

            status = self.ctx.read(connector_status, alert_limit=0)
            last_session = _parse(self.ctx.read(settings_svc.get_setting, "sync.last_session_at"))
            _, alerts = self._done_and_alerts()
            self.report = self.ctx.read(sync_center.sent_since, self._started_at)
        except Exception:
            logger("ui").warning("could not read the sync status", exc_info=True)
            return
        self.sent = self.report.sent
        self.new_alerts = max(0, alerts - self._baseline[1])
        if status.active_sessions:
            self._seen_session = True
            if self.state == "waiting":
                self._set_running("The Web Connector is connected: sending to QuickBooks…")
            self.detail.setText(f"{self.sent} record{'s' if self.sent != 1 else ''} sent so far.")
            return
        if getattr(self.ctx, "demo", None) is not None:
            return  # the task reports the end
        ended = last_session is not None and last_session >= self._started_at
        if self._seen_session or ended:
            self._finish("done", self._summary())
            self.ctx.changed.emit("sync")  # lists showing QuickBooks status reload
        elif self.state == "waiting":
            self._show_waiting(status.last_contact)

    # -- states ----------------------------------------------------------------------------------
    def _show_waiting(self, last_contact: datetime | None = None) -> None:
        if last_contact is None:
            try:
                from qbwc_server.status import connector_status

                last_contact = self.ctx.read(connector_status, alert_limit=0).last_contact
            except Exception:
                last_contact = None
        last_contact = _aware(last_contact)
        values = self.ctx.read(settings_svc.get_all)
        minutes = 1 if values["sync.responsive"] else int(values["sync.interval_minutes"])
        self.status.setText("Waiting for the Web Connector…")
        if last_contact is None:
            self.detail.setText(
                "The Web Connector has not called JobDesk yet. Make sure it is running on the QuickBooks "
                "computer with JobDesk's .qwc file added (QuickBooks Sync ▸ Connection)."
            )
            return
        expected = last_contact + timedelta(minutes=minutes)
        late = (
            " (it is late — is QuickBooks open?)"
            if expected < datetime.now(UTC) - timedelta(minutes=1)
            else ""
        )
        self.detail.setText(
            f"Next poll expected about {local_time(expected)}{late}. "
            f"Last contact {local_time(last_contact)}; "
            f"the Web Connector calls every {minutes} minute{'s' if minutes != 1 else ''}."
        )

    def _set_running(self, text: str) -> None:
        self.state = "running"
        self.status.setText(text)
        self.detail.setText("")

    def _finish(self, state: str, text: str) -> None:
        self.state = state
        self._timer.stop()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText("Finished." if state == "done" else "Not finished.")
        self.detail.setText("")
        self.result.setText(text)
        self.result.show()
        self.alerts_button.setVisible(self.new_alerts > 0)

    def _summary(self) -> str:
        # The same definition as the sync center's counts: records, with those the others needed.
        text = self.report.text()
        if self.new_alerts:
            many = self.new_alerts != 1
            text += f" {self.new_alerts} alert{'s' if many else ''} need{'' if many else 's'} a decision."
        else:
            text += " No new alerts."
        return text

    def _demo_done(self, result: Any) -> None:
        try:
            _, alerts = self._done_and_alerts()
            self.report = self.ctx.read(sync_center.sent_since, self._started_at)
        except Exception:
            alerts = self._baseline[1]
        self.sent = self.report.sent
        self.new_alerts = max(0, alerts - self._baseline[1])
        text = self._summary()
        if result is not None and hasattr(result, "invoices"):
            text += (
                "\nThe simulated QuickBooks now has "
                f"{_n(result.customers, 'customer and job', 'customers and jobs')}, "
                f"{_n(result.invoices, 'invoice')} and {_n(result.payments, 'payment')}."
            )
        self._finish("done", text)
        self.ctx.changed.emit("sync")

    def _demo_failed(self, exc: BaseException) -> None:
        logger("ui").error("demo sync failed", exc_info=(type(exc), exc, exc.__traceback__))
        self._finish("failed", "The demo sync did not complete. Details were written to the log file.")
        self.ctx.changed.emit("sync")

    def _done_and_alerts(self) -> tuple[int, int]:
        states = self.ctx.read(sync_queue.queue_counts)
        counts = self.ctx.read(sync_center.counts)
        return int(states.get(QueueState.DONE, 0)), int(counts.alerts)

    def show_alerts(self) -> None:
        window = self.parent()
        show = getattr(window, "show_screen", None)
        if callable(show):
            center = show("sync")
            tab = getattr(center, "show_tab", None)
            if callable(tab):
                tab("alerts")
        self.close()

    def closeEvent(self, event: Any) -> None:
        self._timer.stop()
        super().closeEvent(event)
