"""Sync now: waiting for the Web Connector, and a demo session against the simulator."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_app.services import invoices, settings, sync_center
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.sync_now import SyncNowDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.server_control import SyncServices
from tests.gui.helpers import make_customer, make_job


def test_sync_now_waits_for_the_web_connector(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = SyncNowDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.start()
    assert dialog.state == "waiting"
    assert "Waiting for the Web Connector" in dialog.status.text()
    assert "has not called" in dialog.detail.text()
    assert ctx.read(settings.get_setting, "sync.requested_at")
    dialog.poll()
    assert dialog.state == "waiting"
    dialog.close()


def test_demo_sync_now_sends_records_to_the_simulated_quickbooks(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    ctx.write(invoices.create_invoice, job.id)
    services = SyncServices(ctx, demo=True, port=0)
    try:
        assert ctx.server is not None and ctx.server.running
        assert ctx.demo is not None
        ctx.demo.path = tmp_path / "quickbooks.json"
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.sync_bar.refresh()
        assert window.sync_bar.server_label.text().startswith("Server: running on port")
        dialog = SyncNowDialog(ctx, window)
        qtbot.addWidget(dialog)
        assert dialog.start()
        assert dialog.state == "running"
        qtbot.waitUntil(lambda: dialog.state in ("done", "failed"), timeout=60_000)
        assert dialog.state == "done", dialog.result.text()
        assert dialog.sent >= 2
        assert "Sent" in dialog.result.text() and "simulated QuickBooks" in dialog.result.text()
        names = [c.name for c in ctx.demo.company.customers]
        assert "Acme Homes" in names
        assert (tmp_path / "quickbooks.json").exists()
        history = ctx.read(sync_center.list_history)
        assert history.total >= 2
        window.sync_bar.refresh()
        assert "last contact" in window.sync_bar.contact_label.text()
        assert "never" not in window.sync_bar.contact_label.text()
        assert not [a for a in prompts.asked if a.kind == "error"]
        window.close()
    finally:
        services.stop()
    assert not ctx.server.running
