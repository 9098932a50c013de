"""Driving widgets as a person does: click into a field, select what is there, type, leave."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QLineEdit, QToolButton, QWidget
from pytestqt.qtbot import QtBot


def show(qtbot: QtBot, window: QWidget) -> QWidget:
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def activate(qtbot: QtBot, window: QWidget) -> QWidget:
    """A window the application opened itself: registered for clean-up, and active."""
    qtbot.addWidget(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def focus(qtbot: QtBot, widget: QWidget) -> None:
    """Click into the widget (its text box for an editable drop-down)."""
    target = widget.lineEdit() if isinstance(widget, QComboBox) and widget.isEditable() else widget
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(8, target.height() // 2))
    assert QApplication.focusWidget() in (widget, target), f"{widget.objectName()} did not take the focus"


def retype(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Click, select all (Ctrl+A), type ``text`` (an empty text deletes what was there)."""
    focus(qtbot, widget)
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, Qt.Key.Key_Delete)


def keyboard(widget: QWidget) -> QWidget:
    """Where a key goes: an open pop-up (a list of matches) has the keyboard first."""
    return QApplication.activePopupWidget() or widget


def leave(qtbot: QtBot, widget: QWidget) -> None:
    """Tab out of the field, as a person moves on."""
    qtbot.keyClick(keyboard(widget), Qt.Key.Key_Tab)
    if widget.hasFocus():  # the Tab closed a list of matches; the next one moves on
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert not widget.hasFocus()


def enter(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.keyClick(keyboard(widget), Qt.Key.Key_Return)


def tool_button(field: QLineEdit) -> QToolButton:
    """The button a QLineEdit shows for its trailing action (the calendar)."""
    buttons = [b for b in field.findChildren(QToolButton) if b.isVisible()]
    assert buttons, "the field shows no button"
    return buttons[-1]


def click_row(qtbot: QtBot, view: QAbstractItemView, row: int) -> None:
    index = view.model().index(row, 0)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
