"""Settings → Sales tax in QuickBooks: the rates, the QuickBooks item each is, and an admin's
choice of another item QuickBooks has at the same rate."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from desktop_app.services import accounts, customers, invoices, items, jobs, settings, sync_queue
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.settings import SettingsView
from desktop_app.ui.views.settings_tax import DEFAULT_MARK, WILL_BE_CREATED
from qbwc_server.simulator import QuickBooksCompany, add_sales_tax_item
from tests.conftest import OFFICE
from tests.gui.driving import retype, show
from tests.gui.sync_helpers import run_sync


def settings_view(qtbot: QtBot, ctx: AppContext) -> SettingsView:
    view = SettingsView(ctx)
    view.resize(1200, 1400)
    show(qtbot, view)
    view.start()
    return view


def table(view: SettingsView) -> list[tuple[str, ...]]:
    model = view.sales_tax.model
    return [
        tuple(str(model.index(row, col).data()) for col in range(model.columnCount()))
        for row in range(model.rowCount())
    ]


def combo_texts(box: QComboBox) -> list[str]:
    return [box.itemText(i) for i in range(box.count())]


def import_sales_tax(ctx: AppContext, company: QuickBooksCompany) -> None:
    ctx.write(sync_queue.enqueue, "import", None, "import_sales_tax", urgent=True)
    run_sync(ctx, company)
    ctx.changed.emit("sync")  # what the app says when a sync finishes


def test_rates_show_their_quickbooks_items_and_office_users_only_read(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(settings.set_setting, "tax.default_rate", Decimal("8.25"))
    ctx.write(settings.set_setting, "tax.item_name", "Sales Tax 8.25%")
    company = QuickBooksCompany()
    add_sales_tax_item(company, "County Tax", "7.75")
    ctx.actor = OFFICE
    view = settings_view(qtbot, ctx)
    section = view.sales_tax
    assert table(view) == [("Sales Tax 8.25%", "8.25%", WILL_BE_CREATED, DEFAULT_MARK)]

    import_sales_tax(ctx, company)  # the section follows the sync's broadcast
    assert table(view) == [
        ("County Tax", "7.75%", "County Tax", ""),
        ("Sales Tax 8.25%", "8.25%", WILL_BE_CREATED, DEFAULT_MARK),
    ]
    assert section.chooser.isHidden() and section.read_only_note.isVisible()
    assert (
        section.read_only_note.text() == "Only an administrator can choose which QuickBooks item a rate uses."
    )
    assert not prompts.texts("error")


def test_a_rate_quickbooks_has_no_item_for_says_why_nothing_is_offered(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.write(settings.set_setting, "tax.default_rate", Decimal("8.25"))
    ctx.write(settings.set_setting, "tax.item_name", "Sales Tax 8.25%")
    company = QuickBooksCompany()
    add_sales_tax_item(company, "County Tax", "7.75")
    import_sales_tax(ctx, company)
    section = settings_view(qtbot, ctx).sales_tax
    assert section.chooser.isVisible() and section.read_only_note.isHidden()
    assert combo_texts(section.rate_choice) == ["8.25% (default)", "7.75%"]
    assert section.item_choice.count() == 0 and not section.use_button.isEnabled()
    assert section.why.text().startswith("QuickBooks has no sales-tax item at 8.25% that JobDesk knows of")
    assert "“Sales Tax 8.25%” will be created at the next sync" in section.why.text()

    # Another rate: the item QuickBooks has at that rate is offered, and why only it.
    qtbot.mouseClick(section.rate_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClick(section.rate_choice, Qt.Key.Key_Escape)
    qtbot.keyClick(section.rate_choice, Qt.Key.Key_Down)
    assert section.rate_choice.currentText() == "7.75%"
    assert combo_texts(section.item_choice) == ["County Tax"]
    assert section.why.text() == (
        "Only items QuickBooks has at 7.75% are offered: an item of another rate would change invoice "
        "totals, and one not in QuickBooks yet is created at the next sync."
    )


def taxed_invoice(ctx: AppContext, company: QuickBooksCompany) -> int:
    """Smith's deck, $100 of taxable labour, invoiced; its item posts to an account QuickBooks has."""
    income = next(a for a in company.accounts if a.name == "Construction Income")
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(list_id=income.list_id, full_name=income.name, account_type="Income")],
    )
    account = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Construction Income")
    ctx.write(accounts.set_default_income_account, account.id)
    customer = ctx.write(customers.create_customer, customers.CustomerFields(display_name="Smith, Ann"))
    labor = ctx.write(items.create_item, items.ItemFields(name="Labor", unit_price="100", taxable=True))
    job = ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer.id, name="Deck", lines=(LineInput(quantity="1", item_id=labor.id),)
        ),
    )
    started = ctx.write(jobs.start_job, job.id, job.version)
    ctx.write(jobs.finish_job, job.id, started.version)
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(invoices.issue_invoice, invoice.id)
    return invoice.id


def test_an_admin_points_the_default_rate_at_another_quickbooks_item(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(settings.set_setting, "tax.default_rate", Decimal("8.25"))
    company = QuickBooksCompany()
    add_sales_tax_item(company, "City Tax", "8.25")
    add_sales_tax_item(company, "State Tax", "8.25")
    import_sales_tax(ctx, company)  # the first one imported becomes the company's item
    view = settings_view(qtbot, ctx)
    section = view.sales_tax
    item_name = view.inputs["tax.item_name"]
    assert isinstance(item_name, QLineEdit) and item_name.text() == "City Tax"
    assert table(view) == [
        ("City Tax", "8.25%", "City Tax", DEFAULT_MARK),
        ("State Tax", "8.25%", "State Tax", ""),
    ]
    assert combo_texts(section.rate_choice) == ["8.25% (default)"]
    assert combo_texts(section.item_choice) == ["City Tax", "State Tax"]
    assert section.item_choice.currentText() == "City Tax" and not section.use_button.isEnabled()

    qtbot.mouseClick(section.item_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClick(section.item_choice, Qt.Key.Key_Escape)
    qtbot.keyClick(section.item_choice, Qt.Key.Key_Down)
    assert section.item_choice.currentText() == "State Tax" and section.use_button.isEnabled()
    qtbot.mouseClick(section.use_button, Qt.MouseButton.LeftButton)

    assert not prompts.texts("error")
    assert table(view) == [
        ("City Tax", "8.25%", "City Tax", ""),
        ("State Tax", "8.25%", "State Tax", DEFAULT_MARK),
    ]
    assert section.why.text() == "Invoices charging 8.25% now name “State Tax” in QuickBooks."
    assert item_name.text() == "State Tax"  # the settings form shows what changed
    assert not view.tracker.dirty

    # The next taxed invoice names State Tax in QuickBooks; nothing new is made there.
    invoice_id = taxed_invoice(ctx, company)
    ctx.write(sync_queue.send_records, [("invoice", invoice_id)])
    run_sync(ctx, company)
    (sent,) = company.invoices
    state_tax = next(i for i in company.items if i.name == "State Tax")
    assert sent.sales_tax_item_id == state_tax.list_id and sent.tax_total == Decimal("8.25")
    assert sorted(i.name for i in company.items if i.kind == "ItemSalesTax") == ["City Tax", "State Tax"]


def test_an_edit_in_progress_is_not_swept_away_by_a_change_elsewhere(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.write(settings.set_setting, "tax.default_rate", Decimal("8.25"))
    company = QuickBooksCompany()
    add_sales_tax_item(company, "City Tax", "8.25")
    add_sales_tax_item(company, "State Tax", "8.25")
    import_sales_tax(ctx, company)
    view = settings_view(qtbot, ctx)
    name = view.inputs["company.name"]
    assert isinstance(name, QLineEdit)
    retype(qtbot, name, "Summit Ridge")
    section = view.sales_tax
    qtbot.mouseClick(section.item_choice, Qt.MouseButton.LeftButton)
    qtbot.keyClick(section.item_choice, Qt.Key.Key_Escape)
    qtbot.keyClick(section.item_choice, Qt.Key.Key_Down)
    qtbot.mouseClick(section.use_button, Qt.MouseButton.LeftButton)
    assert name.text() == "Summit Ridge" and view.tracker.dirty
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    saved = ctx.read(settings.get_all)
    assert (saved["company.name"], saved["tax.item_name"]) == ("Summit Ridge", "State Tax")
