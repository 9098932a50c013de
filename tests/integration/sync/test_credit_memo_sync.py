"""Credit memos through the sync: a new kind added as one registry module (plus its builders,
model and screen), with no edit to the planner, the answer handling or the queue service."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.errors import InvalidTransition
from desktop_app.services import (
    credit_applications,
    credit_memo_details,
    credit_memos,
    invoices,
    settings,
    sync_queue,
)
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from tests.integration.sync.conftest import FINISHED, Office


def _credit(office: Office, customer_id: int, job_id: int, item_id: int, amount: str = "85") -> int:
    with office.db.uow() as uow:
        credit = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="warranty",
                lines=(LineInput(quantity="1", item_id=item_id, rate=amount),),
                memo="Warranty: one hour back",
            ),
        )
        uow.commit()
    return credit.id


def _apply(office: Office, credit_id: int, invoice_id: int, amount: str) -> None:
    with office.db.uow() as uow:
        credit_applications.apply_credit(uow, credit_id, [(invoice_id, amount)])
        uow.commit()


def _credit_in_quickbooks(office: Office, number: str) -> q.Record:
    (result,) = office.qb_send(q.credit_memo_query("c", ref_numbers=[number])).values()
    (found,) = result.records
    return found


def _invoice_in_quickbooks(office: Office, txn_id: str) -> q.Record:
    (result,) = office.qb_send(q.txn_query("InvoiceQueryRq", "i", txn_ids=[txn_id])).values()
    (found,) = result.records
    return found


def test_a_credit_applied_to_an_invoice_reaches_quickbooks_and_lowers_its_balance(
    office: Office,
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    assert office.alerts() == []
    credit_link = office.link("credit_memo", credit_id)
    applied_link = office.link("credit_application", credit_id)
    assert credit_link is not None and applied_link is not None
    with office.db.reader() as uow:
        credit = credit_memo_details.get_credit_memo(uow, credit_id)
    theirs = _credit_in_quickbooks(office, credit.number)
    assert theirs.total_amount == credit.total == Decimal("85.00")
    assert theirs.decimal("CreditRemaining") == Decimal("35.00")
    invoice_link = office.link("invoice", invoice_id)
    assert invoice_link is not None
    qb_invoice = _invoice_in_quickbooks(office, invoice_link.qb_id)
    before = qb_invoice.subtotal + (qb_invoice.decimal("SalesTaxTotal") or Decimal(0))  # type: ignore[operator]
    assert qb_invoice.balance_remaining == before - Decimal("50.00")
    # Nothing more to send: a second session opens for nothing.
    assert office.engine._anything_sendable() is False


def test_a_voided_credit_memo_is_voided_in_quickbooks(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Novak, Eva")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    with office.db.uow() as uow:
        number = credit_memos.void_credit_memo(uow, credit_id, reason="Entered twice").number
        uow.commit()
    office.sync()
    assert _credit_in_quickbooks(office, number).total_amount == Decimal("0.00")
    (void,) = [i for i in office.items_of("credit_memo", credit_id) if i.action == "void"]
    assert void.state == QueueState.DONE


def _owed_in_quickbooks(office: Office, invoice_id: int) -> tuple[Decimal, Decimal]:
    """(total, balance) of our invoice as QuickBooks has it."""
    invoice_link = office.link("invoice", invoice_id)
    assert invoice_link is not None
    qb_invoice = _invoice_in_quickbooks(office, invoice_link.qb_id)
    total = qb_invoice.subtotal + (qb_invoice.decimal("SalesTaxTotal") or Decimal(0))  # type: ignore[operator]
    assert qb_invoice.balance_remaining is not None
    return total, qb_invoice.balance_remaining


def _applied_payments(office: Office) -> list[object]:
    return [p for p in office.qb.state.payments.values() if p.credits]


def test_what_is_applied_can_change_after_quickbooks_applied_it(office: Office) -> None:
    customer_id = office.customer("Kim, Hiro")
    job_id = office.finished_job(customer_id, office.labor())
    with office.db.uow() as uow:
        settings.set_setting(uow, "numbering.progress", True)
        first, second = (
            invoices.create_progress_invoice(uow, job_id, percent="40", today=FINISHED).id for _ in range(2)
        )
        for invoice_id in (first, second):
            invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, first, "50.00")
    office.sync()
    payment_link = office.link("credit_application", credit_id)
    assert payment_link is not None
    # Less on the first invoice, and some on a later one: the same $0.00 payment is changed.
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, first, "20.00")
        credit_applications.apply_credit(uow, credit_id, [(second, "25.00")])
        uow.commit()
    office.sync()
    assert office.alerts() == []
    total, balance = _owed_in_quickbooks(office, first)
    assert balance == total - Decimal("30.00")
    total, balance = _owed_in_quickbooks(office, second)
    assert balance == total - Decimal("25.00")
    changed = office.link("credit_application", credit_id)
    assert changed is not None and changed.qb_id == payment_link.qb_id
    assert changed.edit_sequence != payment_link.edit_sequence
    assert len(_applied_payments(office)) == 1
    with office.db.reader() as uow:
        number = credit_memo_details.get_credit_memo(uow, credit_id).number
    assert _credit_in_quickbooks(office, number).decimal("CreditRemaining") == Decimal("30.00")
    # Taken back entirely: the payment that applied it goes, and the invoices owe it all again.
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, first)
        credit_applications.unapply_credit(uow, credit_id, second)
        uow.commit()
    office.sync()
    assert office.alerts() == []
    assert office.link("credit_application", credit_id) is None
    assert _applied_payments(office) == []
    for invoice_id in (first, second):
        total, balance = _owed_in_quickbooks(office, invoice_id)
        assert balance == total
    assert _credit_in_quickbooks(office, number).decimal("CreditRemaining") == Decimal("85.00")
    # And applied again later: a new $0.00 payment.
    _apply(office, credit_id, second, "10.00")
    office.sync()
    assert office.alerts() == []
    assert _owed_in_quickbooks(office, second)[1] == _owed_in_quickbooks(office, second)[0] - Decimal("10.00")
    assert len(_applied_payments(office)) == 1


def test_a_credit_voided_before_its_first_sync_never_reaches_quickbooks_even_when_applied(
    office: Office,
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Roy, Lea")
    credit_id = _credit(office, customer_id, job_id, office.labor(), amount="100")
    _apply(office, credit_id, invoice_id, "100.00")
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Wrong customer")
        uow.commit()
    office.sync()
    assert office.qb.state.credit_memos == {}
    assert _applied_payments(office) == []
    total, balance = _owed_in_quickbooks(office, invoice_id)
    assert balance == total
    assert office.alerts() == []
    assert office.engine._anything_sendable() is False


def test_a_credit_voided_while_quickbooks_adds_it_is_voided_there_next(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    engine, ticket = office.engine, "in-flight"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    assert "CreditMemoAddRq" in message
    with office.db.uow() as uow:
        number = credit_memos.void_credit_memo(uow, credit_id, reason="Not owed").number
        uow.commit()
    engine.apply_response(ticket, office.qb.process(message))
    engine.end_session(ticket)
    office.sync()
    assert office.alerts() == []
    assert _credit_in_quickbooks(office, number).total_amount == Decimal("0.00")


def test_a_credit_memo_cannot_be_edited_while_quickbooks_adds_it(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Ng, Tam")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    engine, ticket = office.engine, "in-flight"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    assert "CreditMemoAddRq" in message
    with office.db.uow() as uow:
        detail = credit_memo_details.get_credit_memo(uow, credit_id)
        edited = credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="warranty",
            lines=(LineInput(quantity="1", item_id=office.labor(), rate="60"),),
            memo="Edited while sent",
        )
        with pytest.raises(InvalidTransition, match="being sent to QuickBooks"):
            credit_memos.update_credit_memo(uow, credit_id, detail.version, edited)
        uow.rollback()
    engine.apply_response(ticket, office.qb.process(message))
    engine.end_session(ticket)
    with office.db.reader() as uow:
        detail = credit_memo_details.get_credit_memo(uow, credit_id)
    assert detail.total == _credit_in_quickbooks(office, detail.number).total_amount == Decimal("85.00")


def test_voiding_a_credit_memo_deleted_in_quickbooks_finishes_without_adding_it_back(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Diaz, Rosa")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    link = office.link("credit_memo", credit_id)
    assert link is not None
    del office.qb.state.credit_memos[link.qb_id]  # someone deleted it in QuickBooks
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()
    office.sync()
    assert office.alerts() == []
    (void,) = [i for i in office.items_of("credit_memo", credit_id) if i.action == "void"]
    assert void.state == QueueState.DONE and "nothing there to void" in void.note
    assert office.link("credit_memo", credit_id) is None
    assert office.qb.state.credit_memos == {}


def test_send_to_quickbooks_passes_over_a_credit_memo_voided_before_it_was_ever_sent(
    office: Office,
) -> None:
    customer_id, job_id, _invoice_id = office.invoiced_job()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Entered twice")
        queued = sync_queue.send_records(uow, [("credit_memo", credit_id)])
        uow.commit()
    # The kind says what "Send to QuickBooks" passes over; the queue service asks it.
    assert queued == 0
    assert [i for i in office.items_of("credit_memo", credit_id) if i.state != QueueState.CANCELLED] == []
    office.sync()
    assert office.qb.state.credit_memos == {}
    assert len(office.qb.invoices) == 1  # the invoice went; the void credit did not
