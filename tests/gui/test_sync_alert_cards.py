"""Alert cards for what the sync itself reports: the request QuickBooks refused, an account it
lacks (an admin picks one it has), and a stuck sync naming the record that blocks it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.services import accounts, items, settings, sync_center, sync_queue
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.sync_alerts_tab import USE_ACCOUNT, AlertCard, AlertsTab
from desktop_app.ui.views.sync_center import SyncCenterView
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import refusals
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.conftest import OFFICE
from tests.gui.helpers import make_customer
from tests.gui.sync_helpers import run_sync, sync_links_only_change


def alerts_tab(qtbot: QtBot, ctx: AppContext) -> AlertsTab:
    view = SyncCenterView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    tab = view.show_tab("alerts")
    assert isinstance(tab, AlertsTab)
    cards_shown(qtbot, tab)
    return tab


def cards_shown(qtbot: QtBot, tab: AlertsTab) -> None:
    """New cards show at the next turn of the event loop, as a person would see them."""
    qtbot.waitUntil(lambda: all(card.isVisible() for card in tab.cards))


def click(qtbot: QtBot, button: QPushButton | None) -> None:
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def the_card(tab: AlertsTab, kind: str) -> AlertCard:
    (card,) = [c for c in tab.cards if c.alert.kind == kind]
    return card


# -- a message QuickBooks refused whole ----------------------------------------------------------


class RefusesOne:
    """QuickBooks' request processor refusing every message that holds one request."""

    def __init__(self, company: QuickBooksCompany, marker: str) -> None:
        self.company, self.marker = company, marker

    def process(self, request_xml: str) -> str:
        if self.marker in request_xml:
            raise ValueError("QuickBooks found an error when parsing the provided XML text stream.")
        return self.company.process(request_xml)


def test_a_refused_request_is_shown_monospaced_and_can_be_copied(qtbot: QtBot, ctx: AppContext) -> None:
    ids = [make_customer(ctx, name).id for name in ("Adams Homes", "Bad Apple & Sons", "Cole Builders")]
    ctx.write(sync_queue.send_records, [("customer", n) for n in ids])
    run_session(SyncEngine(ctx.db), RefusesOne(QuickBooksCompany(), "Bad Apple"))
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "message_refused")
    assert card.alert.entity_id == ids[1] and set(card.buttons) == {"edit", "retry", "dismiss"}

    view = card.request_view
    assert view is not None and view.isVisible() and view.isReadOnly()
    assert QFontInfo(view.font()).fixedPitch()
    lines = view.toPlainText().splitlines()
    assert lines[0].startswith('<CustomerAddRq requestID="') and lines[-1] == "</CustomerAddRq>"
    assert "    <Name>Bad Apple &amp; Sons</Name>" in lines  # indented, one element a line
    assert "Adams" not in view.toPlainText()  # only this record's request
    assert any("refused with 0x80040400" in label.text() for label in card.findChildren(QLabel))

    QApplication.clipboard().clear()
    click(qtbot, card.copy_button)
    assert QApplication.clipboard().text() == view.toPlainText()
    assert card.copy_button is not None and card.copy_button.text() == "Copied"

    # A person selects part of it with the keyboard and copies that (read-only, still selectable).
    QApplication.clipboard().clear()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == view.toPlainText()
    assert view.toPlainText().startswith("<CustomerAddRq")  # typing changed nothing


# -- an account QuickBooks does not have ------------------------------------------------------------


def item_on_a_missing_account(ctx: AppContext) -> QuickBooksCompany:
    """Item "Labor" posts to "Old Income", imported from a company file QuickBooks no longer has:
    QuickBooks answers 3140; then the accounts it has are imported."""
    company = QuickBooksCompany()
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(list_id="80000099-1", full_name="Old Income", account_type="Income")],
    )
    old = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Old Income")
    labor = ctx.write(
        items.create_item, items.ItemFields(name="Labor", unit_price="85", income_account_id=old.id)
    )
    ctx.write(sync_queue.send_records, [("item", labor.id)])
    run_sync(ctx, company)
    ctx.write(sync_queue.enqueue, "import", None, "import_accounts", urgent=True)
    run_sync(ctx, company)
    return company


def test_an_admin_picks_a_quickbooks_account_by_keyboard(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    company = item_on_a_missing_account(ctx)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "missing_in_quickbooks")
    assert card.use_account_button is not None and card.use_account_button.text() == USE_ACCOUNT
    assert set(card.buttons) == {"edit", "retry", "dismiss"}
    # Why Checking, Undeposited Funds… are not in the list.
    assert card.account_hint is not None and card.account_hint.isVisible()
    assert card.account_hint.text().startswith("Only active income accounts are offered")
    assert card.account_row is not None and not card.account_row.isVisible()

    click(qtbot, card.use_account_button)
    choice = card.account_choice
    assert card.account_row.isVisible() and choice is not None and choice.hasFocus()
    assert [choice.itemText(i) for i in range(choice.count())] == ["Construction Income", "Materials Income"]
    qtbot.keyClick(choice, Qt.Key.Key_Down)
    assert choice.currentText() == "Materials Income"
    click(qtbot, card.account_ok)

    assert not prompts.texts("error")
    assert not ctx.read(sync_center.list_alerts)
    assert tab.card_for(card.alert.id) is None
    assert tab.summary.text() == (
        "Item Labor now uses the QuickBooks account “Materials Income”; it goes again at the next sync."
    )
    (labor,) = ctx.read(items.list_items, search="Labor").rows
    assert ctx.read(items.get_item, labor.id).income_account_id == next(
        a.id for a in ctx.read(accounts.list_accounts) if a.full_name == "Materials Income"
    )
    run_sync(ctx, company)
    assert any(i.name == "Labor" for i in company.items) and not ctx.read(sync_center.list_alerts)


def test_an_account_gone_since_the_card_was_shown_is_refused_in_words(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    item_on_a_missing_account(ctx)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "missing_in_quickbooks")
    click(qtbot, card.use_account_button)
    assert card.account_choice is not None and card.account_choice.currentText() == "Construction Income"
    # Meanwhile an import finds it made inactive in QuickBooks.
    (income,) = [a for a in QuickBooksCompany().accounts if a.name == "Construction Income"]
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(income.list_id, "Construction Income", "Income", active=False)],
    )
    click(qtbot, card.account_ok)
    assert prompts.texts("error") == ["The account “Construction Income” is inactive in QuickBooks."]
    (alert,) = ctx.read(sync_center.list_alerts)
    assert alert.id == card.alert.id
    cards_shown(qtbot, tab)
    refreshed = the_card(tab, "missing_in_quickbooks")
    assert refreshed.account_choice is not None
    assert [refreshed.account_choice.itemText(i) for i in range(refreshed.account_choice.count())] == [
        "Materials Income"
    ]


def test_office_users_see_the_accounts_are_for_an_admin_to_choose(qtbot: QtBot, ctx: AppContext) -> None:
    item_on_a_missing_account(ctx)
    ctx.actor = OFFICE
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "missing_in_quickbooks")
    assert card.use_account_button is None and card.account_row is None
    assert card.account_hint is not None and card.account_hint.text() == (
        "An administrator can choose one of the accounts QuickBooks has instead."
    )


def test_without_imported_accounts_the_card_says_to_import_them(qtbot: QtBot, ctx: AppContext) -> None:
    company = QuickBooksCompany()
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(list_id="80000099-1", full_name="Old Income", account_type="Income")],
    )
    old = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Old Income")
    labor = ctx.write(
        items.create_item, items.ItemFields(name="Labor", unit_price="85", income_account_id=old.id)
    )
    ctx.write(sync_queue.send_records, [("item", labor.id)])
    run_sync(ctx, company)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "missing_in_quickbooks")
    assert card.use_account_button is not None and not card.use_account_button.isEnabled()
    assert card.account_hint is not None and "import the accounts (Import tab)" in card.account_hint.text()


# -- "sync is stuck" ------------------------------------------------------------------------------


def stuck_on(ctx: AppContext, customer_id: int) -> None:
    """Three Web Connector sessions in a row that finished nothing while the customer waited."""
    ctx.write(sync_queue.send_records, [("customer", customer_id)])
    for _ in range(3):
        with ctx.db.uow(ctx.actor) as uow:
            before = int(settings.get_setting(uow, "sync.sessions_without_progress"))
            settings.set_setting(
                uow, "sync.sessions_without_progress", refusals.note_session_end(uow.session, 0, before)
            )
            uow.commit()


def test_a_stuck_sync_names_the_record_and_retry_sends_it(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx, "Acme Homes")
    stuck_on(ctx, customer.id)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "stuck")
    assert set(card.buttons) == {"retry", "dismiss"}
    assert card.blocking is not None and card.blocking.isVisible()
    assert card.blocking.text() == "Blocking the sync: Customer Acme Homes (waiting to send)."

    click(qtbot, card.buttons["retry"])
    assert not ctx.read(sync_center.list_alerts) and tab.card_for(card.alert.id) is None
    company = QuickBooksCompany()
    run_sync(ctx, company)
    assert [c.name for c in company.customers] == ["Acme Homes"]


def test_dismissing_a_stuck_sync_takes_the_record_out(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx, "Acme Homes")
    stuck_on(ctx, customer.id)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "stuck")
    prompts.queue(True)
    click(qtbot, card.buttons["dismiss"])
    assert prompts.asked[-1].kind == "confirm"
    assert not ctx.read(sync_center.list_alerts)
    assert not SyncEngine(ctx.db).has_work()  # nothing queued: the rest may go


def test_a_change_made_in_quickbooks_by_hand_is_recorded_from_its_card(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    """What the QuickBooks SDK cannot change (a credit applied with links only): the card says
    what to set in QuickBooks, and "Done in QuickBooks" (asked first) records it as done there."""
    company = sync_links_only_change(ctx)
    tab = alerts_tab(qtbot, ctx)
    card = the_card(tab, "by_hand")
    assert list(card.buttons) == ["done_there", "retry", "dismiss"]
    assert card.buttons["done_there"].text() == "Done in QuickBooks"
    assert card.buttons["done_there"].objectName() == "primaryButton"

    prompts.queue(False)  # not yet: nothing is recorded
    click(qtbot, card.buttons["done_there"])
    assert prompts.asked[-1].kind == "confirm"
    assert "JobDesk records that QuickBooks has it" in prompts.asked[-1].text
    assert [a.kind for a in ctx.read(sync_center.list_alerts)] == ["by_hand"]

    prompts.queue(True)
    click(qtbot, card.buttons["done_there"])
    assert not ctx.read(sync_center.list_alerts)
    sent = len(company.log)
    run_sync(ctx, company)  # nothing is asked for again, and nothing is sent to apply it
    assert not ctx.read(sync_center.list_alerts)
    assert not [request for request, _ in company.log[sent:] if "ReceivePayment" in request]
