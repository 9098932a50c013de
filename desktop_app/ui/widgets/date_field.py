"""A date typed the way an office types it, or picked from a calendar that opens on today.

``3/5``, ``03/05/2026``, ``2026-03-05`` and ``t`` (today) are read in the user's locale
order (month first in the US, day first in the UK...). An impossible date (``02/31/2026``)
is refused with a message at the field and left as typed: never silently changed into
another date. An optional date left empty stays empty (``value()`` is None).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QLineEdit

from desktop_app.errors import ValidationError
from desktop_app.ui.resources import icon

TODAY_WORDS = ("t", "today")
_SEPARATORS = re.compile(r"[/.\-\s]+")


def date_order(locale: QLocale | None = None) -> str:
    """ "MDY", "DMY" or "YMD": the order of a numeric short date in ``locale``.

    The C locale (no language configured) reads as the United States, where QuickBooks
    Desktop for contractors mostly lives.
    """
    locale = locale or QLocale()
    if locale.language() == QLocale.Language.C:
        return "MDY"
    pattern = locale.dateFormat(QLocale.FormatType.ShortFormat)
    order = ""
    for char in pattern:
        key = {"d": "D", "M": "M", "y": "Y"}.get(char)
        if key and key not in order:
            order += key
    return order if sorted(order) == ["D", "M", "Y"] else "MDY"


def display_format(order: str) -> str:
    """Two-digit day and month, four-digit year, in the locale's order."""
    parts = {"M": "%m", "D": "%d", "Y": "%Y"}
    if order == "YMD":
        return "%Y-%m-%d"
    return "/".join(parts[key] for key in order)


def _placeholder(order: str) -> str:
    return {"MDY": "mm/dd/yyyy", "DMY": "dd/mm/yyyy", "YMD": "yyyy-mm-dd"}[order]


def parse_date(
    text: str, order: str = "MDY", *, today: date | None = None, field: str = "date"
) -> date | None:
    """The date ``text`` means, None when empty; a ``ValidationError`` saying what is wrong."""
    today = today or date.today()
    clean = text.strip().lower()
    if not clean:
        return None
    if clean in TODAY_WORDS:
        return today
    parts = [part for part in _SEPARATORS.split(clean) if part]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) in (4, 6, 8):
        parts = _split_digits(parts[0], order)
    if not all(part.isdigit() for part in parts) or len(parts) not in (2, 3):
        raise ValidationError(
            field, f"“{text.strip()}” is not a date. Type it as {_placeholder(order)}, or t for today."
        )
    numbers = [int(part) for part in parts]
    if len(parts) == 3 and len(parts[0]) == 4:
        year, month, day = numbers  # ISO 2026-03-05, whatever the locale
    else:
        keys = [key for key in order if key != "Y"] if len(parts) == 2 else list(order)
        values = dict(zip(keys, numbers, strict=True))
        if len(parts) == 3 and len(parts[keys.index("Y")]) not in (2, 4):
            raise ValidationError(field, f"“{text.strip()}”: write the year with two or four digits.")
        year = values.get("Y", today.year)
        month, day = values["M"], values["D"]
        if year < 100:
            year += 2000
    if not 1 <= month <= 12:
        raise ValidationError(field, f"“{text.strip()}” is not a date: there is no month {month}.")
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if not 1 <= day <= last:
        name = date(2000, month, 1).strftime("%B")
        raise ValidationError(field, f"“{text.strip()}” is not a date: {name} {year} has {last} days.")
    if not 1 <= year <= 9999:
        raise ValidationError(field, f"“{text.strip()}” is not a date: the year {year} is out of range.")
    return date(year, month, day)


def _split_digits(digits: str, order: str) -> list[str]:
    """``0305`` → 03 05; ``030526`` → 03 05 26; ``03052026`` → 03 05 2026; ``20260305`` → ISO."""
    if len(digits) == 4:
        return [digits[:2], digits[2:]]
    if len(digits) == 8 and (order == "YMD" or (digits[:2] in ("19", "20") and int(digits[4:6]) <= 12)):
        return [digits[:4], digits[4:6], digits[6:]]
    return [digits[:2], digits[2:4], digits[4:]]


class DateField(QLineEdit):
    """``value()`` is the date typed, None when an optional date is empty.

    ``problem`` carries a message for the field's error line (empty when the text is fine);
    ``edited`` fires when the user changed the date (typing or the calendar).
    """

    problem = Signal(str)
    edited = Signal()

    def __init__(
        self, value: date | None = None, *, optional: bool = False, locale: QLocale | None = None
    ) -> None:
        super().__init__()
        self._optional = optional
        self.order = date_order(locale)
        self._format = display_format(self.order)
        self.setPlaceholderText(_placeholder(self.order) + ("" if not optional else "  (optional)"))
        self.setToolTip(f"Type {_placeholder(self.order)}, just month and day, or t for today.")
        self.calendar_action = QAction(icon("calendar"), "Choose from a calendar", self)
        self.calendar_action.triggered.connect(self.open_calendar)
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)
        self.calendar: QCalendarWidget | None = None
        self.textEdited.connect(lambda _: self.edited.emit())
        self.editingFinished.connect(self._tidy)
        self.set_value(value)

    @property
    def field(self) -> str:
        return self.objectName().removeprefix("field_") or "date"

    # -- value --------------------------------------------------------------------------------
    def set_value(self, value: date | None) -> None:
        if value is None and not self._optional:
            value = date.today()
        self.setText("" if value is None else value.strftime(self._format))

    def value(self) -> date | None:
        """The date; ``ValidationError`` (naming this field) when the text is not one."""
        parsed = parse_date(self.text(), self.order, field=self.field)
        if parsed is None and not self._optional:
            raise ValidationError(self.field, f"Enter a date ({_placeholder(self.order)}), or t for today.")
        return parsed

    def _tidy(self) -> None:
        """On leaving the field: show a good date in full, or say what is wrong with it."""
        try:
            parsed = self.value()
        except ValidationError as exc:
            self.problem.emit(str(exc))
            return
        self.problem.emit("")
        tidy = "" if parsed is None else parsed.strftime(self._format)
        if tidy != self.text():
            self.setText(tidy)

    # -- calendar -------------------------------------------------------------------------------
    def open_calendar(self) -> QCalendarWidget:
        """Pop a calendar under the field, on the typed date or else on today."""
        if self.calendar is None:
            self.calendar = QCalendarWidget(self)
            self.calendar.setWindowFlags(Qt.WindowType.Popup)
            self.calendar.setGridVisible(False)
            self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
            self.calendar.clicked.connect(self._picked)
            self.calendar.activated.connect(self._picked)
            self.calendar.installEventFilter(self)
        try:
            current = parse_date(self.text(), self.order, field=self.field)
        except ValidationError:
            current = None
        current = current or date.today()
        self.calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        self.calendar.setCurrentPage(current.year, current.month)
        self.calendar.adjustSize()
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)
        return self.calendar

    def _picked(self, picked: QDate) -> None:
        self.setText(date(picked.year(), picked.month(), picked.day()).strftime(self._format))
        self.problem.emit("")
        self.edited.emit()
        if self.calendar is not None:
            self.calendar.hide()
        self.setFocus(Qt.FocusReason.PopupFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.calendar and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self.calendar.hide()
            self.setFocus(Qt.FocusReason.PopupFocusReason)
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # F4 or Alt+Down opens the calendar, as they open a drop-down list.
        alt_down = event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        if event.key() == Qt.Key.Key_F4 or alt_down:
            self.open_calendar()
            return
        super().keyPressEvent(event)


__all__ = ["DateField", "date_order", "parse_date"]
