"""“Change my password” from the navigation rail's user menu."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop_app.services import audit_log, users
from desktop_app.services.users import SignInError
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.change_password import ChangePasswordDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.prompts import ScriptedPrompts

PASSWORD = "long enough"
NEW = "a much newer secret"


def signed_in(ctx: AppContext, tmp_path: Path, login: str = "olly") -> AppContext:
    """A context acting as a real user (the shared fixture's admin has no user record)."""
    ctx.write(users.create_user, login, login.capitalize(), "office", PASSWORD)
    actor = users.sign_in(ctx.db, login, PASSWORD)
    settings = QSettings(str(tmp_path / f"{login}.ini"), QSettings.Format.IniFormat)
    return AppContext(ctx.db, actor, prompts=ctx.prompts, settings=settings)


def window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.sync_bar.stop()
    return main


def fill(dialog: ChangePasswordDialog, current: str, new: str, repeat: str) -> None:
    dialog.current.setText(current)
    dialog.new.setText(new)
    dialog.repeat.setText(repeat)


def test_the_user_menu_changes_my_password(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    olly = signed_in(ctx, tmp_path)
    main = window(qtbot, olly)
    assert main.change_password_action in main.user_button.menu().actions()
    assert main.change_password_action.isEnabled()
    main.change_password_action.trigger()
    dialog = main.last_dialog
    assert isinstance(dialog, ChangePasswordDialog) and dialog.isVisible()
    for field in (dialog.current, dialog.new, dialog.repeat):
        assert field.echoMode() == field.EchoMode.Password
    fill(dialog, PASSWORD, NEW, NEW)
    dialog.ok_button.click()
    assert not dialog.isVisible()
    assert prompts.asked[-1].kind == "inform" and "password was changed" in prompts.asked[-1].text
    assert dialog.current.text() == dialog.new.text() == dialog.repeat.text() == ""
    with pytest.raises(SignInError):
        users.sign_in(ctx.db, "olly", PASSWORD)
    assert users.sign_in(ctx.db, "olly", NEW).name == "Olly"
    entry = ctx.read(audit_log.list_entries, entity_type="user", search="changed their password").rows[0]
    assert entry.user_name == "Olly"
    everything = caplog.text + "".join(a.text for a in prompts.asked) + entry.summary + entry.changes_text
    assert PASSWORD not in everything and NEW not in everything


def test_problems_are_shown_next_to_their_field(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    dialog = ChangePasswordDialog(signed_in(ctx, tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.ok_button.click()
    assert dialog.errors["current"].text() == "Type your current password."
    assert dialog.errors["new"].text() == "Type the new password."

    fill(dialog, PASSWORD, NEW, NEW + "x")
    dialog.ok_button.click()
    assert "not the same" in dialog.errors["repeat"].text() and dialog.errors["current"].isHidden()

    fill(dialog, "not my password", NEW, NEW)
    dialog.ok_button.click()
    assert dialog.errors["current"].text() == "The current password is not right."
    assert not dialog.errors["current"].isHidden() and dialog.errors["repeat"].isHidden()
    assert dialog.current.text() == ""  # the wrong one is not kept
    dialog.current.textEdited.emit("x")
    assert dialog.errors["current"].isHidden()  # typing again clears the note

    fill(dialog, PASSWORD, "short", "short")
    dialog.ok_button.click()
    assert "at least 8 characters" in dialog.errors["new"].text()

    fill(dialog, PASSWORD, PASSWORD, PASSWORD)
    dialog.ok_button.click()
    assert "same as the current" in dialog.errors["new"].text()
    assert dialog.isVisible() and not prompts.asked  # nothing popped up; all was said in place
    assert users.sign_in(ctx.db, "olly", PASSWORD).name == "Olly"


def test_without_a_user_record_there_is_no_password_to_change(qtbot: QtBot, ctx: AppContext) -> None:
    main = window(qtbot, ctx)  # the fixture's admin, like demo mode, has no user record
    assert "Ada Admin (Admin)" in main.user_label.text()
    assert not main.change_password_action.isEnabled()
    dialog = ChangePasswordDialog(ctx)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert "signed-in user" in dialog.errors["current"].text()
