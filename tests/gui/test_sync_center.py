"""The QuickBooks Sync center: queue preview, history, alerts, send, import, connection."""

from __future__ import annotations

import socket
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_app.services import settings, sync_center
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.server_control import ServerControl
from desktop_app.ui.views.sync_center import SyncCenterView
from tests.gui.helpers import make_customer, make_job
from tests.gui.sync_helpers import sync_with_alert


def center(qtbot: QtBot, ctx: AppContext) -> SyncCenterView:
    view = SyncCenterView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    return view


def test_queue_shows_the_exact_qbxml_of_a_queued_job(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    make_job(ctx, customer.id)
    view = center(qtbot, ctx)
    tab = view.queue_tab
    labels = [tab.model.row_at(i).label for i in range(tab.model.total)]
    assert any(label.startswith("Job ") for label in labels)
    row = next(i for i, label in enumerate(labels) if label.startswith("Job "))
    tab.select_item(tab.model.row_at(row).id)
    text = tab.preview.toPlainText()
    assert "<CustomerAddRq" in text and "Kitchen remodel" in text and "<?qbxml" in text
    assert tab.preview.isReadOnly()
    assert "1 waiting" in view.summary.text() or "waiting to send" in view.summary.text()


def test_history_shows_request_and_response(qtbot: QtBot, ctx: AppContext) -> None:
    sync_with_alert(ctx)
    view = center(qtbot, ctx)
    tab = view.show_tab("history")
    assert tab is view.history_tab
    assert tab.model.total >= 2
    tab.select_item(tab.model.row_at(0).id)
    assert "Rq requestID=" in tab.request_view.toPlainText()
    assert "statusCode" in tab.response_view.toPlainText()
    tab.model.set_search("CustomerAdd")
    assert tab.model.total >= 1


def test_alert_dismiss_undo_and_retry(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    sync_with_alert(ctx)
    alerts = ctx.read(sync_center.list_alerts)
    assert len(alerts) == 1
    alert = alerts[0]
    view = center(qtbot, ctx)
    view.show_tab("alerts")
    tab = view.alerts_tab
    card = tab.card_for(alert.id)
    assert card is not None
    assert set(card.buttons) == set(alert.resolutions) == {"edit", "retry", "dismiss"}
    assert alert.message in card.message.text()
    assert view.tabs.tabText(2) == "Alerts (1)"

    card.buttons["edit"].click()
    assert tab.last_dialog is not None
    tab.last_dialog.tracker.reset()
    tab.last_dialog.close()

    prompts.queue(True)
    card.buttons["dismiss"].click()
    assert tab.card_for(alert.id) is None
    assert not ctx.read(sync_center.list_alerts)

    tab.show_dismissed.setChecked(True)
    dismissed = tab.card_for(alert.id)
    assert dismissed is not None and "undo" in dismissed.buttons
    dismissed.buttons["undo"].click()
    assert [a.state for a in ctx.read(sync_center.list_alerts)] == ["open"]

    tab.card_for(alert.id).buttons["retry"].click()  # type: ignore[union-attr]
    assert not ctx.read(sync_center.list_alerts)
    assert not [a for a in prompts.asked if a.kind == "error"]


def test_send_selected_and_everything(qtbot: QtBot, ctx: AppContext) -> None:
    from desktop_app.services import invoices

    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    invoice = ctx.write(invoices.create_invoice, job.id)
    view = center(qtbot, ctx)
    tab = view.show_tab("send")
    assert tab is view.send_tab
    numbers = [r.number for r in tab.model.rows]
    assert invoice.number in numbers
    tab.model.set_checked(numbers.index(invoice.number), True)
    assert "1 selected" in tab.send_button.text()
    assert tab.send_selected() == 1
    assert tab.send_everything() >= 1


def test_import_tab_queues_and_shows_progress(qtbot: QtBot, ctx: AppContext) -> None:
    view = center(qtbot, ctx)
    tab = view.show_tab("import")
    assert tab is view.import_tab
    assert tab.start_import()
    assert tab.state == "waiting"
    assert "0 of 10" in tab.status.text()  # accounts … customers, and the invoice numbers in use


def test_connection_saves_password_and_qwc(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    view = center(qtbot, ctx)
    tab = view.show_tab("connection")
    assert tab is view.connection_tab
    tab.password.setText("short")
    assert not tab.save()
    assert "at least 8" in tab.errors.message("qbwc.password")
    tab.password.setText("a long enough password")
    tab.interval.setValue(5)
    assert tab.save()
    assert str(ctx.read(settings.get_setting, "qbwc.password_hash")).startswith("scrypt$")
    assert ctx.read(settings.get_setting, "sync.interval_minutes") == 5
    assert "save the Web Connector file again" in tab.message.text()  # the new interval is in the .qwc
    target = tmp_path / "JobDesk.qwc"
    prompts.queue(str(target))
    assert tab.save_qwc() == target
    assert "<QBWCXML>" in target.read_text(encoding="utf-8")
    assert "<RunEveryNMinutes>5</RunEveryNMinutes>" in target.read_text(encoding="utf-8")
    prompts.queue(None)  # the admin cancels Re-bind
    assert not tab.rebind()
    assert "Not bound" in tab.company_label.text()


def test_busy_port_is_reported_not_raised(ctx: AppContext) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        control = ServerControl(ctx.db, port, host="127.0.0.1")
        assert not control.start()
    assert control.status_text == "Server not running: port in use"
    ctx.server = control
    from desktop_app.ui.sync_status import read_overview

    assert read_overview(ctx).server_text == "Server not running: port in use"
