"""Status that agrees with itself: the sync center tells what is held back and sends it with
"Send now"; changing the interval says to save the Web Connector file again; every list
reloads when a record it shows changes, QuickBooks status after a sync included."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.services import accounts, invoices, jobs, payments, settings, sync_queue
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.sync_now import SyncNowDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.sync_status import SyncStatusBar
from desktop_app.ui.views.invoices import InvoicesView
from desktop_app.ui.views.jobs import JobsView
from desktop_app.ui.views.payments import PaymentsView
from desktop_app.ui.views.settings import SettingsView
from desktop_app.ui.views.sync_center import SyncCenterView
from qbwc_server.simulator import QuickBooksCompany
from tests.gui.driving import activate, retype, show
from tests.gui.helpers import make_customer, make_job
from tests.gui.sync_helpers import run_sync


def _click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def _company_with_income_account(ctx: AppContext) -> QuickBooksCompany:
    """A simulated QuickBooks whose income account JobDesk's items use."""
    company = QuickBooksCompany()
    income = next(a for a in company.accounts if a.name == "Construction Income")
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(list_id=income.list_id, full_name=income.name, account_type="Income")],
    )
    account = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Construction Income")
    ctx.write(accounts.set_default_income_account, account.id)
    return company


def _cell(view: object, row: int, header: str) -> str:
    model = view.model  # type: ignore[attr-defined]
    column = next(i for i, c in enumerate(model.columns) if c.title == header)
    return str(model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole))


def _row_of(view: object, record_id: int) -> int:
    return int(view.model.find_row(record_id))  # type: ignore[attr-defined]


def test_sync_center_says_what_is_held_back_and_send_now_queues_it(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(settings.set_setting, "sync.on_job_finished", False)
    ctx.write(settings.set_setting, "sync.on_invoice_paid", False)
    customer = make_customer(ctx)
    first, second = make_job(ctx, customer.id, "400"), make_job(ctx, customer.id, "600")
    run_sync(ctx, QuickBooksCompany())  # the customer and its jobs are in QuickBooks
    view = SyncCenterView(ctx)
    show(qtbot, view)
    view.start()
    qtbot.waitUntil(lambda: view.queue_tab.empty.isVisible())
    assert view.queue_tab.empty.text() == "Nothing is waiting to be sent. QuickBooks is up to date."
    assert not view.held_banner.isVisible()

    # Elsewhere in the app: two invoices made (not sent) and a partial payment on the first.
    one = ctx.write(invoices.create_invoice, first.id, changes=("invoice", "job"))
    ctx.write(invoices.create_invoice, second.id, changes=("invoice", "job"))
    ctx.write(
        payments.record_payment,
        customer.id,
        "100",
        "check",
        one.invoice_date,
        applications=[(one.id, "100")],
        changes=("payment", "invoice"),
    )
    assert view.held_banner.isVisible()
    assert view.held_label.text() == (
        "2 invoices and 1 payment are not in QuickBooks: they go when the invoice is sent."
    )
    assert "3 held back" in view.summary.text()
    qtbot.waitUntil(lambda: view.queue_tab.empty.isVisible())
    assert "QuickBooks is not up to date: 3 records are held back" in view.queue_tab.empty.text()

    _click(qtbot, view.show_held_button)
    assert view.current_tab() is view.send_tab
    reasons = {row.number: row.reason for row in view.send_tab.model.rows}
    assert reasons[one.number] == f"Goes to QuickBooks when invoice {one.number} is sent."

    _click(qtbot, view.send_now_button)
    assert prompts.texts("inform")[-1] == (
        "3 records queued for QuickBooks; they go at the next Web Connector session."
    )
    assert not view.held_banner.isVisible()
    assert view.send_tab.model.rows == []
    assert ctx.read(settings.get_setting, "sync.requested_at")  # Send now asked for a sync too
    view.show_tab("queue")
    qtbot.waitUntil(lambda: view.queue_tab.model.total == 3)
    assert {view.queue_tab.model.row_at(i).entity_type for i in range(3)} == {"invoice", "payment"}


def test_changing_the_interval_says_to_save_the_web_connector_file_again(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    view = SettingsView(ctx)
    show(qtbot, view)
    view.start()
    assert not view.qwc_notice.isVisible()
    interval = view.inputs["sync.interval_minutes"]
    retype(qtbot, interval, "30")
    assert view.qwc_notice.isVisible()
    assert "save the Web Connector file again" in view.qwc_notice_label.text()
    retype(qtbot, interval, "15")  # back as it was: nothing to do
    assert not view.qwc_notice.isVisible()
    retype(qtbot, interval, "30")
    _click(qtbot, view.save_button)
    assert ctx.read(settings.get_setting, "sync.interval_minutes") == 30
    assert view.qwc_notice.isVisible()  # saved, but the Web Connector still has the old file

    target = tmp_path / "JobDesk.qwc"
    prompts.queue(str(target))
    _click(qtbot, view.save_qwc_button)
    assert "<RunEveryNMinutes>30</RunEveryNMinutes>" in target.read_text(encoding="utf-8")
    assert not view.qwc_notice.isVisible()
    assert str(target) in view.message.text()

    responsive = view.inputs["sync.responsive"]
    _click(qtbot, responsive)  # asks for a poll every minute: also in the file
    assert view.qwc_notice.isVisible()


def test_lists_show_quickbooks_status_once_the_web_connector_synced(qtbot: QtBot, ctx: AppContext) -> None:
    company = _company_with_income_account(ctx)
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "500")
    invoice = ctx.write(invoices.create_invoice, job.id)
    invoices_view, payments_view = InvoicesView(ctx), PaymentsView(ctx)
    for view in (invoices_view, payments_view):
        show(qtbot, view)
        view.start()
    bar = SyncStatusBar(ctx)
    qtbot.addWidget(bar)
    bar.refresh()
    qtbot.waitUntil(lambda: invoices_view.model.total == 1)
    assert _cell(invoices_view, 0, "QuickBooks") == "—"

    dialog = invoices_view.open_invoice(invoice.id)
    qtbot.addWidget(dialog)
    _click(qtbot, dialog.send_button)  # the send trigger queues it
    assert ctx.read(sync_queue.find_pending, "invoice", invoice.id, "upsert") is not None
    ctx.write(
        payments.record_payment,
        customer.id,
        "200",
        "check",
        invoice.invoice_date,
        applications=[(invoice.id, "200")],
        changes=("payment", "invoice"),
    )
    qtbot.waitUntil(lambda: payments_view.model.total == 1)
    payment_id = payments_view.model.row_at(0).id
    assert _cell(payments_view, 0, "QuickBooks") == "—"

    run_sync(ctx, company)  # the Web Connector, on its own schedule: the app did not ask
    bar.refresh()  # the status bar's next look at the queue
    qtbot.waitUntil(
        lambda: _cell(invoices_view, _row_of(invoices_view, invoice.id), "QuickBooks") == "Synced"
    )
    qtbot.waitUntil(
        lambda: _cell(payments_view, _row_of(payments_view, payment_id), "QuickBooks") == "Synced"
    )
    reopened = invoices_view.open_invoice(invoice.id)
    qtbot.addWidget(reopened)
    assert "· in QuickBooks" in reopened.subtitle_label.text()


def test_the_job_list_follows_a_new_tax_rate(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer.id,
            name="Deck",
            lines=(LineInput(quantity="1", description="Boards", rate="1000", taxable=True),),
        ),
    )
    jobs_view = JobsView(ctx)
    show(qtbot, jobs_view)
    jobs_view.start()
    qtbot.waitUntil(lambda: jobs_view.model.total == 1)
    assert jobs_view.model.row_at(0).total == Decimal("1000.00")
    settings_view = SettingsView(ctx)
    show(qtbot, settings_view)
    settings_view.start()
    retype(qtbot, settings_view.inputs["tax.default_rate"], "10")
    _click(qtbot, settings_view.save_button)
    qtbot.waitUntil(lambda: jobs_view.model.row_at(_row_of(jobs_view, job.id)).total == Decimal("1100.00"))


def test_sync_now_reports_what_went_with_the_records_that_were_needed_first(
    qtbot: QtBot, ctx: AppContext
) -> None:
    company = _company_with_income_account(ctx)
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "500")  # the job is queued; its customer goes because the job needs it
    dialog = SyncNowDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.start()
    run_sync(ctx, company)
    dialog.poll()
    assert dialog.state == "done"
    assert dialog.result.text().startswith(
        "Sent 2 records to QuickBooks (1 of them needed first: 1 customer)."
    ), dialog.result.text()
    assert ctx.read(sync_queue.is_linked, "job", job.id)


def test_the_job_window_shows_a_payment_taken_in_the_payments_screen(qtbot: QtBot, ctx: AppContext) -> None:
    from desktop_app.ui.views.job_details import JobDetailsDialog

    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "800")
    invoice = ctx.write(invoices.create_invoice, job.id)
    window = JobDetailsDialog(ctx, job.id)
    qtbot.addWidget(window)
    assert window.invoice_model.rows[0]["balance"] == Decimal("800.00")
    payments_view = PaymentsView(ctx)
    show(qtbot, payments_view)
    payments_view.start()
    dialog = payments_view.new_record()
    activate(qtbot, dialog)
    dialog.customer.set_customer(customer.id, customer.display_name)
    retype(qtbot, dialog.amount, "300")
    _click(qtbot, dialog.auto_button)
    assert dialog.save()
    assert window.invoice_model.rows[0]["balance"] == Decimal("500.00")
    assert ctx.read(invoices.get_invoice, invoice.id).balance == Decimal("500.00")
