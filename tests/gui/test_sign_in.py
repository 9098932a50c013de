"""The sign-in dialog, the first-start administrator dialog and the start-up decision."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from desktop_app.db.types import utcnow
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
    assert not dialog.ok_button.isEnabled()  # the third failure starts the wait at once
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    dialog.submit()  # Enter while the button is disabled does nothing either
    assert dialog.actor is None
    assert "too many failed sign-ins" in dialog.message.text() and "Wait" in dialog.message.text()


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


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def fail(dialog: SignInDialog, times: int) -> None:
    for _ in range(times):
        dialog.password.setText("guess")
        dialog.ok_button.click()


def test_the_wait_counts_down_and_then_sign_in_works_again(qtbot: QtBot, db: Database) -> None:
    ada = add_admin(db)
    clock = FakeClock()
    dialog = SignInDialog(db, login="ada", clock=clock)
    qtbot.addWidget(dialog)
    fail(dialog, users.FREE_ATTEMPTS - 1)
    assert dialog.ok_button.isEnabled() and not dialog.countdown.isActive()
    fail(dialog, 1)
    seconds = int(users.BASE_DELAY.total_seconds())
    assert not dialog.ok_button.isEnabled() and dialog.countdown.isActive()
    assert dialog.countdown.interval() == 1000
    assert f"Wait {seconds} seconds before trying again" in dialog.message.text()
    assert "login or password is not right" in dialog.message.text()
    clock.advance(seconds - 1)
    dialog.tick()
    assert "Wait 1 second before" in dialog.message.text() and not dialog.ok_button.isEnabled()
    clock.advance(1)
    dialog.tick()
    assert dialog.ok_button.isEnabled() and not dialog.countdown.isActive()
    assert dialog.message.text() == "You can try again now."
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.user_id == ada.id


def test_a_wait_the_service_reports_disables_the_button_until_the_timer_ends(
    qtbot: QtBot, db: Database
) -> None:
    add_admin(db)
    clock = FakeClock()
    earlier = SignInDialog(db, login="ada", clock=clock)  # failures from another window
    qtbot.addWidget(earlier)
    fail(earlier, users.FREE_ATTEMPTS + 1)  # the last one never reaches the service
    earlier.reject()
    assert not earlier.countdown.isActive()  # closing stops the countdown

    clock.advance(2)
    dialog = SignInDialog(db, login="ada", clock=clock)
    qtbot.addWidget(dialog)
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()  # the service refuses: too soon
    wait = int(users.BASE_DELAY.total_seconds()) - 2
    assert dialog.actor is None and not dialog.ok_button.isEnabled()
    assert dialog.message.text() == (
        f"Too many failed sign-ins in a row. Wait {wait} seconds before trying again."
    )
    assert dialog.password.text() == ""  # never kept
    dialog.countdown.setInterval(10)  # let the real QTimer run the rest quickly
    clock.advance(wait)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=2000)
    assert not dialog.countdown.isActive()
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    assert dialog.actor is not None


def test_sign_ins_from_the_dialog_reach_the_audit_log(qtbot: QtBot, db: Database) -> None:
    from desktop_app.services import audit_log

    add_admin(db)
    dialog = SignInDialog(db, login="ada")
    qtbot.addWidget(dialog)
    fail(dialog, 1)
    dialog.password.setText(PASSWORD)
    dialog.ok_button.click()
    with db.reader() as uow:
        rows = audit_log.list_entries(uow, entity_type="user").rows
    assert [row.action for row in rows[:2]] == ["sign_in", "sign_in_failed"]
    assert all(PASSWORD not in row.summary and "guess" not in row.summary for row in rows)
