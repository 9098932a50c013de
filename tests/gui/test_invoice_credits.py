"""The invoice window accounts for credit memos applied: Total − Paid − Credits = Balance due,
the Credits figure naming the credit memos, and no Credits figure on an invoice without any."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.services import credit_applications, credit_memos, invoices, payments
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.credit_memo import CreditMemoDialog
from desktop_app.ui.dialogs.invoice import InvoiceDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.job_details import JobDetailsDialog
from tests.gui.driving import activate, click_row, show
from tests.gui.helpers import make_customer, make_job


def figure(window: InvoiceDialog, key: str) -> Decimal:
    return Decimal(window.stats.cards[key].value.text().replace("$", "").replace(",", ""))


def credit(ctx: AppContext, customer_id: int, job_id: int, rate: str, when: date) -> int:
    detail = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="warranty",
            credit_date=when,
            lines=(LineInput(quantity="1", description="Warranty repair", rate=rate, taxable=False),),
        ),
        changes=("credit_memo",),
    )
    return detail.id


def test_the_credits_applied_are_shown_so_the_figures_add_up(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(
        payments.record_payment, customer.id, "200", "check", date.today(), "CHK 1", "", [(invoice.id, "200")]
    )
    first = credit(ctx, customer.id, job.id, "85", date(2026, 2, 1))
    second = credit(ctx, customer.id, job.id, "40.55", date(2026, 2, 3))
    ctx.write(credit_applications.apply_credit, first, [(invoice.id, "85")], changes=("credit_memo",))
    ctx.write(credit_applications.apply_credit, second, [(invoice.id, "15.55")], changes=("credit_memo",))

    window = InvoiceDialog(ctx, invoice.id)
    show(qtbot, window)
    credits = window.stats.cards["credits"]
    assert credits.isVisible()
    assert credits.caption.text() == "CREDITS"
    assert credits.value.text() == "$100.55"
    assert window.stats.cards["paid"].value.text() == "$200.00"  # payments only, as before
    assert window.stats.cards["balance"].value.text() == "$699.45"
    assert figure(window, "total") - figure(window, "paid") - figure(window, "credits") == figure(
        window, "balance"
    )
    assert credits.toolTip().splitlines() == [
        "Credit memo CM-1001 (02/01/2026): $85.00",
        "Credit memo CM-1002 (02/03/2026): $15.55",
    ]


def test_no_credits_figure_without_credits_and_it_goes_when_the_credit_is_voided(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    invoice = ctx.write(invoices.create_invoice, job.id)
    window = InvoiceDialog(ctx, invoice.id)
    show(qtbot, window)
    assert not window.stats.cards["credits"].isVisible()
    assert window.stats.cards["balance"].value.text() == "$1,000.00"

    window.memo.clear()
    qtbot.keyClicks(window.memo, "Typed, not saved yet")
    applied = credit(ctx, customer.id, job.id, "120", date(2026, 2, 1))
    ctx.write(credit_applications.apply_credit, applied, [(invoice.id, "120")], changes=("credit_memo",))
    # Applied elsewhere while this window is open: its figures follow, what was typed stays.
    assert window.memo.text() == "Typed, not saved yet"
    assert window.stats.cards["credits"].isVisible()
    assert window.stats.cards["credits"].value.text() == "$120.00"
    assert window.stats.cards["balance"].value.text() == "$880.00"

    # Voided from the job window: the invoice owes it all again and shows no credits.
    jobs_window = JobDetailsDialog(ctx, job.id)
    show(qtbot, jobs_window)
    click_row(qtbot, jobs_window.credit_table, 0)
    qtbot.mouseClick(jobs_window.open_credit_button, Qt.MouseButton.LeftButton)
    dialog = jobs_window.last_credit_dialog
    assert isinstance(dialog, CreditMemoDialog)
    activate(qtbot, dialog)
    prompts.queue("Not a warranty job")
    qtbot.mouseClick(dialog.void_button, Qt.MouseButton.LeftButton)
    assert jobs_window.credit_model.rows[0]["status"] == "void"
    assert not window.stats.cards["credits"].isVisible()
    assert window.stats.cards["balance"].value.text() == "$1,000.00"


def test_what_was_typed_is_saved_after_a_credit_paid_the_invoice_elsewhere(
    qtbot: QtBot, ctx: AppContext
) -> None:
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "100")
    invoice = ctx.write(invoices.create_invoice, job.id)
    window = InvoiceDialog(ctx, invoice.id)
    show(qtbot, window)
    window.memo.clear()
    qtbot.keyClicks(window.memo, "Typed, not saved yet")
    applied = credit(ctx, customer.id, job.id, "100", date(2026, 2, 1))
    # Paid in full by the credit: the invoice's status (and version) changes meanwhile.
    ctx.write(credit_applications.apply_credit, applied, [(invoice.id, "100")], changes=("credit_memo",))
    assert window.stats.cards["balance"].value.text() == "$0.00"
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)
    assert ctx.read(invoices.get_invoice, invoice.id).memo == "Typed, not saved yet"
