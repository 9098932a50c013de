"""The base of every record editor: header, scrolling body, Save/Cancel, unsaved-change guard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.ui.context import AppContext
from desktop_app.ui.widgets.forms import DirtyTracker, FieldErrors

if TYPE_CHECKING:
    from desktop_app.ui.widgets.history_tab import HistoryTab


class RecordDialog(QDialog):
    """Subclasses build ``self.body``, implement ``load()`` and ``persist()``.

    ``persist()`` calls services and returns the saved detail; errors are shown next to
    their field (``ValidationError``) or as a message; a conflict offers Reload.
    """

    saved = Signal(object)
    #: Dialogs that only create (Pay, New invoice) close on Enter as on Save: a second
    #: Enter must not record a second payment.
    enter_closes = False

    def __init__(
        self, ctx: AppContext, title: str, parent: QWidget | None = None, *, width: int = 860
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.errors = FieldErrors(self)
        self.tracker = DirtyTracker(self)
        self.tracker.dirty_changed.connect(self._dirty_changed)
        self.record: Any = None
        self._base_title = title
        self.setWindowTitle(title)
        self.resize(width, 720)
        self.setModal(False)
        self._closing_ok = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        head = QHBoxLayout()
        head.setContentsMargins(28, 20, 28, 8)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("dialogTitle")
        self.subtitle_label = QLabel("")
        self.subtitle_label.setObjectName("pageSubtitle")
        titles.addWidget(self.title_label)
        titles.addWidget(self.subtitle_label)
        head.addLayout(titles, 1)
        self.header_actions = QHBoxLayout()
        self.header_actions.setSpacing(8)
        head.addLayout(self.header_actions)
        outer.addLayout(head)

        self.message = QLabel("")
        self.message.setObjectName("errorBanner")
        self.message.setWordWrap(True)
        self.message.hide()
        message_row = QHBoxLayout()
        message_row.setContentsMargins(28, 0, 28, 0)
        message_row.addWidget(self.message)
        outer.addLayout(message_row)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body.setObjectName("pageArea")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(28, 8, 28, 20)
        self.body_layout.setSpacing(10)
        scroll.setWidget(self.body)
        outer.addWidget(scroll, 1)
        self._outer, self._scroll = outer, scroll
        self.tabs: QTabWidget | None = None
        self.history: HistoryTab | None = None

        footer = QFrame()
        footer.setObjectName("dialogFooter")
        self.footer_layout = QHBoxLayout(footer)
        self.footer_layout.setContentsMargins(28, 12, 28, 12)
        self.saved_note = QLabel("")
        self.saved_note.setObjectName("savedNote")
        self.footer_layout.addWidget(self.saved_note)
        self.footer_layout.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primaryButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_and_close)
        self.footer_layout.addWidget(self.cancel_button)
        self.footer_layout.addWidget(self.save_button)
        outer.addWidget(footer)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

    # -- to implement -----------------------------------------------------------------------
    def load(self, record: Any) -> None:
        """Fill the form from a detail dataclass (or clear it when None)."""

    def persist(self) -> Any:
        """Save through services; return the new detail."""
        raise NotImplementedError

    def reload_record(self) -> Any:
        """Read the record again (after a conflict); return None when new."""
        return None

    # -- behaviour ------------------------------------------------------------------------------
    def add_history_tab(self, entity_type: str) -> HistoryTab:
        """Put the form on a "Details" tab beside a "History" tab of the record's audit trail."""
        from desktop_app.ui.widgets.history_tab import HistoryTab

        self.tabs = QTabWidget()
        self.tabs.setObjectName("recordTabs")
        self._outer.replaceWidget(self._scroll, self.tabs)
        self.tabs.addTab(self._scroll, "Details")
        self.history = HistoryTab(self.ctx, entity_type, getattr(self.record, "id", None))
        self.tabs.addTab(self.history, "History")
        return self.history

    def set_record(self, record: Any) -> None:
        self.record = record
        if self.history is not None:
            self.history.set_record(getattr(record, "id", None))
        with self.tracker.paused():
            self.load(record)
        self.tracker.reset()
        self.errors.clear()
        self.message.hide()

    def header_button(self, text: str, handler: Callable[[], None], *, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        if primary:
            button.setObjectName("primaryButton")
        button.clicked.connect(handler)
        self.header_actions.addWidget(button)
        return button

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _on_validation(self, exc: ValidationError) -> bool:
        if self.errors.show(exc):
            self.show_message("")
            return True
        self.show_message(str(exc))
        return True

    def _reload(self) -> None:
        record = self.reload_record()
        if record is not None:
            self.set_record(record)

    def save(self) -> bool:
        self.errors.clear()
        self.show_message("")
        ok, result = self.ctx.attempt(
            self,
            self.persist,
            on_validation=self._on_validation,
            on_reload=self._reload,
            title=self._base_title,
        )
        if ok:
            self.set_record(result)
            self.saved.emit(result)
            self.announce_saved()
        return ok

    def announce_saved(self, text: str = "") -> None:
        """Say "Saved" in the window, and in the main window's status bar when there is one."""
        note = text or f"{self._base_title} saved"
        self.saved_note.setText(f"✓ Saved {datetime.now():%H:%M}")
        widget = self.parentWidget()
        while widget is not None:
            if isinstance(widget, RecordDialog):
                widget.saved_note.setText(f"✓ {note} {datetime.now():%H:%M}")
            if isinstance(widget, QMainWindow):
                widget.statusBar().showMessage(f"{note}.", 8000)
                return
            widget = widget.parentWidget()

    def save_and_close(self) -> None:
        if self.save():
            self._closing_ok = True
            self.accept()

    def _dirty_changed(self, dirty: bool) -> None:
        if dirty:
            self.saved_note.setText("")
        self.setWindowTitle(f"{self._base_title}{' *' if dirty else ''}")

    def confirm_discard(self) -> bool:
        if not self.tracker.dirty or self._closing_ok:
            return True
        return self.ctx.prompts.confirm(
            self,
            "Unsaved changes",
            "You have changes that are not saved. Close and discard them?",
            ok="Discard changes",
        )

    def reject(self) -> None:
        if self.confirm_discard():
            self._closing_ok = True
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.confirm_discard():
            self._closing_ok = True
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: Any) -> None:
        # Enter in a field saves and keeps the window open (it says "Saved"); the Save
        # button saves and closes. Fields that use Enter themselves (notes, a picker
        # choosing, a table cell being edited) keep it and it never arrives here.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.save_button.isVisible() and self.save_button.isEnabled():
                self.save_and_close() if self.enter_closes else self.save()
            return
        super().keyPressEvent(event)

    def resize(self, *size: Any) -> None:
        """Never open taller or wider than the screen's free area (1024 × 768 with a taskbar)."""
        wanted = QSize(*size) if len(size) == 2 else QSize(size[0])
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry().size() - QSize(16, 48)  # the frame and title bar
            wanted = wanted.boundedTo(room)
        super().resize(wanted)


def card(title: str = "") -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(18, 14, 18, 16)
    box.setSpacing(8)
    if title:
        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        heading.setStyleSheet("padding-top: 0px;")
        box.addWidget(heading)
    return frame, box
