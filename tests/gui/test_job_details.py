"""The job-details progress-invoice flow, end to end through the window."""

from __future__ import annotations

from decimal import Decimal

from pytestqt.qtbot import QtBot

from desktop_app.services import invoice_queries, jobs
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.job_details import JobDetailsDialog
from tests.gui.helpers import enable_progress, make_customer, make_job


def progress(qtbot: QtBot, window: JobDetailsDialog, percent: str) -> bool:
    dialog = window.new_invoice("progress")
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.percent.setText(percent)
    saved = dialog.save()
    window.last_error = dialog.errors.message("percent")  # type: ignore[attr-defined]
    dialog.tracker.reset()
    dialog.close()
    return saved


def test_progress_invoices_void_reinvoice_and_pay(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    enable_progress(ctx)
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    window = JobDetailsDialog(ctx, job.id)
    qtbot.addWidget(window)
    assert window.stats.cards["total"].value.text() == "$1,000.00"

    assert window.transition(jobs.start_job)
    assert window.record.status == "in_progress"

    assert progress(qtbot, window, "30")
    assert progress(qtbot, window, "50")
    assert window.stats.cards["invoiced"].value.text() == "$800.00"
    assert window.stats.cards["remaining"].value.text() == "$200.00"

    assert not progress(qtbot, window, "30")
    assert "$200.00 is left to invoice" in window.last_error  # type: ignore[attr-defined]
    assert len(window.invoice_model.rows) == 2

    second = window.invoice_model.rows[1]
    window.select_invoice(second["number"])
    prompts.queue("Customer asked for a different split")
    window.void_invoice()
    assert window.invoice_model.rows[1]["status"] == "void"
    assert window.stats.cards["remaining"].value.text() == "$700.00"

    assert progress(qtbot, window, "50")
    assert window.stats.cards["invoiced"].value.text() == "$800.00"

    first = window.invoice_model.rows[0]
    window.select_invoice(first["number"])
    pay = window.pay_invoice()
    assert pay is not None
    qtbot.addWidget(pay)
    pay.reference.setText("1042")
    assert pay.save()
    summary = ctx.read(invoice_queries.job_invoicing_summary, job.id)
    assert summary.paid == Decimal("300.00")
    assert window.stats.cards["paid"].value.text() == "$300.00"
    assert window.invoice_model.rows[0]["status"] == "paid"

    window.select_invoice(window.invoice_model.rows[2]["number"])
    window.send_invoice()
    assert not [a for a in prompts.asked if a.kind == "error"]


def test_new_job_validation(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx)
    window = JobDetailsDialog(ctx, None)
    qtbot.addWidget(window)
    window.customer.set_customer(customer.id, customer.display_name)
    assert not window.save()
    assert window.errors.message("name")
    window.name.setText("Bathroom refresh")
    window.lines.add_line(description="Tiles", rate="500")
    assert window.save()
    assert window.record.number
    assert window.invoices_card.isVisibleTo(window)
