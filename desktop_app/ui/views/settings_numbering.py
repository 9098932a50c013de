"""Settings → Next numbers: the number the next job and the next invoice will get.

An admin moves a counter forward, or back as far as just above the highest number used
here or known in QuickBooks (a counter moved forward by mistake, issue 15). While the new
number is typed, the line under the field says what the move would skip or hand out again,
or why it is refused; "Set next number" makes the move (audited by the service). Office
users read the next numbers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.numbering import NumberingMode
from desktop_app.errors import ValidationError
from desktop_app.services import counter_reset
from desktop_app.services import numbering as numbering_svc
from desktop_app.services.counters import CounterName
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.base import card
from desktop_app.ui.widgets.forms import FieldErrors

TITLE = "Next numbers"
SET_TEXT = "Set next number"
READ_ONLY_NOTE = "Only an administrator can change the next job or invoice number."
CAPTIONS: dict[CounterName, str] = {"job": "Next job number", "invoice": "Next invoice number"}
#: Broadcast kinds after which a counter may have moved (a number handed out, a setting, an import).
RELOAD_ON = ("settings", "job", "invoice", "sync")


class CounterRow(QWidget):
    """One counter: caption, prefix, the number field, its button; the line under them."""

    def __init__(self, counter: CounterName, errors: FieldErrors) -> None:
        super().__init__()
        self.counter = counter
        #: The counter's next value as last read (None before the first read).
        self.current: int | None = None
        self.prefix = ""
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        caption = QLabel(CAPTIONS[counter])
        caption.setObjectName("fieldLabel")
        self.edit = QLineEdit()
        self.edit.setObjectName(f"field_next_{counter}")
        self.edit.setAccessibleName(CAPTIONS[counter])
        self.edit.setMaxLength(20)
        caption.setBuddy(self.edit)
        self.prefix_label = QLabel("")
        self.button = QPushButton(SET_TEXT)
        self.button.setObjectName("primaryButton")
        self.button.setEnabled(False)
        self.line = QLabel("")
        self.line.setObjectName("fieldError")
        self.line.setWordWrap(True)
        self.line.hide()
        grid.addWidget(caption, 0, 0, 1, 3)
        grid.addWidget(self.prefix_label, 1, 0)
        grid.addWidget(self.edit, 1, 1)
        grid.addWidget(self.button, 1, 2)
        grid.addWidget(self.line, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        errors.register(counter, self.edit, self.line)

    @property
    def edited(self) -> bool:
        """The admin has typed something other than the counter's value."""
        return self.current is not None and self.edit.text().strip() != str(self.current)


class NumberingCountersSection(QFrame):
    """The card in Settings; follows numbers handed out and settings changed elsewhere."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.errors = FieldErrors(self)
        frame, box = card(TITLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.intro = QLabel("")
        self.intro.setObjectName("hint")
        self.intro.setWordWrap(True)
        box.addWidget(self.intro)
        self.rows: dict[CounterName, CounterRow] = {}
        line = QHBoxLayout()
        line.setSpacing(24)
        for counter in CAPTIONS:
            row = CounterRow(counter, self.errors)
            row.edit.textEdited.connect(lambda _text, r=row: self.preview(r))
            row.edit.returnPressed.connect(lambda r=row: self.apply(r))
            row.button.clicked.connect(lambda _checked=False, r=row: self.apply(r))
            self.rows[counter] = row
            line.addWidget(row, 1)
        box.addLayout(line)
        self.read_only_note = QLabel(READ_ONLY_NOTE)
        self.read_only_note.setObjectName("hint")
        self.read_only_note.setWordWrap(True)
        box.addWidget(self.read_only_note)
        ctx.changed.connect(self._changed)

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> None:
        ok, read = self.ctx.attempt(
            self,
            lambda: self.ctx.read(lambda uow: (numbering_svc.config(uow), numbering_svc.next_numbers(uow))),
            title=TITLE,
        )
        if not ok or read is None:
            return
        cfg, upcoming = read
        admin = self.ctx.actor.is_admin
        self.read_only_note.setVisible(not admin)
        self.intro.setText(
            "The next number each counter will hand out. It can move forward, or back as far as just "
            "above the highest number used here or in QuickBooks: no number is ever handed out twice."
            + (
                " With “match” numbering a job's invoices take the job's number; the invoice counter "
                "numbers invoices covering several jobs."
                if cfg.mode is NumberingMode.MATCH
                else ""
            )
        )
        for counter, row in self.rows.items():
            prefix = cfg.job_prefix if counter == "job" else cfg.invoice_prefix
            shown = upcoming.job if counter == "job" else upcoming.invoice
            value = int(shown[len(prefix) :])  # format_number is prefix + the counter's value
            edited = admin and row.edited
            moved = value != row.current or prefix != row.prefix
            row.current, row.prefix = value, prefix
            row.prefix_label.setText(prefix)
            row.prefix_label.setVisible(bool(prefix))
            row.edit.setReadOnly(not admin)
            row.button.setVisible(admin)
            if edited:
                # The admin is typing: keep their number, and say again what it would do now.
                self.preview(row)
            elif moved:
                row.edit.setText(str(value))
                self.errors.show_text(counter, "")
                row.button.setEnabled(False)

    def _changed(self, kind: str) -> None:
        if kind in RELOAD_ON:
            self.load()

    # -- typing --------------------------------------------------------------------------------
    def _typed(self, row: CounterRow) -> int | None:
        """The number typed (a typed prefix is allowed); None, said at the field, if it is none."""
        text = row.edit.text().strip()
        if row.prefix and text.startswith(row.prefix):
            text = text[len(row.prefix) :]
        if not text:
            self.errors.show_text(row.counter, "Type the next number.")
            return None
        if not (text.isascii() and text.isdigit()):
            example = f"{row.prefix}{row.current}" if row.current is not None else "1000"
            self.errors.show_text(row.counter, f"Type a whole number, such as {example}.")
            return None
        return int(text)

    def _refused(self, row: CounterRow, exc: ValidationError) -> bool:
        self.errors.show_text(row.counter, str(exc))
        return True

    def preview(self, row: CounterRow) -> counter_reset.CounterChange | None:
        """Say under the field what the typed number would skip or hand out again, or why not."""
        row.button.setEnabled(False)
        value = self._typed(row)
        if value is None:
            return None
        ok, change = self.ctx.attempt(
            self,
            lambda: self.ctx.read(counter_reset.preview_next_number, row.counter, value),
            on_validation=lambda exc: self._refused(row, exc),
            title=TITLE,
        )
        if not ok or change is None:
            return None
        self.errors.show_text(row.counter, change.summary, hint=True)
        row.button.setEnabled(change.skipped is not None or change.reused is not None)
        return change

    # -- acting --------------------------------------------------------------------------------
    def apply(self, row: CounterRow) -> bool:
        """Move the counter to the typed number (Enter in the field, or the button)."""
        if not self.ctx.actor.is_admin or not row.button.isEnabled():
            return False
        value = self._typed(row)
        if value is None:
            return False
        ok, change = self.ctx.attempt(
            self,
            lambda: self.ctx.write(counter_reset.set_next_number, row.counter, value),
            on_validation=lambda exc: self._refused(row, exc),
            title=TITLE,
        )
        if not ok or change is None:
            row.button.setEnabled(False)
            return False
        row.current = None  # the counter moved: load() reads it and shows it
        self.load()
        self.errors.show_text(row.counter, f"Saved. {change.summary}", hint=True)
        row.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        # Said after the line is set: other screens showing next numbers read them again.
        self.ctx.changed.emit("settings")
        return True
