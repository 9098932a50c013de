"""Credit memos through the windows: from the job window and the customer window, lines from the
price book, applied to the job's invoice, shown on the job's invoice summary, voided; one already
in QuickBooks changed by an admin (applied by anyone)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import delete, select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import credit_memo_details, credit_memos, invoices, items
from desktop_app.services import settings as settings_svc
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.credit_memo import APPLY, BALANCE, NUMBER, CreditMemoDialog
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.widgets.lines_editor import QTY
from tests.conftest import OFFICE
from tests.gui.driving import activate, retype, show
from tests.gui.helpers import make_customer, make_item, make_job


def edit_cell(qtbot: QtBot, table: QTableWidget, row: int, column: int, text: str) -> None:
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and table.isAncestorOf(editor)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)


def _job_with_invoice(ctx: AppContext) -> tuple[int, int, int]:
    item = make_item(ctx, "Labor hour", "85")
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    invoice = ctx.write(invoices.create_invoice, job.id)
    assert item.name == "Labor hour"
    return customer.id, job.id, invoice.id


def test_a_credit_from_the_job_window_is_applied_and_shown_in_the_summary(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    _customer_id, job_id, invoice_id = _job_with_invoice(ctx)
    window = JobDetailsDialog(ctx, job_id)
    qtbot.addWidget(window)
    qtbot.mouseClick(window.new_credit_button, Qt.MouseButton.LeftButton)
    dialog = window.last_credit_dialog
    assert isinstance(dialog, CreditMemoDialog)
    qtbot.addWidget(dialog)
    assert dialog.job.currentData() == job_id  # the job window's job is the one credited
    # The job's open invoice is offered, with what it owes.
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, BALANCE).text() == "$1,000.00"
    assert dialog.table.item(0, NUMBER).data(Qt.ItemDataRole.UserRole) == invoice_id

    activate(qtbot, dialog)
    qtbot.mouseClick(dialog.lines.add_button, Qt.MouseButton.LeftButton)
    labor = next(item for item in dialog.lines._items.values() if item.name == "Labor hour")
    dialog.lines.choose_item(0, labor.id)
    edit_cell(qtbot, dialog.lines.table, 0, QTY, "2")
    edit_cell(qtbot, dialog.table, 0, APPLY, "150.00")
    assert dialog.remainder.text() == "Left to apply: $20.00"  # 2 × $85.00, less $150.00
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked

    (row,) = window.credit_model.rows
    assert row["number"] == "CM-1001" and row["total"] == Decimal("170.00")
    assert row["remaining"] == Decimal("20.00") and "($150.00)" in row["applied_to"]
    assert window.invoice_model.rows[0]["balance"] == Decimal("850.00")
    assert window.stats.cards["credited"].value.text() == "$150.00"
    assert window.stats.cards["balance"].value.text() == "$850.00"

    # Open it again and void it: the invoice owes its whole amount again.
    window.credit_table.selectRow(0)
    reopened = window.open_credit()
    assert isinstance(reopened, CreditMemoDialog)
    qtbot.addWidget(reopened)
    assert reopened.table.item(0, APPLY).text() == "150.00"
    assert reopened.remainder.text() == "Left to apply: $20.00"
    prompts.queue("Entered on the wrong job")
    qtbot.mouseClick(reopened.void_button, Qt.MouseButton.LeftButton)
    assert reopened.record.status.value == "void" and not reopened.save_button.isEnabled()
    # A void credit stays read-only: nothing of it can be typed into.
    assert not reopened.memo.isEnabled() and not reopened.job.isEnabled()
    assert reopened.lines.add_button.isHidden()
    assert not reopened.table.item(0, APPLY).flags() & Qt.ItemFlag.ItemIsEditable
    window.load_invoices()
    assert window.credit_model.rows[0]["status"] == "void"
    assert window.invoice_model.rows[0]["balance"] == Decimal("1000.00")


def test_too_much_applied_is_said_in_the_window_and_nothing_is_saved(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    _customer_id, job_id, _invoice_id = _job_with_invoice(ctx)
    window = JobDetailsDialog(ctx, job_id)
    qtbot.addWidget(window)
    dialog = window.new_credit()
    assert isinstance(dialog, CreditMemoDialog)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    qtbot.mouseClick(dialog.lines.add_button, Qt.MouseButton.LeftButton)
    labor = next(item for item in dialog.lines._items.values() if item.name == "Labor hour")
    dialog.lines.choose_item(0, labor.id)
    edit_cell(qtbot, dialog.table, 0, APPLY, "90.00")  # the credit is $85.00
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Only $85.00 of credit memo" in dialog.message.text()
    assert ctx.read(credit_memo_details.list_credit_memos, job_id=job_id) == ()


def test_new_credit_from_the_customer_window(qtbot: QtBot, ctx: AppContext) -> None:
    customer_id, job_id, _ = _job_with_invoice(ctx)
    window = CustomerDialog(ctx, customer_id)
    qtbot.addWidget(window)
    qtbot.mouseClick(window.new_credit_button, Qt.MouseButton.LeftButton)
    dialog = window.last_credit_dialog
    assert isinstance(dialog, CreditMemoDialog)
    qtbot.addWidget(dialog)
    assert dialog.customer.customer_id() == customer_id
    # A credit to the customer itself: the job's invoice is another QuickBooks Customer:Job.
    assert dialog.job.currentData() is None and dialog.table.rowCount() == 0
    dialog.job.setCurrentIndex(dialog.job.findData(job_id))
    assert dialog.table.rowCount() == 1


def _credit_in_quickbooks(ctx: AppContext) -> tuple[int, int, int]:
    """(credit id, job id, invoice id): a $85.00 credit on the job, linked to QuickBooks."""
    customer_id, job_id, invoice_id = _job_with_invoice(ctx)
    labor_id = ctx.read(items.list_items, search="Labor hour").rows[0].id
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="warranty",
            lines=(LineInput(quantity="1", item_id=labor_id),),
            memo="One hour back",
        ),
    )
    with ctx.db.uow() as uow:
        uow.session.add(
            QbLink(entity_type="credit_memo", entity_id=credit.id, qb_id="CM-TXN-1", edit_sequence="1")
        )
        uow.session.execute(delete(SyncItem))  # what creating it queued went already
        uow.commit()
    return credit.id, job_id, invoice_id


def test_an_admin_changes_a_credit_memo_in_quickbooks_and_the_change_is_queued(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    credit_id, _job_id, _ = _credit_in_quickbooks(ctx)
    dialog = CreditMemoDialog(ctx, credit_id)
    show(qtbot, dialog)
    assert "in QuickBooks" in dialog.subtitle_label.text()
    assert dialog.memo.isEnabled() and dialog.job.isEnabled() and dialog.locked_note.isHidden()
    assert not dialog.lines.add_button.isHidden()
    edit_cell(qtbot, dialog.lines.table, 0, QTY, "3")
    retype(qtbot, dialog.memo, "Three hours back")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked
    saved = ctx.read(credit_memo_details.get_credit_memo, credit_id)
    assert (saved.total, saved.memo, saved.in_quickbooks) == (Decimal("255.00"), "Three hours back", True)
    with ctx.db.reader() as uow:
        queued = uow.session.scalars(
            select(SyncItem.action).where(
                SyncItem.entity_type == "credit_memo", SyncItem.entity_id == credit_id
            )
        ).all()
    assert list(queued) == ["upsert"]  # it goes to QuickBooks as a change


def test_an_office_user_sees_why_a_credit_in_quickbooks_is_read_only_but_may_apply_it(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    credit_id, _job_id, invoice_id = _credit_in_quickbooks(ctx)
    ctx.actor = OFFICE
    dialog = CreditMemoDialog(ctx, credit_id)
    show(qtbot, dialog)
    fields = (dialog.job, dialog.reason, dialog.credit_date, dialog.memo)
    assert not any(w.isEnabled() for w in fields) and dialog.lines.add_button.isHidden()
    assert dialog.locked_note.isVisible()
    assert "already in QuickBooks: only an admin can change" in dialog.locked_note.text()
    # Where it is applied is not the credit itself: anyone may apply it.
    assert dialog.table.item(0, NUMBER).data(Qt.ItemDataRole.UserRole) == invoice_id
    edit_cell(qtbot, dialog.table, 0, APPLY, "40.00")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked
    saved = ctx.read(credit_memo_details.get_credit_memo, credit_id)
    assert [(a.invoice_id, a.amount) for a in saved.applications] == [(invoice_id, Decimal("40.00"))]
    assert saved.total == Decimal("85.00") and saved.memo == "One hour back"


def test_a_credit_shows_and_keeps_the_tax_rate_it_was_made_with(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer_id, job_id, _invoice_id = _job_with_invoice(ctx)
    paint = ctx.write(
        items.create_item, items.ItemFields(name="Paint", unit_price="40", description="Paint", taxable=True)
    )
    ctx.write(settings_svc.set_setting, "tax.default_rate", "8.25")
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="discount",
            lines=(LineInput(quantity="1", item_id=paint.id),),
        ),
    )
    assert credit.total == Decimal("43.30")
    ctx.write(settings_svc.set_setting, "tax.default_rate", "9.00")
    dialog = CreditMemoDialog(ctx, credit.id)
    show(qtbot, dialog)
    assert dialog.lines.totals.values["total"].text() == "$43.30"  # not re-priced at 9 %
    retype(qtbot, dialog.memo, "Called the customer")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked
    saved = ctx.read(credit_memo_details.get_credit_memo, credit.id)
    assert (saved.total, saved.memo) == (Decimal("43.30"), "Called the customer")


def _saved_credit(ctx: AppContext) -> int:
    """An $85.00 credit (one labor hour) for a job with an open $1,000.00 invoice."""
    item = make_item(ctx, "Labor hour", "85")
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    ctx.write(invoices.create_invoice, job.id)
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer.id,
            job_id=job.id,
            reason="refund",
            lines=(LineInput(quantity="1", item_id=item.id),),
        ),
    )
    return credit.id


def test_left_to_apply_follows_the_lines_as_they_are_typed(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = CreditMemoDialog(ctx, _saved_credit(ctx))
    qtbot.addWidget(dialog)
    show(qtbot, dialog)
    assert dialog.remainder.text() == "Left to apply: $85.00"
    edit_cell(qtbot, dialog.lines.table, 0, QTY, "2")  # the credit is now $170.00
    edit_cell(qtbot, dialog.table, 0, APPLY, "100.00")
    assert dialog.remainder.text() == "Left to apply: $70.00"  # what saving would leave


def test_not_a_number_in_an_amount_is_said_on_save_and_kept(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    """ "NaN" and "Infinity" read as numbers to Python's Decimal: not to a person."""
    dialog = CreditMemoDialog(ctx, _saved_credit(ctx))
    qtbot.addWidget(dialog)
    show(qtbot, dialog)
    with qtbot.captureExceptions() as raised:
        edit_cell(qtbot, dialog.table, 0, APPLY, "NaN")
        edit_cell(qtbot, dialog.lines.table, 0, QTY, "Infinity")
        dialog.save()
    assert raised == []
    assert "must be a number" in dialog.message.text()
    assert dialog.table.item(0, APPLY).text() == "NaN"
    assert dialog.lines.table.item(0, QTY).text() == "Infinity"
    with ctx.db.reader() as uow:  # nothing saved
        (line,) = credit_memo_details.get_credit_memo(uow, dialog.record.id if dialog.record else 0).lines
    assert line.quantity == Decimal("1")


def test_choosing_another_job_for_a_saved_credit_lists_that_jobs_open_invoices(
    qtbot: QtBot, ctx: AppContext
) -> None:
    credit_id = _saved_credit(ctx)
    with ctx.db.reader() as uow:
        credit = credit_memo_details.get_credit_memo(uow, credit_id)
    other_job = make_job(ctx, credit.customer_id, "400")
    other_invoice = ctx.write(invoices.create_invoice, other_job.id)
    dialog = CreditMemoDialog(ctx, credit_id)
    qtbot.addWidget(dialog)
    show(qtbot, dialog)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, BALANCE).text() == "$1,000.00"
    dialog.job.setCurrentIndex(dialog.job.findData(other_job.id))
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, BALANCE).text() == "$400.00"
    assert dialog.table.item(0, NUMBER).data(Qt.ItemDataRole.UserRole) == other_invoice.id
