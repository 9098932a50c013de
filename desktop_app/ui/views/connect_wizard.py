"""Sync centre → "Connect to QuickBooks…": connecting JobDesk to an office's existing company.

A dialog with the steps listed on the left (``connection.STEPS``) and the current one on
the right. The step reached is stored by the service as it changes (``go_to_step``), so
closing the wizard, or the app, at any step loses nothing: opening it again continues at
the stored step. Moving forward goes through the service, whose refusals ("the import has
not finished") are shown as they are written. Until Send on the last step only imports
reach QuickBooks; "Stop connecting" gives the sync back what it did before.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services import connection
from desktop_app.ui.context import AppContext
from desktop_app.ui.resources import icon
from desktop_app.ui.views.connect_step_base import StepPage
from desktop_app.ui.views.connect_steps_import import CompanyStep, ImportStep
from desktop_app.ui.views.connect_steps_review import ReviewStep
from desktop_app.ui.views.connect_steps_setup import MappingStep, NumberingStep
from desktop_app.ui.views.sync_preview import SyncPreviewWidget

TITLE = "Connect to QuickBooks"
ADMIN_ONLY = "Only an admin can connect JobDesk to a QuickBooks company."
SAVE, DISCARD = "Save", "Don't save"
#: The step list's own look: the app's navList style is drawn for the dark navigation rail.
STEP_LIST_STYLE = """
QListWidget#stepList { background: #f1f5f9; border: none; border-right: 1px solid #e2e8f0;
    outline: none; padding-top: 14px; }
QListWidget#stepList::item { color: #334155; padding: 9px 12px; margin: 2px 10px; border-radius: 8px; }
QListWidget#stepList::item:hover { background: #e2e8f0; }
QListWidget#stepList::item:selected { background: #2563eb; color: #ffffff; }
"""


class SendStep(StepPage):
    """The preview of the first sync, and Send."""

    key = "preview"
    heading = "Preview and send"
    sent = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "Record by record, what the first sync will do in QuickBooks. Nothing has been written to "
            "QuickBooks yet: it happens only when you press Send, at the next Web Connector session. "
            "Close keeps everything as it is, to come back later.",
            parent,
        )
        self.undecided = 0
        self.banner = QLabel("")
        self.banner.setObjectName("warningBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.box.addWidget(self.banner)
        self.preview = SyncPreviewWidget(ctx, self)
        self.preview.loaded.connect(self.loaded)
        self.box.addWidget(self.preview, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.send_button = QPushButton(icon("upload", "#ffffff"), "Se&nd to QuickBooks")
        self.send_button.setObjectName("primaryButton")
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.send_button)
        self.box.addLayout(row)

    def refresh(self) -> None:
        ok, state = self.ctx.attempt(self, lambda: self.ctx.read(connection.connection_state))
        self.undecided = state.undecided if ok and state is not None else 0
        if self.undecided:
            many = self.undecided != 1
            self.banner.setText(
                f"{self.undecided} possible match{'es' if many else ''} with QuickBooks records still "
                f"need{'' if many else 's'} a decision (Review matches): the records concerned are shown "
                "in conflict, and nothing can be sent before they are decided."
            )
        self.banner.setVisible(bool(self.undecided))
        self.preview.refresh()

    def send(self) -> bool:
        if not self.ctx.prompts.confirm(
            self,
            "Send to QuickBooks",
            "Send the first sync? At the next Web Connector session JobDesk writes to the QuickBooks "
            "company what the preview shows. Records sent cannot be taken back from here.",
            ok="Send",
        ):
            return False
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(connection.send_first_sync, changes=("sync",)),
            title="Send to QuickBooks",
        )
        if ok:
            self.sent.emit()
        return ok


class ConnectWizard(QDialog):
    """``start()`` begins or resumes connecting (False when refused); the pages do the rest."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.resize(_fitting(1180, 780))
        self.state: connection.ConnectionState | None = None
        #: How the wizard ended: "" (open or closed to continue later), "sent", "stopped".
        self.outcome = ""
        self._moving = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        main = QHBoxLayout()
        main.setContentsMargins(0, 0, 0, 0)
        self.step_list = QListWidget()
        self.step_list.setObjectName("stepList")
        self.step_list.setStyleSheet(STEP_LIST_STYLE)
        self.step_list.setFixedWidth(220)
        self.step_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.step_list.setAccessibleName("Steps")
        for step in connection.STEPS:
            self.step_list.addItem(connection.STEP_LABEL[step])
        self.step_list.currentRowChanged.connect(self._step_clicked)
        main.addWidget(self.step_list)
        right = QVBoxLayout()
        right.setContentsMargins(28, 20, 28, 12)
        right.setSpacing(8)
        self.title_label = QLabel(TITLE)
        self.title_label.setObjectName("dialogTitle")
        right.addWidget(self.title_label)
        self.step_label = QLabel("")
        self.step_label.setObjectName("pageSubtitle")
        right.addWidget(self.step_label)
        self.stack = QStackedWidget()
        self.company_page = CompanyStep(ctx)
        self.import_page = ImportStep(ctx)
        self.review_page = ReviewStep(ctx)
        self.numbering_page = NumberingStep(ctx)
        self.mapping_page = MappingStep(ctx)
        self.send_page = SendStep(ctx)
        self.send_page.sent.connect(self._sent)
        self.pages: dict[str, StepPage] = {}
        for page in (
            self.company_page,
            self.import_page,
            self.review_page,
            self.numbering_page,
            self.mapping_page,
            self.send_page,
        ):
            self.pages[page.key] = page
            self.stack.addWidget(page)
        right.addWidget(self.stack, 1)
        main.addLayout(right, 1)
        outer.addLayout(main, 1)
        outer.addWidget(self._footer())

    def _footer(self) -> QWidget:
        footer = QWidget()
        footer.setObjectName("dialogFooter")
        row = QHBoxLayout(footer)
        row.setContentsMargins(20, 10, 20, 10)
        self.stop_button = QPushButton(icon("x"), "Sto&p connecting…")
        self.stop_button.setToolTip("Give up connecting: the sync goes back to what it did before")
        self.stop_button.clicked.connect(self.stop_connecting)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self.previous_step)
        row.addWidget(self.back_button)
        self.next_button = QPushButton("Con&tinue")
        self.next_button.setObjectName("primaryButton")
        self.next_button.clicked.connect(self.next_step)
        row.addWidget(self.next_button)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close and continue later: everything done so far is kept")
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.close_button)
        return footer

    # -- flow ------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Begin connecting, or continue at the stored step."""
        ok, state = self.ctx.attempt(self, lambda: self.ctx.read(connection.connection_state), title=TITLE)
        if not ok or state is None:
            return False
        if state.step == "done" and not self.ctx.prompts.confirm(
            self,
            TITLE,
            f"JobDesk is already connected to “{state.bound_company or state.bound_path}”. Connect again? "
            "Until you press Send at the end, JobDesk then only reads from QuickBooks.",
            ok="Connect again",
        ):
            return False
        ok, state = self.ctx.attempt(
            self, lambda: self.ctx.write(connection.start_connection, changes=("sync",)), title=TITLE
        )
        if not ok or state is None:
            return False
        self._show_step(state)
        return True

    @property
    def current_step(self) -> str:
        page = self.stack.currentWidget()
        return page.key if isinstance(page, StepPage) else ""

    def current_page(self) -> StepPage | None:
        return self.pages.get(self.current_step)

    def go_to(self, step: str) -> bool:
        """Move to ``step`` through the service (forward only when it is ready)."""
        here = self.current_step
        forward = step in connection.STEPS and here in connection.STEPS
        forward = forward and connection.STEPS.index(step) > connection.STEPS.index(here)
        page_now = self.current_page()
        if forward and page_now is not None and not page_now.leave():
            self._select_in_list(here)
            return False
        ok, state = self.ctx.attempt(
            self, lambda: self.ctx.write(connection.go_to_step, step, changes=("sync",)), title=TITLE
        )
        if not ok or state is None:
            self._select_in_list(here)
            return False
        self._show_step(state)
        return True

    def next_step(self) -> bool:
        here = connection.STEPS.index(self.current_step)
        return here + 1 < len(connection.STEPS) and self.go_to(connection.STEPS[here + 1])

    def previous_step(self) -> bool:
        here = connection.STEPS.index(self.current_step)
        return here > 0 and self.go_to(connection.STEPS[here - 1])

    def stop_connecting(self) -> bool:
        if not self.ctx.prompts.confirm(
            self,
            "Stop connecting",
            "Stop connecting to this QuickBooks company? The sync goes back to what it did before. What "
            "was imported and the matches decided are kept for another try; records of ours with an "
            "undecided match stay out of QuickBooks until they are decided.",
            ok="Stop connecting",
        ):
            return False
        ok, _ = self.ctx.attempt(
            self, lambda: self.ctx.write(connection.abandon_connection, changes=("sync",)), title=TITLE
        )
        if ok:
            self.outcome = "stopped"
            self.close()
        return ok

    # -- internal --------------------------------------------------------------------------------
    def _show_step(self, state: connection.ConnectionState) -> None:
        self.state = state
        step = state.step if state.step in connection.STEPS else connection.STEPS[0]
        previous = self.stack.currentWidget()
        if isinstance(previous, StepPage) and previous.key != step:
            previous.stop()
        page = self.pages[step]
        self.stack.setCurrentWidget(page)
        self._select_in_list(step)
        number = connection.STEPS.index(step)
        for row, each in enumerate(connection.STEPS):
            item = self.step_list.item(row)
            if item is not None:  # steps behind are marked done; the service keeps the order
                item.setText(f"{'✔' if row < number else f'{row + 1}.'}  {connection.STEP_LABEL[each]}")
        self.step_label.setText(
            f"Step {number + 1} of {len(connection.STEPS)}: {connection.STEP_LABEL[step]}"
        )
        self.back_button.setEnabled(number > 0)
        self.next_button.setVisible(number + 1 < len(connection.STEPS))
        self.next_button.setDefault(number + 1 < len(connection.STEPS))
        page.refresh()

    def _select_in_list(self, step: str) -> None:
        if step not in connection.STEPS:
            return
        self._moving = True
        try:
            self.step_list.setCurrentRow(connection.STEPS.index(step))
        finally:
            self._moving = False

    def _step_clicked(self, row: int) -> None:
        if self._moving or not 0 <= row < len(connection.STEPS):
            return
        if connection.STEPS[row] != self.current_step:
            self.go_to(connection.STEPS[row])

    def _sent(self) -> None:
        self.outcome = "sent"
        self.ctx.prompts.inform(
            self,
            "Send to QuickBooks",
            "Done. JobDesk sends its records to QuickBooks at the next Web Connector session; follow it "
            "in the Sync centre.",
        )
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        page = self.stack.currentWidget()
        if self.outcome == "" and isinstance(page, StepPage) and page.has_unsaved():
            answer = self.ctx.prompts.choose(
                self,
                TITLE,
                f"The choices shown in “{page.heading}” are not saved yet. Save them before closing?",
                [SAVE, DISCARD],
            )
            if answer is None or (answer == SAVE and not page.save()):
                event.ignore()
                return
        for each in self.pages.values():
            each.stop()
        super().closeEvent(event)


def _fitting(width: int, height: int) -> QSize:
    """The size wanted, or less on a small screen (1024 x 768 office PCs)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    room = screen.availableGeometry()
    return QSize(min(width, room.width() - 40), min(height, room.height() - 40))


def can_connect(ctx: AppContext) -> tuple[bool, str]:
    """Whether this user may open the wizard, and why not (the service refuses anyway)."""
    return (True, "") if ctx.actor.is_admin else (False, ADMIN_ONLY)
