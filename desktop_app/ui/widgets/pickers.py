"""Choosing one record (customer, job, item, location, terms) by typing, by keys or by mouse.

Every route ends the same way: typing a name and pressing Enter, moving with the arrow
keys, picking from the drop-down with the mouse or from the list of matches shown while
typing, or leaving the field after typing a name. ``value_changed`` fires once each time
the chosen record changes, whichever route was taken, so the form loads what belongs to
it (a customer's open invoices, a customer's service locations...).

Enter that chose something is spent choosing; the next Enter reaches the form (and saves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QCompleter, QWidget

from desktop_app.errors import ValidationError
from desktop_app.services import customers as customer_svc
from desktop_app.ui.context import AppContext

LIMIT = 50
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MOVES = (
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
)


class RecordPicker(QComboBox):
    """An editable drop-down of ``(text, id)`` choices; ``value()`` is the chosen id or None.

    ``none_text`` (e.g. "No service location") is a first choice meaning None.
    ``problem`` carries a message for the field's error line when typed text matches nothing.
    """

    value_changed = Signal(object)
    problem = Signal(str)

    def __init__(
        self,
        choices: Sequence[tuple[str, Any]] = (),
        *,
        noun: str = "record",
        none_text: str = "",
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self.none_text = none_text
        self._value: Any = None
        self._confirmed: Any = None
        self._moving = False
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        self.lineEdit().setPlaceholderText(placeholder or f"Type to find a {noun}")
        self.lineEdit().setClearButtonEnabled(True)
        completer = QCompleter(self.model(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        completer.activated[QModelIndex].connect(lambda _: self._choose())
        self.currentIndexChanged.connect(lambda _: self.sync())
        self.activated.connect(lambda _: None if self._moving else self._choose())
        self.set_choices(choices)

    # -- choices ------------------------------------------------------------------------------
    def set_choices(self, choices: Sequence[tuple[str, Any]]) -> None:
        """Replace the list, keeping the typed text and (when still listed) the choice."""
        text, cursor = self.currentText(), self.lineEdit().cursorPosition()
        blocked = self.blockSignals(True)
        self.clear()
        if self.none_text:
            self.addItem(self.none_text, None)
        for label, value in choices:
            self.addItem(label, value)
        self.setCurrentIndex(self._index_of(text))
        self.setEditText(text)
        self.lineEdit().setCursorPosition(min(cursor, len(text)))
        self.blockSignals(blocked)

    def _index_of(self, text: str) -> int:
        wanted = text.strip().casefold()
        if not wanted:
            return 0 if self.none_text else -1
        for row in range(self.count()):
            if self.itemText(row).strip().casefold() == wanted:
                return row
        return -1

    # -- value ----------------------------------------------------------------------------------
    def value(self) -> Any:
        """The id of the record whose name is in the field, or None."""
        text = self.currentText()
        row = self.currentIndex()
        if row < 0 or self.itemText(row).strip().casefold() != text.strip().casefold():
            row = self._index_of(text)
        return self.itemData(row) if row >= 0 else None

    def set_value(self, value: Any, text: str = "") -> None:
        """Show ``value`` as chosen (adding it when the list does not hold it, e.g. inactive)."""
        if value is None:
            self.setCurrentIndex(0 if self.none_text else -1)
            if not self.none_text:
                self.setEditText("")
        else:
            row = self.findData(value)
            if row < 0:
                self.addItem(text or str(value), value)
                row = self.count() - 1
            self.setCurrentIndex(row)
        self.sync()
        self._confirmed = self._value

    def sync(self) -> bool:
        """Tell the form when the chosen record changed; True when it did."""
        value = self.value()
        if value == self._value:
            return False
        self._value = value
        self.problem.emit("")
        self.value_changed.emit(value)
        return True

    def unmatched(self) -> str:
        """The typed text when it names no choice ("" when it does or is empty)."""
        text = self.currentText().strip()
        return text if text and text != self.none_text and self._index_of(text) < 0 else ""

    def checked_value(self, field: str) -> Any:
        """``value()``, or a ``ValidationError`` at ``field`` when the typed text names nothing."""
        self.refresh_now()
        text = self.unmatched()
        if text:
            raise ValidationError(field, f"No {self.noun} is named “{text}”. Choose one from the list.")
        return self.value()

    # -- routes ---------------------------------------------------------------------------------
    def _choose(self) -> None:
        """A choice from a list (mouse, or arrow keys and Enter there) is a confirmed one."""
        self.sync()
        self._confirmed = self._value

    def _finished(self) -> None:
        self.refresh_now()
        self.sync()
        text = self.unmatched()
        if text:
            self.problem.emit(f"No {self.noun} is named “{text}”. Choose one from the list.")

    def refresh_now(self) -> None:
        """Bring the list up to date with the typed text before reading it (searching pickers)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER:
            self.refresh_now()
            super().keyPressEvent(event)
            self.completer().popup().hide()  # refilling the list may have re-opened it
            self.sync()
            if self._value != self._confirmed or self.unmatched():
                # This Enter chose (or failed to choose) a record; the next one saves.
                self._confirmed = self._value
                self._finished()
                event.accept()
            else:
                event.ignore()
            return
        if event.key() in _MOVES and not event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self._moving = True
            try:
                super().keyPressEvent(event)
            finally:
                self._moving = False
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self._confirmed = self._value
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        # A list of matches popping up is not leaving; focus going to another field is.
        if QApplication.focusWidget() is not self:
            self.completer().popup().hide()
            self._finished()


def static_picker(
    choices: Sequence[tuple[str, Any]], *, noun: str, none_text: str = "", current: Any = None
) -> RecordPicker:
    picker = RecordPicker(choices, noun=noun, none_text=none_text)
    picker.set_value(current)
    return picker


class CustomerPicker(RecordPicker):
    """Active customers, searched in the database as you type (name, company, e-mail, phone)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(noun="customer", parent=parent)
        self.ctx = ctx
        self.customer_changed = self.value_changed
        # The database already matched company, e-mail and phone: show its answer whole.
        self.completer().setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._searched: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._search)
        self.lineEdit().textEdited.connect(lambda _: self._timer.start())
        self._fill("")
        self.setCurrentIndex(-1)
        self.setEditText("")

    def _fill(self, text: str) -> None:
        page = self.ctx.read(customer_svc.list_customers, search=text, limit=LIMIT)
        chosen = self._value
        rows = [(row.display_name, row.id) for row in page.rows]
        if chosen is not None and all(row_id != chosen for _, row_id in rows):
            row = self.findData(chosen)
            if row >= 0:
                rows.append((self.itemText(row), chosen))
        self.set_choices(rows)
        self._searched = text

    def _search(self) -> None:
        text = self.currentText()
        if text.strip() == (self._searched or "").strip():
            return
        self._fill(text.strip())
        if self.hasFocus() and self.count():
            self.completer().complete()

    def refresh_now(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._fill(self.currentText().strip())

    def customer_id(self) -> int | None:
        self.refresh_now()
        value = self.value()
        return value if isinstance(value, int) else None

    def set_customer(self, customer_id: int | None, name: str = "") -> None:
        self.set_value(customer_id, name)


__all__ = ["CustomerPicker", "RecordPicker", "static_picker"]
