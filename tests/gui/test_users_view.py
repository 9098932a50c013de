"""The user-management screen, the audit log screen and who sees what in the navigation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop_app.db.uow import Actor
from desktop_app.services import users
from desktop_app.ui.context import AppContext
from desktop_app.ui.main_window import SCREENS, MainWindow
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.audit_log import AuditLogView, criteria
from desktop_app.ui.views.users import PasswordDialog, UserDialog, UsersView
from tests.gui.helpers import make_customer, make_item

PASSWORD = "long enough"


def office_context(ctx: AppContext, office: Actor, tmp_path: Path) -> AppContext:
    settings = QSettings(str(tmp_path / "office.ini"), QSettings.Format.IniFormat)
    return AppContext(ctx.db, office, prompts=ctx.prompts, settings=settings)


def test_admin_adds_a_user_edits_and_switches_them_off(qtbot: QtBot, ctx: AppContext) -> None:
    view = UsersView(ctx)
    qtbot.addWidget(view)
    assert view.new_button.isEnabled() and view.admin_note.isHidden()
    dialog = view.new_record()
    assert isinstance(dialog, UserDialog)
    dialog.name.setText("Olly Office")
    dialog.login.setText("olly")
    dialog.password.setText(PASSWORD)
    dialog.confirm.setText("different")
    dialog.save()
    assert "not the same" in dialog.message.text()
    dialog.confirm.setText(PASSWORD)
    dialog.save()
    assert dialog.result_row is not None and dialog.result_row.role == "office"
    assert [row.login for row in view.model.rows] == ["olly"]
    assert users.sign_in(ctx.db, "olly", PASSWORD).name == "Olly Office"

    view.select_login("olly")
    edit = view.edit_current()
    assert isinstance(edit, UserDialog)
    edit.name.setText("Oliver Office")
    edit.save()
    assert view.model.rows[0].name == "Oliver Office"

    view.select_login("olly")
    view.toggle_active()  # ScriptedPrompts confirms
    assert view.model.rows[0].status == "Inactive"
    assert view.active_button.text() == "Switch on"


def test_the_only_admin_cannot_be_switched_off_from_the_screen(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(users.create_first_admin, "boss", "The Boss", PASSWORD)
    view = UsersView(ctx)
    qtbot.addWidget(view)
    view.select_login("boss")
    view.toggle_active()
    assert "only admin" in prompts.asked[-1].text
    assert view.model.rows[0].status == "Active"


def test_admin_sets_a_password(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.write(users.create_user, "olly", "Olly", "office", PASSWORD)
    view = UsersView(ctx)
    qtbot.addWidget(view)
    view.select_login("olly")
    dialog = view.set_password()
    assert isinstance(dialog, PasswordDialog)
    dialog.password.setText("a brand new one")
    dialog.confirm.setText("a brand new one")
    dialog.save()
    assert users.sign_in(ctx.db, "olly", "a brand new one").name == "Olly"


def test_an_office_user_sees_users_but_cannot_change_them(
    qtbot: QtBot, ctx: AppContext, office: Actor, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    ctx.write(users.create_user, "olly", "Olly", "office", PASSWORD)
    office_ctx = office_context(ctx, office, tmp_path)
    view = UsersView(office_ctx)
    qtbot.addWidget(view)
    assert [row.login for row in view.model.rows] == ["olly"]  # reading is allowed
    assert not view.admin_note.isHidden()
    view.select_login("olly")
    assert not view.new_button.isEnabled() and not view.edit_button.isEnabled()
    assert not view.active_button.isEnabled() and not view.auto_sign_in.isEnabled()
    # Even if the button were pressed, the service refuses and the GUI says so plainly.
    view.toggle_active()
    assert prompts.asked[-1].title == "Not allowed"
    assert "Only a user with the Admin role can manage users." in prompts.asked[-1].text
    assert view.model.rows[0].active


def test_navigation_shows_users_to_admins_only_and_the_audit_log_to_everyone(
    qtbot: QtBot, ctx: AppContext, office: Actor, tmp_path: Path
) -> None:
    keys = [spec.key for spec in SCREENS]
    admin_window = MainWindow(ctx)
    qtbot.addWidget(admin_window)
    assert not admin_window.nav.item(keys.index("users")).isHidden()
    assert not admin_window.nav.item(keys.index("audit_log")).isHidden()
    assert "Ada Admin (Admin)" in admin_window.user_label.text()
    office_window = MainWindow(office_context(ctx, office, tmp_path))
    qtbot.addWidget(office_window)
    assert office_window.nav.item(keys.index("users")).isHidden()
    assert not office_window.nav.item(keys.index("audit_log")).isHidden()
    assert isinstance(office_window.show_screen("audit_log"), AuditLogView)
    office_window.sync_bar.stop()
    admin_window.sync_bar.stop()


def test_audit_log_browses_by_user_record_and_text(
    qtbot: QtBot, ctx: AppContext, office: Actor, tmp_path: Path, prompts: ScriptedPrompts
) -> None:
    ann = make_customer(ctx, "Ann Acres")
    office_ctx = office_context(ctx, office, tmp_path)
    bob = make_customer(office_ctx, "Bob Builds")
    view = AuditLogView(office_ctx)
    qtbot.addWidget(view)
    view.start()
    assert view.model.total >= 2
    users_box = view.filter_boxes["user"]
    users_box.setCurrentIndex(users_box.findData(office.name))
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=2000)
    assert view.model.row_at(0).entity_id == bob.id
    users_box.setCurrentIndex(0)
    view.filter_boxes["entity_type"].setCurrentIndex(view.filter_boxes["entity_type"].findData("customer"))
    view.search_box.setText(f"#{ann.id}")
    qtbot.waitUntil(lambda: view.model.total == 1 and view.model.row_at(0).entity_id == ann.id, timeout=2000)
    view.table.selectRow(0)
    view.show_current()
    assert "Customer Ann Acres created" in prompts.asked[-1].text
    assert "display_name: (empty) → Ann Acres" in prompts.asked[-1].text


def test_search_box_and_filters_become_service_arguments() -> None:
    from datetime import date

    today = date(2026, 3, 10)
    assert criteria("#42", {"entity_type": "job"}, today) == {"entity_id": 42, "entity_type": "job"}
    assert criteria(" voided ", {"user": "Ada", "period": "6"}, today) == {
        "search": "voided",
        "user": "Ada",
        "date_from": date(2026, 3, 4),
    }
    assert criteria("", {"period": "0"}, today) == {"date_from": today}


def test_custom_range_becomes_inclusive_service_dates() -> None:
    from datetime import date

    chosen = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-10", "user": "Ada"}
    assert criteria("", chosen) == {
        "user": "Ada",
        "date_from": date(2026, 3, 1),
        "date_to": date(2026, 3, 10),
    }
    # The stored range is ignored while a preset period (or any date) is chosen.
    assert criteria("", {**chosen, "period": ""}) == {"user": "Ada"}
    assert criteria("", {**chosen, "period": "6"}, date(2026, 3, 10)) == {
        "user": "Ada",
        "date_from": date(2026, 3, 4),
    }


def test_audit_log_custom_date_range_with_the_record_and_user_filters(
    qtbot: QtBot, ctx: AppContext, office: Actor, tmp_path: Path
) -> None:
    from datetime import date, timedelta

    make_customer(ctx, "Ann Acres")
    make_item(ctx)
    office_ctx = office_context(ctx, office, tmp_path)
    bob = make_customer(office_ctx, "Bob Builds")
    view = AuditLogView(office_ctx)
    qtbot.addWidget(view)
    view.show()
    view.start()
    everything = view.model.total
    assert everything >= 2
    assert view.range_box.isHidden()  # only while “Custom range…” is chosen
    assert view.date_from.calendarPopup() and view.date_to.calendarPopup()

    today = date.today()
    yesterday = today - timedelta(days=1)
    view.set_range(yesterday - timedelta(days=5), yesterday)
    assert not view.range_box.isHidden()
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=2000)
    assert view.empty_label.isVisible()

    view.date_to.setDate(view.date_to.date().addDays(1))  # through today
    qtbot.waitUntil(lambda: view.model.total == everything, timeout=2000)

    view.date_from.setDate(view.date_to.date().addDays(1))  # “To” before “From”: said, not applied
    assert not view.range_error.isHidden() and "before" in view.range_error.text()
    assert view.model.total == everything
    view.date_from.setDate(view.date_to.date())  # today only
    assert view.range_error.isHidden()
    assert view.model.filters["date_from"] == view.model.filters["date_to"] == today.isoformat()

    users_box = view.filter_boxes["user"]
    users_box.setCurrentIndex(users_box.findData(office.name))
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=2000)
    assert getattr(view.model.row_at(0), "entity_id", None) == bob.id
    records = view.filter_boxes["entity_type"]
    records.setCurrentIndex(records.findData("item"))  # only the admin added an item
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=2000)
    records.setCurrentIndex(records.findData("customer"))
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=2000)
    view.search_box.setText("Ann")
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=2000)
    view.search_box.setText("Bob")
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=2000)
    view.set_range(yesterday, yesterday)
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=2000)

    period = view.filter_boxes["period"]
    period.setCurrentIndex(0)  # Any date: the range is hidden and no longer applies
    assert view.range_box.isHidden()
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=2000)
