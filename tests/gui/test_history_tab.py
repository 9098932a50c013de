"""Each record's "History" tab: what changed, who changed it, before → after."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from desktop_app.db.uow import Actor
from desktop_app.services import customers, invoices, payments
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.dialogs.invoice import InvoiceDialog
from desktop_app.ui.dialogs.payment import PaymentDialog
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.history_tab import HistoryTab
from tests.gui.helpers import make_customer, make_job


def texts(tab: HistoryTab, column: int) -> list[str]:
    model = tab.model
    return [str(model.data(model.index(row, column))) for row in range(model.rowCount())]


def test_customer_history_tab_shows_changes_and_follows_saves(
    qtbot: QtBot, ctx: AppContext, office: Actor, tmp_path: Path
) -> None:
    customer = make_customer(ctx, "Acme Homes")
    office_ctx = AppContext(
        ctx.db,
        office,
        prompts=ctx.prompts,
        settings=QSettings(str(tmp_path / "o.ini"), QSettings.Format.IniFormat),
    )
    office_ctx.write(
        customers.update_customer,
        customer.id,
        customer.version,
        replace(customer.to_fields(), company="Acme LLC"),
    )
    dialog = CustomerDialog(ctx, customer.id)
    qtbot.addWidget(dialog)
    assert dialog.tabs is not None and dialog.history is not None
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Details", "History"]
    history = dialog.history
    assert texts(history, 1) == [office.name, ctx.actor.name]  # newest first, with who did it
    assert texts(history, 2) == ["Update", "Create"]
    assert texts(history, 4)[0] == "company: (empty) → Acme LLC"
    assert "2 changes recorded" in history.note.text()

    dialog.widgets["email"].setText("office@acme.com")
    assert dialog.save()
    assert texts(history, 4)[0] == "email: (empty) → office@acme.com"
    assert len(texts(history, 0)) == 3


def test_a_new_record_starts_its_history_when_saved(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = CustomerDialog(ctx, None)
    qtbot.addWidget(dialog)
    assert dialog.history is not None
    assert dialog.history.model.rowCount() == 0
    assert "first saved" in dialog.history.note.text()
    dialog.widgets["display_name"].setText("Fresh Start")
    assert dialog.save()
    assert texts(dialog.history, 2) == ["Create"]
    assert dialog.history.entity_id == dialog.record.id


def test_job_invoice_and_payment_windows_have_their_history(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id)
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(invoices.update_invoice, invoice.id, memo="Gate code 9")
    payment = ctx.write(payments.record_payment, customer.id, "25", "cash", date(2026, 1, 5))

    job_dialog = JobDetailsDialog(ctx, job.id)
    qtbot.addWidget(job_dialog)
    assert job_dialog.history is not None and texts(job_dialog.history, 2)[-1] == "Create"

    invoice_dialog = InvoiceDialog(ctx, invoice.id)
    qtbot.addWidget(invoice_dialog)
    assert invoice_dialog.history is not None
    assert texts(invoice_dialog.history, 4)[0] == "memo: (empty) → Gate code 9"

    payment_dialog = PaymentDialog(ctx, payment.id)
    qtbot.addWidget(payment_dialog)
    assert payment_dialog.history is not None and texts(payment_dialog.history, 2) == ["Create"]


def test_history_tab_reloads_when_its_kind_changes(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx, "Watcher")
    tab = HistoryTab(ctx, "customer", customer.id)
    qtbot.addWidget(tab)
    assert tab.model.rowCount() == 1
    ctx.write(customers.deactivate_customer, customer.id, customer.version, changes=("customer",))
    assert texts(tab, 2)[0] == "Deactivate"
    assert texts(tab, 4)[0] == "active: True → False"


def test_bid_item_and_location_windows_have_their_history(qtbot: QtBot, ctx: AppContext) -> None:
    from desktop_app.services import bids, items, locations
    from desktop_app.services.lines import LineInput
    from desktop_app.ui.dialogs.bid import BidDialog
    from desktop_app.ui.dialogs.item import ItemDialog
    from desktop_app.ui.dialogs.location import LocationDialog

    customer = make_customer(ctx)
    bid = ctx.write(
        bids.create_bid,
        bids.BidFields(
            customer_id=customer.id,
            title="Deck",
            lines=(LineInput(quantity="1", description="Deck", rate="900"),),
        ),
    )
    item = ctx.write(items.create_item, items.ItemFields(name="Grout", unit_price="9.50"))
    location = ctx.write(locations.add_location, customer.id, locations.LocationFields(street="4 Bay Rd"))

    for dialog in (
        BidDialog(ctx, bid.id),
        ItemDialog(ctx, item.id),
        LocationDialog(ctx, customer.id, location.id),
    ):
        qtbot.addWidget(dialog)
        assert dialog.history is not None and texts(dialog.history, 2) == ["Create"]
