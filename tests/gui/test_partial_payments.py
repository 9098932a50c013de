"""Partial payments (issue 16, point 5): Pay takes an amount, Receive payment applies oldest
first as the amount is typed and never shows a negative "Unapplied", and a saved payment
reopens showing its invoices and can be changed (its amount and date: test_saved_payment_form.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QTableWidget
from pytestqt.qtbot import QtBot

from desktop_app.services import invoice_queries, invoices, payments
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.pay import PayInvoiceDialog
from desktop_app.ui.dialogs.payment import APPLY, BALANCE, DATE, TOTAL, PaymentDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.job_details import JobDetailsDialog
from desktop_app.ui.views.payments import PaymentsView
from tests.gui.driving import activate, click_row, enter, retype, show
from tests.gui.helpers import make_customer, make_job


def test_pay_takes_an_amount_and_applies_it_to_its_invoice(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx, "Maria Testerson")
    job = make_job(ctx, customer.id, "1000")
    other = ctx.write(invoices.create_invoice, make_job(ctx, customer.id, "80").id)
    invoice = ctx.write(invoices.create_invoice, job.id)
    window = show(qtbot, JobDetailsDialog(ctx, job.id))
    click_row(qtbot, window.invoice_table, 0)
    qtbot.mouseClick(window.invoice_buttons["pay"], Qt.MouseButton.LeftButton)
    pay = window.last_pay_dialog
    activate(qtbot, pay)
    assert isinstance(pay, PayInvoiceDialog)
    assert pay.amount.text() == "1,000.00"  # the balance by default
    retype(qtbot, pay.amount, "400")
    enter(qtbot, pay.amount)
    assert not pay.isVisible()
    assert ctx.read(invoices.get_invoice, invoice.id).balance == Decimal("600.00")
    assert ctx.read(invoices.get_invoice, other.id).balance == Decimal("80.00")  # untouched
    assert window.stats.cards["paid"].value.text() == "$400.00"
    assert "Pay invoice" in window.saved_note.text()

    click_row(qtbot, window.invoice_table, 0)
    qtbot.mouseClick(window.invoice_buttons["pay"], Qt.MouseButton.LeftButton)
    pay = window.last_pay_dialog
    activate(qtbot, pay)
    assert pay.amount.text() == "600.00"
    retype(qtbot, pay.amount, "700")
    qtbot.mouseClick(pay.save_button, Qt.MouseButton.LeftButton)
    assert pay.isVisible()
    assert "balance of $600.00" in pay.errors.message("amount")
    retype(qtbot, pay.amount, "600")
    qtbot.mouseClick(pay.save_button, Qt.MouseButton.LeftButton)
    assert ctx.read(invoices.get_invoice, invoice.id).balance == Decimal("0.00")
    assert [a for a in prompts.asked if a.kind == "error"] == []


def invoices_of(ctx: AppContext, customer_id: int, *amounts: str) -> list[invoices.InvoiceDetail]:
    made = []
    for age, amount in enumerate(amounts):
        job = make_job(ctx, customer_id, amount)
        made.append(ctx.write(invoices.create_invoice, job.id, today=date.today() - timedelta(days=30 - age)))
    return made


def apply_column(table: QTableWidget) -> list[str]:
    return [table.item(row, APPLY).text() for row in range(table.rowCount())]


def test_receive_payment_applies_oldest_first_while_typing(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    customer = make_customer(ctx, "Maria Testerson")
    oldest, newest = invoices_of(ctx, customer.id, "250", "400")
    dialog = show(qtbot, PaymentDialog(ctx))
    retype(qtbot, dialog.customer, "Maria Testerson")
    enter(qtbot, dialog.customer)
    assert dialog.table.rowCount() == 2
    retype(qtbot, dialog.amount, "300")
    assert apply_column(dialog.table) == ["250.00", "50.00"]
    assert dialog.remainder.text() == "Applied $300.00 · Unapplied $0.00"
    qtbot.keyClicks(dialog.amount, "0")  # 3000
    assert apply_column(dialog.table) == ["250.00", "400.00"]
    assert dialog.remainder.text() == "Applied $650.00 · Unapplied $2,350.00"

    retype(qtbot, dialog.amount, "-500")
    assert "more than zero" in dialog.errors.message("amount")
    assert "−" not in dialog.remainder.text() and "-" not in dialog.remainder.text()
    retype(qtbot, dialog.amount, "abc")
    assert "is not an amount" in dialog.errors.message("amount")
    assert apply_column(dialog.table) == ["", ""]

    retype(qtbot, dialog.amount, "500")
    assert dialog.errors.message("amount") == ""
    assert apply_column(dialog.table) == ["250.00", "250.00"]
    enter(qtbot, dialog.amount)
    assert dialog.record is not None
    saved = ctx.read(payments.get_payment, dialog.record.id)
    assert [(a.invoice_id, a.amount) for a in saved.applications] == [
        (oldest.id, Decimal("250.00")),
        (newest.id, Decimal("250.00")),
    ]
    assert "Saved" in dialog.saved_note.text()
    assert prompts.asked == []


def test_more_applied_than_received_is_said_not_shown_negative(qtbot: QtBot, ctx: AppContext) -> None:
    customer = make_customer(ctx, "Maria Testerson")
    invoices_of(ctx, customer.id, "250", "400")
    dialog = show(qtbot, PaymentDialog(ctx))
    retype(qtbot, dialog.customer, "Maria Testerson")
    enter(qtbot, dialog.customer)
    retype(qtbot, dialog.amount, "100")
    edit_cell(qtbot, dialog.table, 1, "400")  # by hand: kept as typed from now on
    assert apply_column(dialog.table) == ["100.00", "400"]
    assert "Unapplied" not in dialog.remainder.text()
    assert "$500.00 is applied but only $100.00 was received" in dialog.apply_error.text()
    retype(qtbot, dialog.amount, "500")
    assert apply_column(dialog.table) == ["100.00", "400"]  # typing the amount did not undo the hand edit
    assert dialog.remainder.text() == "Applied $500.00 · Unapplied $0.00"
    assert dialog.apply_error.isHidden()


def edit_cell(qtbot: QtBot, table: QTableWidget, row: int, text: str) -> None:
    rect = table.visualItemRect(table.item(row, APPLY))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(table, Qt.Key.Key_F2)  # edit the cell
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and table.isAncestorOf(editor)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)


def test_a_saved_payment_reopens_filled_and_its_applications_can_change(
    qtbot: QtBot, ctx: AppContext
) -> None:
    customer = make_customer(ctx, "Maria Testerson")
    oldest, newest = invoices_of(ctx, customer.id, "250", "400")
    payment = ctx.write(
        payments.record_payment, customer.id, "300", "check", date.today(), "CHK 9", "", [(oldest.id, "250")]
    )
    view = PaymentsView(ctx)
    show(qtbot, view)
    view.start()
    qtbot.waitUntil(lambda: view.model.total == 1)
    dialog = view.open_payment(payment.id)
    activate(qtbot, dialog)
    table = dialog.table
    assert table.rowCount() == 2
    first = [table.item(0, column).text() for column in (DATE, TOTAL, BALANCE, APPLY)]
    assert first == [f"{oldest.invoice_date:%m/%d/%Y}", "$250.00", "$0.00", "250.00"]
    second = [table.item(1, column).text() for column in (DATE, TOTAL, BALANCE, APPLY)]
    assert second == [f"{newest.invoice_date:%m/%d/%Y}", "$400.00", "$400.00", ""]
    assert dialog.save_button.isVisible()
    assert dialog.amount.isEnabled()  # what was received changes too (test_saved_payment_form.py)
    assert dialog.remainder.text() == "Applied $250.00 · Unapplied $50.00"

    edit_cell(qtbot, table, 0, "200")
    edit_cell(qtbot, table, 1, "100")
    assert dialog.remainder.text() == "Applied $300.00 · Unapplied $0.00"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = ctx.read(payments.get_payment, payment.id)
    assert {a.invoice_id: a.amount for a in saved.applications} == {
        oldest.id: Decimal("200.00"),
        newest.id: Decimal("100.00"),
    }
    assert ctx.read(invoice_queries.job_invoicing_summary, newest.job_id).paid == Decimal("100.00")
