"""The wizard's first two steps: the company file JobDesk is bound to, and the import.

The import runs in Web Connector sessions (QuickBooks answers only when the Web Connector
calls), so the page queues it, offers "Sync now", and shows each list's state by polling
``connection.import_progress`` off the UI thread while the page is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop_app.errors import JobDeskError
from desktop_app.services import connection
from desktop_app.ui.context import AppContext
from desktop_app.ui.resources import icon
from desktop_app.ui.views.background_load import BackgroundLoad
from desktop_app.ui.views.connect_step_base import StepPage

#: How often the import page reads the import's progress while it is shown.
POLL_MS = 1_500

STATE_TEXT = {
    "not_started": "Not started",
    "waiting": "Waiting for the Web Connector",
    "running": "Reading…",
    "done": "Done",
    "failed": "Failed",
}

HOW_TO_BIND = (
    "JobDesk is not bound to a QuickBooks company file yet. To bind it:\n"
    "  1.  Save the Web Connector file (below, or Sync centre → Connection).\n"
    "  2.  Open the office's company in QuickBooks Desktop, signed in as its Admin.\n"
    "  3.  In the Web Connector, Add an application with that file, allow it in QuickBooks "
    "when asked, and run it once (Update Selected).\n"
    "Then press Check again."
)


class CompanyStep(StepPage):
    key = "bind"
    heading = "Company file"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "JobDesk works with one QuickBooks company file. Nothing is written to it while you connect: "
            "until you press Send on the last step, JobDesk only reads from QuickBooks.",
            parent,
        )
        self.state: connection.ConnectionState | None = None
        self.status = QLabel("")
        self.status.setObjectName("banner")
        self.status.setWordWrap(True)
        self.box.addWidget(self.status)
        self.how_to = QLabel(HOW_TO_BIND)
        self.how_to.setWordWrap(True)
        self.box.addWidget(self.how_to)
        row = QHBoxLayout()
        self.qwc_button = QPushButton(icon("download"), "Save Web Connector &file…")
        self.qwc_button.clicked.connect(self.save_qwc)
        row.addWidget(self.qwc_button)
        self.check_button = QPushButton(icon("refresh"), "&Check again")
        self.check_button.clicked.connect(self.refresh)
        row.addWidget(self.check_button)
        row.addStretch(1)
        self.box.addLayout(row)
        self.box.addStretch(1)
        self._loader = BackgroundLoad(ctx, "connection state", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(self._failed)

    def refresh(self) -> None:
        self.status.setText("Checking…")
        self._loader.load(lambda: self.ctx.read(connection.connection_state))

    def save_qwc(self) -> None:
        from desktop_app.ui.views.sync_setup_tab import save_qwc_file

        path = save_qwc_file(self.ctx, self)
        if path is not None:
            self.status.setText(f"Web Connector file saved as {path}. Add it in the Web Connector (step 3).")

    def _show(self, state: connection.ConnectionState) -> None:
        self.state = state
        if state.bound:
            where = f" ({state.bound_path})" if state.bound_path else ""
            name = state.bound_company or state.bound_path
            self.status.setText(f"✔ JobDesk is bound to the QuickBooks company “{name}”{where}. Continue.")
        else:
            self.status.setText("JobDesk is not bound to a company file yet.")
        self.how_to.setVisible(not state.bound)
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(_words(exc))
        self.loaded.emit()


class ImportStep(StepPage):
    key = "import"
    heading = "Import from QuickBooks"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "JobDesk reads QuickBooks' customers and jobs, items of every kind, accounts, terms, payment "
            "methods, sales-tax codes and the invoice numbers it already uses. Nothing in QuickBooks is "
            "changed. The import runs when the Web Connector calls: press Sync now, or wait for its next "
            "call. Run it again at any time to pick up what was added in QuickBooks since.",
            parent,
        )
        self.progress_data: connection.ImportProgress | None = None
        row = QHBoxLayout()
        self.start_button = QPushButton(icon("download", "#ffffff"), "&Start import")
        self.start_button.setObjectName("primaryButton")
        self.start_button.clicked.connect(self.start_import)
        row.addWidget(self.start_button)
        self.sync_button = QPushButton(icon("sync"), "S&ync now")
        self.sync_button.setToolTip("Ask the Web Connector to call now and run the import")
        self.sync_button.clicked.connect(self.sync_now)
        row.addWidget(self.sync_button)
        row.addStretch(1)
        self.box.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setFormat("%v of %m lists read")
        self.box.addWidget(self.bar)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        self.box.addWidget(self.counts)
        self.problem = QLabel("")
        self.problem.setObjectName("errorBanner")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.box.addWidget(self.problem)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("importSteps")
        self.table.setHorizontalHeaderLabels(["List", "State", "Note"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.resizeSection(0, 300)
        header.resizeSection(1, 210)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.box.addWidget(self.table, 1)
        self._loader = BackgroundLoad(ctx, "import progress", self)
        self._loader.done.connect(self._show)
        self._loader.failed.connect(self._failed)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- actions ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._loader.load(lambda: self.ctx.read(connection.import_progress))

    def start_import(self) -> bool:
        ok, progress = self.ctx.attempt(
            self, lambda: self.ctx.write(connection.start_import, changes=("sync",)), title="Import"
        )
        if ok and progress is not None:
            self._show(progress)
        return ok

    def sync_now(self) -> None:
        from desktop_app.ui.sync_status import sync_now

        sync_now(self.ctx, self.window())

    def stop(self) -> None:
        self._timer.stop()

    # -- internal --------------------------------------------------------------------------------
    def _poll(self) -> None:
        if not self._loader.busy:  # a slow read is never stacked on itself
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def _show(self, progress: connection.ImportProgress) -> None:
        self.progress_data = progress
        self.bar.setRange(0, max(1, progress.total))
        self.bar.setValue(progress.done)
        started = any(step.status != "not_started" for step in progress.steps)
        self.start_button.setText("Re-&run import" if started else "&Start import")
        if progress.finished:
            self.counts.setText(f"✔ Import finished. Read: {progress.counts_text()}")
        elif started:
            self.counts.setText(f"Read so far: {progress.counts_text()}")
        else:
            self.counts.setText("The import has not started: press Start import, then Sync now.")
        failed = progress.failed
        if failed:
            lines = [f"{step.label}: {step.note or 'QuickBooks refused it.'}" for step in failed]
            self.problem.setText(
                "The import did not finish:\n"
                + "\n".join(lines)
                + "\nFix what is said (in QuickBooks or the Web Connector), then press Re-run import and "
                "Sync now to try again."
            )
        self.problem.setVisible(bool(failed))
        self.table.setRowCount(len(progress.steps))
        for number, step in enumerate(progress.steps):
            values = (step.label, STATE_TEXT.get(step.status, step.status), step.note)
            for column, value in enumerate(values):
                self.table.setItem(number, column, QTableWidgetItem(value))
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.counts.setText(_words(exc))
        self.loaded.emit()


def _words(exc: BaseException) -> str:
    from desktop_app.ui.errors import unexpected_message

    return str(exc) if isinstance(exc, JobDeskError) else unexpected_message()
