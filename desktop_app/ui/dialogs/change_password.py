"""“Change my password”: the signed-in user replaces their own password.

Three masked fields (current, new, repeat); a problem is shown under the field it is about.
The passwords are cleared from the fields once they have been used and are never logged.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.errors import ValidationError
from desktop_app.services import users as svc
from desktop_app.ui.context import AppContext

TITLE = "Change my password"


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(256)
    return field


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("fieldError")
    label.setStyleSheet("color: #b91c1c;")
    label.setWordWrap(True)
    label.hide()
    return label


class ChangePasswordDialog(QDialog):
    """Calls ``users.change_own_password`` for ``ctx.actor``; accepted once it is changed."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle(TITLE)
        self.setModal(True)
        self.setMinimumWidth(420)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 16)
        heading = QLabel(TITLE)
        heading.setObjectName("dialogTitle")
        box.addWidget(heading)
        intro = QLabel(f"Signed in as {ctx.actor.name}. Type your current password, then the new one twice.")
        intro.setObjectName("pageSubtitle")
        intro.setWordWrap(True)
        box.addWidget(intro)
        form = QFormLayout()
        self.current = _password_field("currentPassword")
        self.new = _password_field("newPassword")
        self.repeat = _password_field("repeatPassword")
        self.errors: dict[str, QLabel] = {}
        for key, label, field in (
            ("current", "Current password", self.current),
            ("new", "New password", self.new),
            ("repeat", "New password again", self.repeat),
        ):
            form.addRow(label, field)
            self.errors[key] = _error_label()
            form.addRow("", self.errors[key])
            field.textEdited.connect(lambda _text, k=key: self.show_error(k, ""))
        box.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton("Change password", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(ctx.actor.user_id is not None)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)
        if ctx.actor.user_id is None:
            self.show_error("current", "Only a signed-in user can change their password.")
        self.current.setFocus()

    def show_error(self, key: str, text: str) -> None:
        label = self.errors[key]
        label.setText(text)
        label.setVisible(bool(text))

    def _clear_errors(self) -> None:
        for key in self.errors:
            self.show_error(key, "")

    def _check(self) -> bool:
        """What can be said before asking the service: missing fields, different repeats."""
        ok = True
        if not self.current.text():
            self.show_error("current", "Type your current password.")
            ok = False
        if not self.new.text():
            self.show_error("new", "Type the new password.")
            ok = False
        elif self.repeat.text() != self.new.text():
            self.show_error("repeat", "The two new passwords are not the same.")
            ok = False
        elif self.new.text() == self.current.text():
            self.show_error("new", "The new password is the same as the current one.")
            ok = False
        return ok

    def _on_validation(self, exc: ValidationError) -> bool:
        key = {"current_password": "current", "password": "new", "confirm": "repeat"}.get(exc.field)
        if key is None:
            return False
        self.show_error(key, str(exc))
        if key == "current":
            self.current.clear()
        (self.current if key == "current" else self.new).setFocus()
        return True

    def save(self) -> None:
        self._clear_errors()
        if not self._check():
            return
        current, new = self.current.text(), self.new.text()
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(svc.change_own_password, current, new, changes=("user",)),
            on_validation=self._on_validation,
            title=TITLE,
        )
        if not ok:
            return
        self._clear_fields()
        self.ctx.prompts.inform(
            self, TITLE, "Your password was changed. Use the new one next time you sign in."
        )
        self.accept()

    def _clear_fields(self) -> None:
        for field in (self.current, self.new, self.repeat):
            field.clear()

    def done(self, result: int) -> None:
        self._clear_fields()
        super().done(result)
