"""Form helpers: labelled fields, errors shown next to the field at fault, dirty tracking."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.ui.widgets.date_field import DateField


def repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class FieldErrors(QObject):
    """Knows which widget edits which service field; shows a ``ValidationError`` beside it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, field: str, widget: QWidget, label: QLabel, *aliases: str) -> None:
        self._fields[field] = (widget, label)
        for alias in aliases:
            self._aliases[alias] = field

    def alias(self, service_field: str, form_field: str) -> None:
        self._aliases[service_field] = form_field

    def show(self, exc: ValidationError) -> bool:
        """Show the message under its field; False when no field on this form matches."""
        self.clear()
        name = self._aliases.get(exc.field, exc.field)
        entry = self._fields.get(name)
        if entry is None:
            return False
        widget, label = entry
        label.setText(str(exc))
        if label.property("hint"):
            label.setProperty("hint", False)  # an error, in red, even where a hint was
            repolish(label)
        label.show()
        widget.setProperty("invalid", True)
        repolish(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def show_text(self, field: str, text: str, *, hint: bool = False) -> None:
        """A message under one field (empty clears it), without touching the others.

        A hint (a limit reached) is said in grey and leaves the field unmarked.
        """
        entry = self._fields.get(self._aliases.get(field, field))
        if entry is None:
            return
        widget, label = entry
        label.setText(text)
        label.setVisible(bool(text))
        if text and bool(label.property("hint")) != hint:
            label.setProperty("hint", hint)
            repolish(label)
        invalid = bool(text) and not hint
        if bool(widget.property("invalid")) != invalid:
            widget.setProperty("invalid", invalid)
            repolish(widget)

    def message(self, field: str) -> str:
        entry = self._fields.get(self._aliases.get(field, field))
        return entry[1].text() if entry and entry[1].isVisibleTo(entry[1].parentWidget()) else ""

    def clear(self) -> None:
        for widget, label in self._fields.values():
            label.clear()
            label.hide()
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                repolish(widget)


class Form(QWidget):
    """A grid of labelled fields, two columns wide; each field has an error line under it."""

    def __init__(self, errors: FieldErrors, parent: QWidget | None = None, *, columns: int = 2) -> None:
        super().__init__(parent)
        self.errors = errors
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(16)
        self._grid.setVerticalSpacing(4)
        self._columns = columns
        self._row = 0
        self._col = 0
        self.widgets: dict[str, QWidget] = {}

    def add(
        self, field: str, label: str, widget: QWidget, *, span: int = 1, aliases: tuple[str, ...] = ()
    ) -> QWidget:
        if self._col + span > self._columns:
            self._next_row()
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 6)
        box.setSpacing(3)
        caption = QLabel(label)
        caption.setObjectName("fieldLabel")
        caption.setBuddy(widget)
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        box.addWidget(caption)
        box.addWidget(widget)
        box.addWidget(error)
        widget.setObjectName(f"field_{field}")
        self._grid.addWidget(cell, self._row, self._col, 1, span)
        self._col += span
        if self._col >= self._columns:
            self._next_row()
        self.errors.register(field, widget, error, *aliases)
        problem = getattr(widget, "problem", None)
        if problem is not None:
            # Widgets that check themselves while typing (dates, limited text) say so here.
            problem.connect(lambda text, name=field: self.errors.show_text(name, text))
        hint = getattr(widget, "hint", None)
        if hint is not None:
            hint.connect(lambda text, name=field: self.errors.show_text(name, text, hint=True))
        self.widgets[field] = widget
        return widget

    def section(self, title: str) -> None:
        if self._col:
            self._next_row()
        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        self._grid.addWidget(heading, self._row, 0, 1, self._columns)
        self._next_row()

    def _next_row(self) -> None:
        self._row += 1
        self._col = 0


class DirtyTracker(QObject):
    """Becomes dirty when any watched widget is edited by the user."""

    dirty_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dirty = False
        self._paused = 0

    def watch(self, *widgets: QWidget) -> None:
        for widget in widgets:
            if isinstance(widget, DateField):
                widget.edited.connect(self.mark)
            elif isinstance(widget, QLineEdit):
                widget.textEdited.connect(self.mark)
            elif isinstance(widget, QPlainTextEdit):
                widget.textChanged.connect(self.mark)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self.mark)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.mark)
            elif isinstance(widget, QAbstractSpinBox):
                widget.editingFinished.connect(self.mark)

    def mark(self, *_: object) -> None:
        if self._paused:
            return
        if not self._dirty:
            self._dirty = True
            self.dirty_changed.emit(True)

    def reset(self) -> None:
        if self._dirty:
            self._dirty = False
            self.dirty_changed.emit(False)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def paused(self) -> _Pause:
        return _Pause(self)


class _Pause:
    def __init__(self, tracker: DirtyTracker) -> None:
        self._tracker = tracker

    def __enter__(self) -> None:
        self._tracker._paused += 1

    def __exit__(self, *_: object) -> None:
        self._tracker._paused -= 1


# -- small field widgets ----------------------------------------------------------------
class LimitedLine(QLineEdit):
    """Text that stops at QuickBooks' length for the field, and says so when it gets there.

    Typing past the limit is refused and a pasted text is cut to it (Qt's max length);
    either way ``hint`` carries the reason, so nothing is cut without a word.
    """

    hint = Signal(str)

    def __init__(self, text: str = "", limit: int = 0) -> None:
        super().__init__(text)
        self.limit = limit
        self.setMaxLength(limit)
        self.setToolTip(f"Up to {limit:,} characters, the most QuickBooks keeps for this field.")
        self.textEdited.connect(lambda _: self._say())

    def reached_text(self) -> str:
        return f"{self.limit:,} characters at most: QuickBooks keeps no more for this field."

    def _say(self, refused: bool = False) -> None:
        self.hint.emit(self.reached_text() if refused or len(self.text()) >= self.limit else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        full = len(self.text()) >= self.limit and not self.hasSelectedText()
        super().keyPressEvent(event)
        if full and event.text() and event.text().isprintable():
            self._say(refused=True)


def line(text: str = "", placeholder: str = "", max_length: int = 0) -> QLineEdit:
    edit = LimitedLine(text, max_length) if max_length else QLineEdit(text)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit


def notes(text: str = "", placeholder: str = "", height: int = 80) -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(height)
    edit.setTabChangesFocus(True)
    return edit


def combo(choices: list[tuple[str, object]], current: object = None) -> QComboBox:
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    set_combo(box, current)
    return box


def set_combo(box: QComboBox, value: object) -> None:
    for number in range(box.count()):
        if box.itemData(number) == value:
            box.setCurrentIndex(number)
            return


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def on_enter(widget: QLineEdit, callback: Callable[[], None]) -> None:
    widget.returnPressed.connect(callback)
