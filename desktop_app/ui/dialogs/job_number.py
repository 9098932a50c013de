"""“Change job number…”: an admin gives a job another number.

The typed number is checked as it is typed (``numbering.check_job_number_free``): a number
another job has, or one whose invoice numbers (N, D-N, N-1 … under “match” numbering,
N-1 … with progress invoicing) an invoice here or in QuickBooks already has, is refused
at the field before anything is saved (issue 15, rule 3). OK renumbers the job through
``numbering.renumber_job``; its segments and the live invoices numbered after it follow.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_app.domain.numbering import MAX_REF
from desktop_app.errors import ValidationError
from desktop_app.services import numbering as numbering_svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.widgets.forms import FieldErrors

TITLE = "Change job number"
OK_TEXT = "Change number"


class ChangeJobNumberDialog(QDialog):
    """Accepted once the job is renumbered; ``result_value`` holds what changed."""

    def __init__(self, ctx: AppContext, job_id: int, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job_id = job_id
        self.number = number
        self.result_value: numbering_svc.RenumberResult | None = None
        self.setObjectName("changeJobNumberDialog")
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(460)
        self.errors = FieldErrors(self)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 16)
        box.setSpacing(6)
        heading = QLabel(f"{TITLE} · job {number}")
        heading.setObjectName("dialogTitle")
        box.addWidget(heading)
        intro = QLabel(
            "The job's segments and the invoices numbered after the job take the new number; "
            "voided invoices keep theirs."
        )
        intro.setObjectName("pageSubtitle")
        intro.setWordWrap(True)
        box.addWidget(intro)
        caption = QLabel("New job number")
        caption.setObjectName("fieldLabel")
        self.field = QLineEdit(number)
        self.field.setObjectName("field_number")
        self.field.setMaxLength(MAX_REF + 10)  # longer than allowed is said at the field, not cut
        caption.setBuddy(self.field)
        self.line = QLabel("")
        self.line.setObjectName("fieldError")
        self.line.setWordWrap(True)
        self.line.hide()
        self.errors.register("number", self.field, self.line)
        box.addWidget(caption)
        box.addWidget(self.field)
        box.addWidget(self.line)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(OK_TEXT, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)
        self.field.textEdited.connect(lambda _text: self.check())
        self.field.selectAll()
        self.field.setFocus()

    def _refused(self, exc: ValidationError) -> bool:
        self.errors.show_text("number", str(exc))
        return True

    def check(self) -> bool:
        """Say at the field, as it is typed, whether the number can be used."""
        self.ok_button.setEnabled(False)
        typed = self.field.text().strip()
        if typed == self.number:
            self.errors.show_text("number", f"This is job {self.number}'s number now.", hint=True)
            return False
        ok, free = self.ctx.attempt(
            self,
            lambda: self.ctx.read(numbering_svc.check_job_number_free, typed, job_id=self.job_id),
            on_validation=self._refused,
            title=TITLE,
        )
        if not ok or free is None:
            return False
        self.errors.show_text("number", f"{free} is free.", hint=True)
        self.ok_button.setEnabled(True)
        return True

    def save(self) -> bool:
        # Checked again: another window may have taken the number since it was typed.
        if not self.ok_button.isEnabled() or not self.check():
            return False
        typed = self.field.text().strip()
        ok, result = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                numbering_svc.renumber_job, self.job_id, typed, changes=("job", "invoice")
            ),
            on_validation=self._refused,
            title=TITLE,
        )
        if not ok or result is None:
            self.ok_button.setEnabled(False)
            return False
        self.result_value = result
        self.accept()
        return True
