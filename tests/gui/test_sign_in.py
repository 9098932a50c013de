"""The sign-in dialog, the first-start administrator dialog and the start-up decision."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from desktop_app.db.uow import Database
from desktop_app.services import settings, users
from desktop_app.ui.app import DEMO_ACTOR, sign_in_actor
from desktop_app.ui.dialogs.sign_in import FirstAdminDialog, SignInDialog, choose_actor

PASSWORD = "long enough"


def add_admin(db: Database, login: str = "ada") -> users.UserRow:
    with db.uow() as uow:
        row = (
            users.create_first_admin(uow, login, "Ada Admin", PASSWORD)
            if users.needs_first_admin(uow)
            else users.create_user(uow, login, login.capitalize(), "office", PASSWORD)
        )
        uow.commit()
    return row


def test_wrong_password_is_said_in_the_dialog_and_the_password_is_cleared(qtbot: QtBot, db: Database) -> None:
    add_admin(db)
    dialog = SignInDialog(db)
    qtbot.addWidget(dialog)
    dialog.login.setText("ada")
    dialog.password.setText("wrong password")
    dialog.ok_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.actor is None
    assert "login or password is not right" in dialog.message.text()
    assert not dialog.message.isHidden()
    assert dialog.password.text() == ""


def test_the_right_password_signs_in(qtbot: QtBot, db: Database) -> None:
    ada = add_admin(db)
    dialog = SignInDialog(db, login="ADA")
    qtbot.addWidget(dialog)
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.user_id == ada.id and dialog.actor.is_admin


def test_repeated_failures_make_the_dialog_say_how_long_to_wait(qtbot: QtBot, db: Database) -> None:
    add_admin(db)
    dialog = SignInDialog(db, login="ada")
    qtbot.addWidget(dialog)
    for _ in range(users.FREE_ATTEMPTS):
        dialog.password.setText("guess")
        dialog.ok_button.click()
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    assert dialog.actor is None
    assert "Too many failed sign-ins" in dialog.message.text() and "Wait" in dialog.message.text()


def test_first_start_creates_the_administrator(qtbot: QtBot, db: Database) -> None:
    dialog = FirstAdminDialog(db)
    qtbot.addWidget(dialog)
    dialog.name.setText("Ada Admin")
    dialog.login.setText("ada")
    dialog.password.setText(PASSWORD)
    dialog.confirm.setText("something else")
    dialog.ok_button.click()
    assert "not the same" in dialog.message.text() and dialog.actor is None
    dialog.confirm.setText(PASSWORD)
    dialog.password.setText(PASSWORD)
    dialog.auto.setChecked(False)
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.is_admin and dialog.actor.name == "Ada Admin"
    with db.reader() as uow:
        assert [u.login for u in users.list_users(uow)] == ["ada"]
        assert settings.get_setting(uow, "users.auto_sign_in") is False
    assert users.sign_in(db, "ada", PASSWORD).user_id == dialog.actor.user_id


def test_first_start_refuses_a_short_password_in_the_dialog(qtbot: QtBot, db: Database) -> None:
    dialog = FirstAdminDialog(db)
    qtbot.addWidget(dialog)
    dialog.name.setText("Ada")
    dialog.login.setText("ada")
    dialog.password.setText("short")
    dialog.confirm.setText("short")
    dialog.ok_button.click()
    assert "at least 8 characters" in dialog.message.text()
    with db.reader() as uow:
        assert users.needs_first_admin(uow)


def test_start_up_asks_for_what_it_needs(qtbot: QtBot, db: Database) -> None:
    shown: list[QDialog] = []

    def cancel(dialog: QDialog) -> bool:
        shown.append(dialog)
        qtbot.addWidget(dialog)
        return False

    assert choose_actor(db, run_dialog=cancel) is None
    assert isinstance(shown[-1], FirstAdminDialog)

    ada = add_admin(db)
    automatic = choose_actor(db, run_dialog=cancel)
    assert automatic is not None and automatic.user_id == ada.id  # one user on SQLite
    assert len(shown) == 1

    add_admin(db, "olly")

    def sign_in_as_olly(dialog: QDialog) -> bool:
        shown.append(dialog)
        qtbot.addWidget(dialog)
        assert isinstance(dialog, SignInDialog)
        dialog.login.setText("olly")
        dialog.password.setText(PASSWORD)
        dialog.ok_button.click()
        return dialog.result() == QDialog.DialogCode.Accepted

    olly = choose_actor(db, run_dialog=sign_in_as_olly)
    assert olly is not None and olly.name == "Olly" and not olly.is_admin


def test_demo_mode_never_asks(db: Database) -> None:
    assert sign_in_actor(db, demo=True) == DEMO_ACTOR
