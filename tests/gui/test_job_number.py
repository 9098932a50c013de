"""Job window → "Change job number…": a number whose invoice numbers are taken is refused at the
field as it is typed; a free one renumbers the job and its invoices (issue 15, rule 3)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.services import invoices, jobs, numbering, settings
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.job_number import ChangeJobNumberDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.job_details import JobDetailsDialog
from tests.conftest import OFFICE
from tests.gui.driving import activate, enter, retype, show
from tests.gui.helpers import make_customer, make_job


def voided_and_moved(ctx: AppContext, customer_id: int, *, deposit: bool) -> str:
    """A job whose (deposit) invoice is voided, then renumbered: the void keeps the old number."""
    job = make_job(ctx, customer_id)
    if deposit:
        invoice = ctx.write(invoices.create_deposit_invoice, job.id, amount="100")
    else:
        invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(invoices.void_invoice, invoice.id, "wrong customer")
    ctx.write(numbering.renumber_job, job.id, f"{job.number}R")
    return invoice.number


def open_renumber(qtbot: QtBot, window: JobDetailsDialog) -> ChangeJobNumberDialog:
    assert window.number_button.isVisible()
    qtbot.mouseClick(window.number_button, Qt.MouseButton.LeftButton)
    dialog = window.last_number_dialog
    activate(qtbot, dialog)
    return dialog


def test_a_number_an_invoice_has_is_refused_as_it_is_typed_and_a_free_one_renumbers_the_job(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(settings.set_setting, "numbering.mode", "match")
    ctx.write(settings.set_setting, "numbering.job_start", 5000)
    customer = make_customer(ctx)
    assert voided_and_moved(ctx, customer.id, deposit=True) == "D-5000"  # job 5000 is now 5000R
    assert voided_and_moved(ctx, customer.id, deposit=False) == "5001"  # job 5001 is now 5001R
    ctx.write(numbering.record_quickbooks_ref_numbers, ["8000-2"])  # an invoice QuickBooks has
    job = make_job(ctx, customer.id)
    assert job.number == "5002"
    live = ctx.write(invoices.create_invoice, job.id)
    assert live.number == "5002"

    window = JobDetailsDialog(ctx, job.id)
    show(qtbot, window)
    dialog = open_renumber(qtbot, window)
    field = dialog.field
    assert field.text() == "5002" and not dialog.ok_button.isEnabled()

    retype(qtbot, field, "5000")  # no job has it, but its deposit would be D-5000
    assert dialog.errors.message("number") == (
        "Job number 5000 cannot be used: its invoices would be numbered D-5000, and an invoice here "
        "already has it (a voided invoice keeps its number). With “match” numbering a job's invoices "
        "take its number (5000, D-5000, 5000-1 …). Choose another job number."
    )
    assert field.property("invalid") and not dialog.ok_button.isEnabled()
    enter(qtbot, field)  # refused means refused: Enter saves nothing
    assert dialog.isVisible() and ctx.read(jobs.get_job, job.id).number == "5002"

    retype(qtbot, field, "5001")
    assert dialog.errors.message("number").startswith(
        "Job number 5001 cannot be used: its invoices would be numbered 5001, and an invoice here"
    )
    retype(qtbot, field, "5000R")
    assert dialog.errors.message("number") == "Job number 5000R is already used by another job."
    retype(qtbot, field, "8000")
    assert "numbered 8000-2, and QuickBooks already has an invoice with that number" in (
        dialog.errors.message("number")
    )
    retype(qtbot, field, "5002")
    assert dialog.errors.message("number") == "This is job 5002's number now."
    assert not dialog.ok_button.isEnabled()

    # The check follows each key: 700 is free, so is 7000.
    retype(qtbot, field, "700")
    assert dialog.errors.message("number") == "700 is free." and dialog.ok_button.isEnabled()
    qtbot.keyClick(field, Qt.Key.Key_0)
    assert dialog.errors.message("number") == "7000 is free." and not field.property("invalid")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    assert ctx.read(jobs.get_job, job.id).number == "7000"
    assert window.record.number == "7000"
    assert window.title_label.text() == "Job 7000 · Kitchen remodel"
    assert [row["number"] for row in window.invoice_model.rows] == ["7000"]  # its invoice followed
    assert window.saved_note.text().startswith("✓ Saved")
    assert not prompts.texts("error")


def test_office_users_are_not_offered_a_new_job_number(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    job = make_job(ctx, make_customer(ctx).id)
    ctx.actor = OFFICE
    window = JobDetailsDialog(ctx, job.id)
    show(qtbot, window)
    assert window.number_button.isHidden()
    assert window.change_number() is None
    assert ctx.read(jobs.get_job, job.id).number == job.number
