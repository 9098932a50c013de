"""Who is using JobDesk: the first-start "Create the administrator" dialog and sign-in.

:func:`choose_actor` decides what start-up needs: on a fresh database the first admin is
created; a single-user SQLite install may sign in automatically; otherwise the sign-in
dialog asks. ``run_dialog`` is the seam tests use so nothing blocks on ``exec()``.

After repeated failures the service makes a login wait; the sign-in dialog then counts the
seconds down (a one-second ``QTimer`` against a deadline on ``clock``, the seam tests move)
with the Sign in button disabled, and enables it again when the wait is over.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import JobDeskError, ValidationError
from desktop_app.services import settings as settings_svc
from desktop_app.services import users as svc
from desktop_app.ui.logs import logger

RunDialog = Callable[[QDialog], bool]
Clock = Callable[[], datetime]
#: How often the wait after repeated failures is counted down.
TICK_MS = 1_000


def _exec(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.DialogCode.Accepted


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(256)
    return field


class _Dialog(QDialog):
    def __init__(self, title: str, intro: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(420)
        self.actor: Actor | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 16)
        heading = QLabel(title)
        heading.setObjectName("dialogTitle")
        box.addWidget(heading)
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setObjectName("pageSubtitle")
        box.addWidget(text)
        self.form = QFormLayout()
        box.addLayout(self.form)
        self.message = QLabel("")
        self.message.setObjectName("errorBanner")
        self.message.setWordWrap(True)
        self.message.hide()
        box.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton("OK", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        box.addWidget(self.buttons)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def submit(self) -> None:
        try:
            self.actor = self.attempt()
        except JobDeskError as exc:
            self.show_message(str(exc))
            return
        except Exception:
            logger("ui").error("sign-in failed unexpectedly", exc_info=True)
            self.show_message("Something went wrong; the details were written to the log file.")
            return
        self.accept()

    def attempt(self) -> Actor:
        raise NotImplementedError


class SignInDialog(_Dialog):
    """Asks for a login and password; ``actor`` is set once they are right."""

    def __init__(
        self, db: Database, parent: QWidget | None = None, *, login: str = "", clock: Clock = utcnow
    ) -> None:
        super().__init__("Sign in to JobDesk", "Enter your login and password.", parent)
        self.db = db
        self.clock = clock
        self.wait_until: datetime | None = None
        self._reason = ""
        self.countdown = QTimer(self)
        self.countdown.setInterval(TICK_MS)
        self.countdown.timeout.connect(self.tick)
        self.login = QLineEdit(login)
        self.login.setMaxLength(svc.LOGIN_LENGTH)
        self.password = _password_field()
        self.form.addRow("Login", self.login)
        self.form.addRow("Password", self.password)
        self.ok_button.setText("Sign in")
        (self.password if login else self.login).setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        if self.waiting():
            return  # Enter pressed while the button is disabled
        super().submit()
        if self.waiting():
            self.tick()  # the countdown, in place of the error's own sentence

    def attempt(self) -> Actor:
        try:
            return svc.sign_in(self.db, self.login.text(), self.password.text(), now=self.clock())
        except svc.TooManyAttemptsError as exc:
            self.start_wait(exc.retry_after, "Too many failed sign-ins in a row.")
            raise
        except svc.SignInError as exc:
            self._wait_after_failure(str(exc))
            raise
        finally:
            self.password.clear()

    # -- the wait after repeated failures ---------------------------------------------------------
    def _wait_after_failure(self, error: str) -> None:
        """Count down at once when this failure means the next attempt must wait."""
        try:
            with self.db.reader() as uow:
                seconds = svc.wait_needed(uow, svc.login_key(self.login.text()), self.clock())
        except Exception:
            logger("ui").warning("could not read the sign-in wait", exc_info=True)
            return
        if seconds:
            self.start_wait(seconds, f"{error} That was too many failed sign-ins in a row.")

    def waiting(self) -> bool:
        return self.wait_until is not None

    def remaining(self) -> int:
        """Whole seconds still to wait (rounded up); 0 when the Sign in button is back."""
        if self.wait_until is None:
            return 0
        return max(0, math.ceil((self.wait_until - self.clock()).total_seconds()))

    def start_wait(self, seconds: int, reason: str) -> None:
        """Disable Sign in for ``seconds``, saying how many are left each second."""
        self.wait_until = self.clock() + timedelta(seconds=seconds)
        self._reason = reason
        self.ok_button.setEnabled(False)
        self.countdown.start()
        self.tick()

    def tick(self) -> None:
        if self.wait_until is None:
            return
        left = self.remaining()
        if left <= 0:
            self.wait_until = None
            self.countdown.stop()
            self.ok_button.setEnabled(True)
            self.show_message("You can try again now.")
            return
        unit = "second" if left == 1 else "seconds"
        self.show_message(f"{self._reason} Wait {left} {unit} before trying again.")

    def done(self, result: int) -> None:
        self.countdown.stop()
        super().done(result)


class FirstAdminDialog(_Dialog):
    """First start: create the administrator, then sign in as them."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(
            "Create the administrator",
            "JobDesk has no users yet. The administrator sets up QuickBooks, numbering and sync, "
            "and adds the other users.",
            parent,
        )
        self.db = db
        self.name = QLineEdit()
        self.name.setMaxLength(svc.NAME_LENGTH)
        self.login = QLineEdit()
        self.login.setMaxLength(svc.LOGIN_LENGTH)
        self.password = _password_field()
        self.confirm = _password_field()
        self.auto = QCheckBox("Sign me in automatically on this computer while I am the only user")
        self.auto.setChecked(True)
        self.form.addRow("Your name", self.name)
        self.form.addRow("Login", self.login)
        self.form.addRow("Password", self.password)
        self.form.addRow("Password again", self.confirm)
        self.form.addRow("", self.auto)
        self.ok_button.setText("Create and sign in")

    def attempt(self) -> Actor:
        if self.password.text() != self.confirm.text():
            raise ValidationError("confirm", "The two passwords are not the same.")
        with self.db.uow() as uow:
            user = svc.create_first_admin(uow, self.login.text(), self.name.text(), self.password.text())
            uow.commit()
        actor = svc.actor_for(user)
        with self.db.uow(actor) as uow:
            settings_svc.set_setting(uow, "users.auto_sign_in", self.auto.isChecked())
            uow.commit()
        return actor


def choose_actor(
    db: Database, parent: QWidget | None = None, *, run_dialog: RunDialog = _exec
) -> Actor | None:
    """Who is signing in at start-up; None when the person cancelled."""
    with db.reader() as uow:
        fresh = svc.needs_first_admin(uow)
    if fresh:
        first = FirstAdminDialog(db, parent)
        return first.actor if run_dialog(first) else None
    automatic = svc.sign_in_automatically(db)
    if automatic is not None:
        return automatic
    dialog = SignInDialog(db, parent)
    return dialog.actor if run_dialog(dialog) else None
