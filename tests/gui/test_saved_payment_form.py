"""A saved payment reopens in a form that edits it (issue 16, point 5): its amount, date,
method, reference and memo are typed over and saved with what it pays; an amount below what
it pays is refused at the field; read-only fields say why."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.db.models import Payment, QbLink
from desktop_app.services import invoices, payments
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.payment import PaymentDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.payments import PaymentsView
from tests.conftest import OFFICE
from tests.gui.driving import activate, leave, retype, show
from tests.gui.helpers import make_customer, make_job
from tests.gui.test_partial_payments import apply_column, edit_cell

EARLIER = date.today() - timedelta(days=10)


def _saved_payment(ctx: AppContext) -> tuple[PaymentsView, payments.PaymentDetail, list[int]]:
    """A $300 check: $250 of it on the older of two invoices ($250 and $400)."""
    customer = make_customer(ctx, "Maria Testerson")
    made = []
    for age, amount in enumerate(("250", "400")):
        job = make_job(ctx, customer.id, amount)
        made.append(
            ctx.write(invoices.create_invoice, job.id, today=date.today() - timedelta(days=30 - age)).id
        )
    payment = ctx.write(
        payments.record_payment, customer.id, "300", "check", date.today(), "CHK 9", "", [(made[0], "250")]
    )
    return PaymentsView(ctx), payment, made


def _open(qtbot: QtBot, view: PaymentsView, payment_id: int) -> PaymentDialog:
    dialog = view.open_payment(payment_id)
    activate(qtbot, dialog)
    assert isinstance(dialog, PaymentDialog)
    return dialog


def _start(qtbot: QtBot, view: PaymentsView) -> None:
    show(qtbot, view)
    view.start()
    qtbot.waitUntil(lambda: view.model.total == 1)


def test_amount_and_date_are_typed_over_saved_and_reopen_changed(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    view, payment, _ = _saved_payment(ctx)
    _start(qtbot, view)
    dialog = _open(qtbot, view, payment.id)
    assert dialog.amount.isEnabled() and dialog.received_on.isEnabled() and dialog.memo.isEnabled()
    assert dialog.locked_note.isHidden()
    assert dialog.remainder.text() == "Applied $250.00 · Unapplied $50.00"

    retype(qtbot, dialog.amount, "450")
    assert dialog.remainder.text() == "Applied $250.00 · Unapplied $200.00"  # as it is typed
    assert dialog.errors.message("amount") == ""
    retype(qtbot, dialog.received_on, f"{EARLIER:%m/%d/%Y}")
    leave(qtbot, dialog.received_on)
    retype(qtbot, dialog.reference, "CHK 10")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert prompts.texts("error") == []

    saved = ctx.read(payments.get_payment, payment.id)
    assert (saved.amount, saved.received_on, saved.reference) == (Decimal("450.00"), EARLIER, "CHK 10")
    assert [(a.amount) for a in saved.applications] == [Decimal("250.00")]  # what it pays is untouched
    again = _open(qtbot, view, payment.id)
    assert again.amount.text() == "450.00"
    assert again.received_on.text() == f"{EARLIER:%m/%d/%Y}"
    assert again.reference.text() == "CHK 10"
    assert again.remainder.text() == "Applied $250.00 · Unapplied $200.00"
    assert "$450.00 received" in again.subtitle_label.text()


def test_an_amount_below_what_it_pays_is_refused_at_the_field(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    view, payment, _ = _saved_payment(ctx)
    _start(qtbot, view)
    dialog = _open(qtbot, view, payment.id)
    retype(qtbot, dialog.amount, "200")
    said = dialog.errors.message("amount")
    assert "$250.00 of this payment is applied below" in said and "Take $50.00 off" in said
    assert "Unapplied" not in dialog.remainder.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # refused: nothing saved, the window stays
    assert "$250.00 of this payment is applied below" in dialog.errors.message("amount")
    assert ctx.read(payments.get_payment, payment.id).amount == Decimal("300.00")
    assert prompts.texts("error") == []

    # Taking $50 off what it pays makes the lower amount fine; both are saved together.
    edit_cell(qtbot, dialog.table, 0, "200")
    assert dialog.errors.message("amount") == ""
    assert dialog.remainder.text() == "Applied $200.00 · Unapplied $0.00"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    saved = ctx.read(payments.get_payment, payment.id)
    assert (saved.amount, saved.applied, saved.unapplied) == (
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("0"),
    )


def test_a_higher_amount_and_what_it_lets_the_payment_pay_save_together(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    view, payment, made = _saved_payment(ctx)
    _start(qtbot, view)
    dialog = _open(qtbot, view, payment.id)
    retype(qtbot, dialog.amount, "650")
    edit_cell(qtbot, dialog.table, 1, "400")
    assert apply_column(dialog.table) == ["250.00", "400"]
    assert dialog.remainder.text() == "Applied $650.00 · Unapplied $0.00"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and prompts.texts("error") == []
    saved = ctx.read(payments.get_payment, payment.id)
    assert saved.amount == Decimal("650.00")
    assert {a.invoice_id: a.amount for a in saved.applications} == {
        made[0]: Decimal("250.00"),
        made[1]: Decimal("400.00"),
    }
    assert ctx.read(invoices.get_invoice, made[1]).balance == Decimal("0.00")


def test_another_users_edit_meanwhile_is_a_conflict_not_overwritten(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    view, payment, _ = _saved_payment(ctx)
    _start(qtbot, view)
    dialog = _open(qtbot, view, payment.id)
    ctx.write(
        payments.update_payment,
        payment.id,
        payment.version,
        amount="300",
        received_on=payment.received_on,
        method="check",
        reference="CHK 9",
        memo="their memo",
    )
    retype(qtbot, dialog.amount, "500")
    prompts.queue("Reload")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [a.title for a in prompts.asked] == ["Changed by someone else"]
    saved = ctx.read(payments.get_payment, payment.id)
    assert (saved.amount, saved.memo) == (Decimal("300.00"), "their memo")
    assert dialog.memo.text() == "their memo" and dialog.amount.text() == "300.00"  # reloaded


def _link(ctx: AppContext, payment_id: int, *, origin: str = "app") -> None:
    with ctx.db.uow() as uow:
        uow.session.add(QbLink(entity_type="payment", entity_id=payment_id, qb_id=f"TXN-P{payment_id}"))
        record = uow.session.get(Payment, payment_id)
        assert record is not None
        record.origin = origin
        uow.commit()


def test_a_payment_in_quickbooks_is_read_only_to_office_users_and_says_why(
    qtbot: QtBot, ctx: AppContext
) -> None:
    view, payment, _ = _saved_payment(ctx)
    _link(ctx, payment.id)
    _start(qtbot, view)
    as_admin = _open(qtbot, view, payment.id)
    assert as_admin.amount.isEnabled() and as_admin.locked_note.isHidden()
    as_admin.close()

    ctx.actor = OFFICE
    dialog = _open(qtbot, view, payment.id)
    fields = (dialog.amount, dialog.method, dialog.received_on, dialog.reference, dialog.memo)
    assert not any(w.isEnabled() for w in fields)
    assert dialog.locked_note.isVisible()
    assert "already in QuickBooks: only an admin can change" in dialog.locked_note.text()


def test_a_payment_entered_in_quickbooks_says_to_change_it_there(qtbot: QtBot, ctx: AppContext) -> None:
    view, payment, _ = _saved_payment(ctx)
    _link(ctx, payment.id, origin="quickbooks")
    _start(qtbot, view)
    dialog = _open(qtbot, view, payment.id)
    assert not dialog.amount.isEnabled() and not dialog.received_on.isEnabled()
    assert "entered in QuickBooks" in dialog.locked_note.text() and dialog.locked_note.isVisible()


def test_an_impossible_date_is_refused_at_the_field_and_nothing_is_saved(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    view, payment, _ = _saved_payment(ctx)
    _start(qtbot, view)
    ctx.actor = OFFICE  # not in QuickBooks: an office user changes it
    dialog = _open(qtbot, view, payment.id)
    assert dialog.received_on.isEnabled() and dialog.locked_note.isHidden()
    retype(qtbot, dialog.amount, "350")
    retype(qtbot, dialog.received_on, "02/31/2026")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "February 2026 has 28 days" in dialog.errors.message("received_on")
    assert dialog.received_on.text() == "02/31/2026"  # never silently another date
    saved = ctx.read(payments.get_payment, payment.id)
    assert (saved.amount, saved.received_on) == (Decimal("300.00"), payment.received_on)
    assert prompts.texts("error") == []
