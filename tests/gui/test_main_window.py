from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop_app.services import settings
from desktop_app.ui.context import AppContext
from desktop_app.ui.main_window import SCREENS, MainWindow, UnavailablePanel
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.settings import SettingsView
from tests.gui.helpers import make_customer


def test_every_screen_opens_and_new_is_context_aware(qtbot: QtBot, ctx: AppContext) -> None:
    make_customer(ctx)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    for spec in SCREENS:
        screen = window.show_screen(spec.key)
        assert window.current_screen() is screen
        if spec.new_label:
            assert window.new_action.text() == spec.new_label
    window.show_screen("customers")
    window.new_record()
    assert window.screen("customers").last_dialog is not None  # type: ignore[attr-defined]
    window.screen("customers").last_dialog.tracker.reset()  # type: ignore[attr-defined]
    window.screen("customers").last_dialog.close()  # type: ignore[attr-defined]


def test_sync_screen_says_when_not_available(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    screen = window.show_screen("sync")
    try:
        import desktop_app.services.sync_center  # noqa: F401
    except ImportError:
        assert isinstance(screen, UnavailablePanel)


def test_sync_now_requests_a_session_and_status_bar_shows_queue(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.sync_bar.refresh()
    assert "pending" in window.sync_bar.queue_label.text()
    window.sync_now()
    assert ctx.read(settings.get_setting, "sync.requested_at")


def test_settings_validation_next_to_field_and_save(qtbot: QtBot, ctx: AppContext) -> None:
    view = SettingsView(ctx)
    qtbot.addWidget(view)
    view.start()
    view.inputs["sync.interval_minutes"].setText("0")  # type: ignore[attr-defined]
    assert not view.save()
    assert "at least 1" in view.errors.message("sync.interval_minutes")
    view.inputs["sync.interval_minutes"].setText("5")  # type: ignore[attr-defined]
    view.inputs["company.name"].setText("Summit Ridge Builders")  # type: ignore[attr-defined]
    assert view.save()
    assert ctx.read(settings.get_setting, "company.name") == "Summit Ridge Builders"
    assert ctx.read(settings.get_setting, "sync.interval_minutes") == 5
