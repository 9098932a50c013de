"""An edit conflict's card: Dismiss says what it does (QuickBooks' values are kept for the
fields changed on both sides, JobDesk's other changes still go), and does it."""

from __future__ import annotations

import dataclasses

from pytestqt.qtbot import QtBot

from desktop_app.services import customers, sync_center, sync_queue
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from qbwc_server import qbxml as q
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.gui.helpers import make_customer
from tests.gui.sync_helpers import qb_send, run_sync
from tests.gui.test_sync_alert_cards import alerts_tab, cards_shown, click, the_card


def _edit(ctx: AppContext, customer_id: int, **values: str) -> None:
    detail = ctx.read(customers.get_customer, customer_id)
    ctx.write(
        customers.update_customer,
        customer_id,
        detail.version,
        dataclasses.replace(detail.to_fields(), **values),
    )


def _email_in(company: QuickBooksCompany) -> str | None:
    (acme,) = [c for c in company.customers if c.parent_id is None]
    return acme.data.get("Email")


def test_dismissing_an_edit_conflict_keeps_quickbooks_values(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx)
    ctx.write(sync_queue.send_records, [("customer", customer.id)])
    company = QuickBooksCompany()
    run_sync(ctx, company)
    (acme,) = [c for c in company.customers if c.parent_id is None]
    qb_send(
        company,
        q.customer_mod("m", acme.list_id, acme.edit_sequence, q.CustomerFields(name="", email="qb@x.com")),
    )
    _edit(ctx, customer.id, email="ours@x.com")
    run_sync(ctx, company)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "edit_conflict")
    prompts.queue(True)
    click(qtbot, card.buttons.get("dismiss"))
    (asked,) = [a for a in prompts.asked if a.kind == "confirm"]
    assert asked.title == "Keep QuickBooks' values"
    assert "unless you change them here again" in asked.text and "other changes still go" in asked.text
    cards_shown(qtbot, tab)
    assert [c for c in tab.cards if c.alert.kind == "edit_conflict"] == []
    assert not ctx.read(sync_center.list_alerts)
    # Another change of the customer goes; QuickBooks' email stays, as the person chose.
    _edit(ctx, customer.id, bill_city="Sparks")
    run_sync(ctx, company)
    assert _email_in(company) == "qb@x.com"
    (acme,) = [c for c in company.customers if c.parent_id is None]
    assert acme.data.get("BillAddress/City") == "Sparks"
    assert not ctx.read(sync_center.list_alerts)


def test_dismissing_a_keeps_changing_alert_says_the_record_will_not_be_sent(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    """The "keeps changing" alert lists no fields: Dismiss cancels the record's change, and
    the card says so (found by review: it promised the other changes would still go)."""
    customer = make_customer(ctx)
    ctx.write(sync_queue.send_records, [("customer", customer.id)])
    company = QuickBooksCompany()
    run_sync(ctx, company)
    _edit(ctx, customer.id, mobile_phone="555-0142")
    for n in range(6):  # QuickBooks' copy changes again before each of our changes lands
        (acme,) = [c for c in company.customers if c.parent_id is None]
        change = q.CustomerFields(name="", phone=f"555-000{n}")
        qb_send(company, q.customer_mod("m", acme.list_id, acme.edit_sequence, change))
        run_session(SyncEngine(ctx.db), company, max_round_trips=1)
        if ctx.read(sync_center.list_alerts):
            break
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "edit_conflict")
    assert "keeps changing" in card.alert.message and not card.alert.has_clashes
    prompts.queue(True)
    click(qtbot, card.buttons.get("dismiss"))
    (asked,) = [a for a in prompts.asked if a.kind == "confirm"]
    assert asked.title == "Dismiss" and "will not be sent" in asked.text
    run_sync(ctx, company)
    (acme,) = [c for c in company.customers if c.parent_id is None]
    assert acme.data.get("AdditionalContactRef/ContactValue") is None
