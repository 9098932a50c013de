"""Settings → Next numbers: an admin moves a counter forward or back to just above the highest
number used, seeing what the move skips or hands out again as they type (issue 15, rule 4)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.services import audit_log, invoices, numbering, settings
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.settings import SettingsView
from desktop_app.ui.views.settings_numbering import READ_ONLY_NOTE, CounterRow
from tests.conftest import OFFICE
from tests.gui.driving import enter, focus, retype, show
from tests.gui.helpers import make_customer, make_job


def settings_view(qtbot: QtBot, ctx: AppContext) -> SettingsView:
    view = SettingsView(ctx)
    view.resize(1200, 1400)
    show(qtbot, view)
    view.start()
    return view


def invoice_two_jobs(ctx: AppContext) -> None:
    """Invoices 5000 and 5001: the highest invoice number used is 5001."""
    ctx.write(settings.set_setting, "numbering.invoice_start", 5000)
    customer = make_customer(ctx)
    for _ in range(2):
        job = make_job(ctx, customer.id)
        ctx.write(invoices.create_invoice, job.id, changes=("invoice",))


def line(view: SettingsView, counter: str) -> str:
    return view.counters.errors.message(counter)


def is_refusal(row: CounterRow) -> bool:
    return bool(row.edit.property("invalid")) and not row.line.property("hint")


def next_invoice(ctx: AppContext) -> str:
    return ctx.read(numbering.next_numbers).invoice


def test_the_line_under_the_field_follows_each_key_typed(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    invoice_two_jobs(ctx)
    view = settings_view(qtbot, ctx)
    row = view.counters.rows["invoice"]
    assert row.edit.text() == "5002" and not row.edit.isReadOnly()
    assert line(view, "invoice") == "" and not row.button.isEnabled()

    retype(qtbot, row.edit, "510")
    assert line(view, "invoice") == (
        "Invoice numbers up to 5001 are already used (here or in QuickBooks), so the next invoice "
        "number can go back no further than 5002."
    )
    assert is_refusal(row) and not row.button.isEnabled()

    qtbot.keyClick(row.edit, Qt.Key.Key_0)  # 5100
    assert line(view, "invoice") == (
        "Next invoice number 5002 → 5100: 5002–5099 (98 numbers) skipped, never handed out."
    )
    assert not is_refusal(row) and row.button.isEnabled()

    qtbot.keyClick(row.edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(row.edit, Qt.Key.Key_3)  # 5103
    assert line(view, "invoice").startswith("Next invoice number 5002 → 5103: 5002–5102 (101 numbers)")

    retype(qtbot, row.edit, "5002")
    assert line(view, "invoice") == "The next invoice number is already 5002."
    assert not row.button.isEnabled()

    retype(qtbot, row.edit, "50x")
    assert line(view, "invoice") == "Type a whole number, such as 5002." and is_refusal(row)
    retype(qtbot, row.edit, "")
    assert line(view, "invoice") == "Type the next number." and not row.button.isEnabled()
    assert next_invoice(ctx) == "5002"  # typing changed nothing
    assert not prompts.texts("error")


def test_a_counter_moved_forward_by_mistake_goes_back_to_just_above_the_highest_used(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    invoice_two_jobs(ctx)
    view = settings_view(qtbot, ctx)
    row = view.counters.rows["invoice"]

    retype(qtbot, row.edit, "5100")
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    assert next_invoice(ctx) == "5100"
    assert line(view, "invoice") == (
        "Saved. Next invoice number 5002 → 5100: 5002–5099 (98 numbers) skipped, never handed out."
    )
    assert row.edit.text() == "5100" and not row.button.isEnabled()

    # Back to the highest used: refused at the field, and Enter does not move the counter.
    retype(qtbot, row.edit, "5001")
    assert "can go back no further than 5002" in line(view, "invoice") and is_refusal(row)
    assert not row.button.isEnabled()
    enter(qtbot, row.edit)
    assert next_invoice(ctx) == "5100"

    # Just above the highest used: the numbers never used are handed out again.
    retype(qtbot, row.edit, "5002")
    assert line(view, "invoice") == (
        "Next invoice number 5100 → 5002: 5002–5099 (98 numbers) handed out again "
        "(never used, here or in QuickBooks)."
    )
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    assert next_invoice(ctx) == "5002"
    assert line(view, "invoice").startswith("Saved. Next invoice number 5100 → 5002")
    assert row.edit.text() == "5002"

    trail = ctx.read(audit_log.list_entries, search="Next invoice number").rows
    assert [entry.summary for entry in trail] == [
        "Next invoice number 5100 → 5002: 5002–5099 (98 numbers) handed out again "
        "(never used, here or in QuickBooks).",
        "Next invoice number 5002 → 5100: 5002–5099 (98 numbers) skipped, never handed out.",
    ]
    assert trail[0].user_name == ctx.actor.name

    # The next invoice gets that number, and the field follows the number handed out.
    job = make_job(ctx, make_customer(ctx, "Baker, Bo").id)
    assert ctx.write(invoices.create_invoice, job.id, changes=("invoice",)).number == "5002"
    assert row.edit.text() == "5003" and line(view, "invoice") == ""
    assert not prompts.texts("error")


def test_enter_sets_the_job_counter_and_a_typed_prefix_is_understood(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    ctx.write(settings.set_setting, "numbering.job_prefix", "J")
    make_job(ctx, make_customer(ctx).id)  # J1000
    view = settings_view(qtbot, ctx)
    row = view.counters.rows["job"]
    assert row.prefix_label.text() == "J" and row.prefix_label.isVisible()
    assert row.edit.text() == "1001"

    retype(qtbot, row.edit, "J1500")
    assert (
        line(view, "job")
        == "Next job number J1001 → J1500: J1001–J1499 (499 numbers) skipped, never handed out."
    )
    enter(qtbot, row.edit)
    assert ctx.read(numbering.next_numbers).job == "J1500"
    assert row.edit.text() == "1500" and line(view, "job").startswith("Saved. ")

    retype(qtbot, row.edit, "1000")
    assert line(view, "job").startswith("Job numbers up to J1000 are already used")
    assert not prompts.texts("error")


def test_an_office_user_reads_the_next_numbers_and_cannot_change_them(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    invoice_two_jobs(ctx)
    ctx.actor = OFFICE
    view = settings_view(qtbot, ctx)
    counters = view.counters
    assert counters.read_only_note.isVisible() and counters.read_only_note.text() == READ_ONLY_NOTE
    for counter, shown in (("job", "1002"), ("invoice", "5002")):
        row = counters.rows[counter]
        assert row.edit.text() == shown and row.edit.isReadOnly() and row.button.isHidden()

    row = counters.rows["invoice"]
    focus(qtbot, row.edit)
    qtbot.keyClick(row.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(row.edit, "9000")
    enter(qtbot, row.edit)
    assert row.edit.text() == "5002" and line(view, "invoice") == ""
    assert not counters.apply(row)  # not even by calling it: the screen offers office users nothing
    assert next_invoice(ctx) == "5002"
    assert not prompts.texts("error")
