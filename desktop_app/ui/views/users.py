"""User management: who may sign in, with which role. Changes are for admins only.

Everyone can open the list (names appear in the audit trail anyway); the buttons that
change users are disabled for Office users, and the services refuse them regardless.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.db.user_models import ROLE_ADMIN, ROLE_OFFICE
from desktop_app.errors import ValidationError
from desktop_app.services import settings as settings_svc
from desktop_app.services import users as svc
from desktop_app.ui.context import AppContext
from desktop_app.ui.models.columns import Column
from desktop_app.ui.models.rows import RowsTableModel
from desktop_app.ui.widgets.forms import combo
from desktop_app.ui.widgets.list_page import make_table, size_columns

COLUMNS = (
    Column("name", "Name", width=200),
    Column("login", "Login", width=160),
    Column("role_label", "Role", width=100),
    Column("status", "Status", width=100),
    Column("last_sign_in_at", "Last sign-in", kind="datetime", width=170, stretch=True),
)
ROLE_CHOICES: list[tuple[str, object]] = [("Office", ROLE_OFFICE), ("Admin", ROLE_ADMIN)]


def _password() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(256)
    return field


class UserDialog(QDialog):
    """Add a user (with a first password) or change one's name, login and role."""

    def __init__(
        self, ctx: AppContext, user: svc.UserRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.result_row: svc.UserRow | None = None
        self.setWindowTitle("New user" if user is None else f"User {user.login}")
        box = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit(user.name if user else "")
        self.login = QLineEdit(user.login if user else "")
        self.role = combo(ROLE_CHOICES, user.role if user else ROLE_OFFICE)
        form.addRow("Name", self.name)
        form.addRow("Login", self.login)
        form.addRow("Role", self.role)
        self.password = _password()
        self.confirm = _password()
        if user is None:
            form.addRow("Password", self.password)
            form.addRow("Password again", self.confirm)
        box.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("errorBanner")
        self.message.setWordWrap(True)
        self.message.hide()
        box.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)

    def _persist(self) -> svc.UserRow:
        role = str(self.role.currentData())
        if self.user is None:
            if self.password.text() != self.confirm.text():
                raise ValidationError("confirm", "The two passwords are not the same.")
            return self.ctx.write(
                svc.create_user,
                self.login.text(),
                self.name.text(),
                role,
                self.password.text(),
                changes=("user",),
            )
        return self.ctx.write(
            svc.update_user,
            self.user.id,
            self.user.version,
            login=self.login.text(),
            name=self.name.text(),
            role=role,
            changes=("user",),
        )

    def _on_validation(self, exc: ValidationError) -> bool:
        self.message.setText(str(exc))
        self.message.show()
        return True

    def save(self) -> None:
        ok, row = self.ctx.attempt(self, self._persist, on_validation=self._on_validation, title="Users")
        if ok:
            self.result_row = row
            self.accept()


class PasswordDialog(QDialog):
    """Set a user's password (admin), typed twice and never shown."""

    def __init__(self, ctx: AppContext, user: svc.UserRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.setWindowTitle(f"Set the password of {user.name}")
        box = QVBoxLayout(self)
        form = QFormLayout()
        self.password = _password()
        self.confirm = _password()
        form.addRow("New password", self.password)
        form.addRow("Again", self.confirm)
        box.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("errorBanner")
        self.message.hide()
        box.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)

    def _persist(self) -> svc.UserRow:
        if self.password.text() != self.confirm.text():
            raise ValidationError("confirm", "The two passwords are not the same.")
        return self.ctx.write(svc.set_password, self.user.id, self.password.text(), changes=("user",))

    def save(self) -> None:
        def shown(exc: ValidationError) -> bool:
            self.message.setText(str(exc))
            self.message.show()
            return True

        ok, _ = self.ctx.attempt(self, self._persist, on_validation=shown, title="Users")
        if ok:
            self.accept()


class UsersView(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.setObjectName("usersView")
        self.ctx = ctx
        self.last_dialog: QDialog | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(14)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Users")
        title.setObjectName("pageTitle")
        self.count_label = QLabel("")
        self.count_label.setObjectName("pageSubtitle")
        titles.addWidget(title)
        titles.addWidget(self.count_label)
        head.addLayout(titles)
        head.addStretch(1)
        self.new_button = self._button(head, "New user", self.new_record, primary=True)
        self.edit_button = self._button(head, "Edit", self.edit_current)
        self.password_button = self._button(head, "Set password", self.set_password)
        self.active_button = self._button(head, "Switch off", self.toggle_active)
        outer.addLayout(head)
        self.admin_note = QLabel("Only an admin can add users or change them. You can see who the users are.")
        self.admin_note.setObjectName("warningBanner")
        self.admin_note.setWordWrap(True)
        self.admin_note.setVisible(not ctx.actor.is_admin)
        outer.addWidget(self.admin_note)
        self.model = RowsTableModel(COLUMNS)
        self.table = make_table()
        self.table.setModel(self.model)
        size_columns(self.table, COLUMNS)
        self.table.doubleClicked.connect(lambda *_: self.edit_current())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        outer.addWidget(self.table, 1)
        self.auto_sign_in = QCheckBox("Sign in automatically on this computer while there is only one user")
        self.auto_sign_in.toggled.connect(self._auto_toggled)
        outer.addWidget(self.auto_sign_in)
        ctx.changed.connect(lambda kind: self.refresh() if kind == "user" else None)
        self.refresh()

    def _button(self, row: QHBoxLayout, text: str, handler: object, *, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        if primary:
            button.setObjectName("primaryButton")
        button.clicked.connect(handler)
        row.addWidget(button)
        return button

    # -- data -----------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        selected = self.current_user()
        rows = self.ctx.read(svc.list_users)
        self.model.set_rows(rows)
        active = sum(1 for row in rows if row.active)
        self.count_label.setText(f"{len(rows)} user{'' if len(rows) == 1 else 's'}, {active} active")
        if selected is not None:
            for number, row in enumerate(rows):
                if row.id == selected.id:
                    self.table.selectRow(number)
        self.auto_sign_in.blockSignals(True)
        self.auto_sign_in.setChecked(bool(self.ctx.read(settings_svc.get_setting, "users.auto_sign_in")))
        self.auto_sign_in.blockSignals(False)
        self._update_buttons()

    def current_user(self) -> svc.UserRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().hasSelection():
            return None
        row = self.model.row_at(index.row())
        return row if isinstance(row, svc.UserRow) else None

    def select_login(self, login: str) -> None:
        for number, row in enumerate(self.model.rows):
            if row.login == login:
                self.table.selectRow(number)
                return

    def _update_buttons(self) -> None:
        admin = self.ctx.actor.is_admin
        user = self.current_user()
        self.new_button.setEnabled(admin)
        self.auto_sign_in.setEnabled(admin)
        for button in (self.edit_button, self.password_button, self.active_button):
            button.setEnabled(admin and user is not None)
        self.active_button.setText("Switch on" if user is not None and not user.active else "Switch off")

    # -- actions ----------------------------------------------------------------------------------
    def _open(self, dialog: QDialog) -> QDialog:
        self.last_dialog = dialog
        dialog.finished.connect(lambda *_: self.refresh())
        dialog.open()
        return dialog

    def new_record(self) -> QDialog:
        return self._open(UserDialog(self.ctx, None, self))

    def edit_current(self) -> QDialog | None:
        user = self.current_user()
        return self._open(UserDialog(self.ctx, user, self)) if user is not None else None

    def set_password(self) -> QDialog | None:
        user = self.current_user()
        return self._open(PasswordDialog(self.ctx, user, self)) if user is not None else None

    def toggle_active(self) -> None:
        user = self.current_user()
        if user is None:
            return
        if user.active:
            if not self.ctx.prompts.confirm(
                self,
                "Switch off user",
                f"{user.name} will no longer be able to sign in. Their name stays in the history.",
                ok="Switch off",
            ):
                return
            action = svc.deactivate_user
        else:
            action = svc.reactivate_user
        ok, _ = self.ctx.attempt(
            self, lambda: self.ctx.write(action, user.id, user.version, changes=("user",)), title="Users"
        )
        if not ok:
            self.refresh()

    def _auto_toggled(self, checked: bool) -> None:
        ok, _ = self.ctx.attempt(
            self,
            lambda: self.ctx.write(
                settings_svc.set_setting, "users.auto_sign_in", checked, changes=("settings",)
            ),
            title="Users",
        )
        if not ok:
            self.refresh()
