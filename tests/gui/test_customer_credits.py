"""The customer window lists the customer's credit memos (its own, with no job, and its jobs'):
a credit memo closed is found there again, reopened (double-click or Open credit), applied
and voided, and the list and the open balance follow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from desktop_app.services import credit_memo_details, credit_memos, invoices
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.credit_memo import APPLY, NUMBER, CreditMemoDialog
from desktop_app.ui.dialogs.customer import CustomerDialog
from desktop_app.ui.prompts import ScriptedPrompts
from tests.gui.driving import activate, click_row, show
from tests.gui.helpers import make_customer, make_item, make_job
from tests.gui.test_credit_memo_dialog import edit_cell


def shown(view: QAbstractItemView) -> list[list[str]]:
    """The table as the person reads it, row by row."""
    model = view.model()
    return [
        [str(model.index(row, column).data()) for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def double_click_row(qtbot: QtBot, view: QAbstractItemView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def customer_credit(ctx: AppContext, customer_id: int, job_id: int | None, rate: str) -> int:
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="discount",
            credit_date=date(2026, 3, 2),
            lines=(LineInput(quantity="1", description="Goodwill", rate=rate, taxable=False),),
        ),
        changes=("credit_memo",),
    )
    return credit.id


def test_a_credit_to_the_customer_itself_is_found_again_reopened_applied_and_voided(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    make_item(ctx, "Labor hour", "85")
    customer = make_customer(ctx)
    jobs = [make_job(ctx, customer.id, "1000").id, make_job(ctx, customer.id, "500").id]
    # Billed to the customer, not to one job: the invoice a credit to the customer goes to.
    invoice = ctx.write(invoices.create_multi_job_invoice, customer.id, jobs)
    window = CustomerDialog(ctx, customer.id)
    show(qtbot, window)
    assert window.credits_card.isVisibleTo(window)
    assert shown(window.credits.table) == []
    assert window.balance_label.text() == "Open balance $1,500.00"

    qtbot.mouseClick(window.new_credit_button, Qt.MouseButton.LeftButton)
    dialog = window.last_credit_dialog
    assert isinstance(dialog, CreditMemoDialog)
    activate(qtbot, dialog)
    assert dialog.job.currentData() is None  # the customer itself
    qtbot.mouseClick(dialog.lines.add_button, Qt.MouseButton.LeftButton)
    labor = next(item for item in dialog.lines._items.values() if item.name == "Labor hour")
    dialog.lines.choose_item(0, labor.id)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # saves and closes
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked
    assert not dialog.isVisible()

    today = f"{date.today():%m/%d/%Y}"
    assert shown(window.credits.table) == [["CM-1001", today, "—", "Refund", "$85.00", "$85.00", "Open"]]
    assert not window.open_credit_button.isEnabled()  # nothing chosen yet

    # Double-click: the same credit memo, to apply what is left of it.
    double_click_row(qtbot, window.credits.table, 0)
    reopened = window.last_credit_dialog
    assert isinstance(reopened, CreditMemoDialog) and reopened is not dialog
    activate(qtbot, reopened)
    assert reopened.record.number == "CM-1001"
    assert reopened.table.item(0, NUMBER).data(Qt.ItemDataRole.UserRole) == invoice.id
    edit_cell(qtbot, reopened.table, 0, APPLY, "50.00")
    qtbot.mouseClick(reopened.save_button, Qt.MouseButton.LeftButton)
    assert not [a for a in prompts.asked if a.kind == "error"], prompts.asked
    assert shown(window.credits.table) == [["CM-1001", today, "—", "Refund", "$85.00", "$35.00", "Open"]]
    assert window.balance_label.text() == "Open balance $1,450.00"
    assert window.invoices.rows[0].balance == Decimal("1450.00")

    # Open credit: void it; the list says so and the invoice owes the $50.00 again.
    click_row(qtbot, window.credits.table, 0)
    qtbot.mouseClick(window.open_credit_button, Qt.MouseButton.LeftButton)
    third = window.last_credit_dialog
    assert isinstance(third, CreditMemoDialog) and third is not reopened
    activate(qtbot, third)
    prompts.queue("Entered twice")
    qtbot.mouseClick(third.void_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(third.cancel_button, Qt.MouseButton.LeftButton)
    assert not third.isVisible()
    assert shown(window.credits.table) == [["CM-1001", today, "—", "Refund", "$85.00", "$0.00", "Void"]]
    assert window.balance_label.text() == "Open balance $1,500.00"


def test_the_list_holds_the_customers_credits_and_its_jobs_and_follows_changes_made_elsewhere(
    qtbot: QtBot, ctx: AppContext
) -> None:
    customer = make_customer(ctx)
    other = make_customer(ctx, "Other Co")
    job = make_job(ctx, customer.id)
    own = customer_credit(ctx, customer.id, None, "40")
    customer_credit(ctx, customer.id, job.id, "60")
    customer_credit(ctx, other.id, None, "70")  # another customer's: not listed
    window = CustomerDialog(ctx, customer.id)
    show(qtbot, window)
    assert sorted(shown(window.credits.table)) == [
        ["CM-1001", "03/02/2026", "—", "Discount", "$40.00", "$40.00", "Open"],
        ["CM-1002", "03/02/2026", job.number, "Discount", "$60.00", "$60.00", "Open"],
    ]

    # Voided in another window: this list is read again without closing anything here.
    ctx.write(credit_memos.void_credit_memo, own, "wrong customer", changes=("credit_memo",))
    rows = {row[0]: row for row in shown(window.credits.table)}
    assert rows["CM-1001"][-2:] == ["$0.00", "Void"] and rows["CM-1002"][-1] == "Open"


def test_a_new_customer_has_no_credits_card_until_it_is_saved(qtbot: QtBot, ctx: AppContext) -> None:
    window = CustomerDialog(ctx)
    show(qtbot, window)
    assert not window.credits_card.isVisibleTo(window)
    assert window.new_credit() is None
    assert ctx.read(credit_memo_details.list_credit_memos) == ()
