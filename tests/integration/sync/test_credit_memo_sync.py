"""Credit memos through the sync: a new kind added as one registry module (plus its builders,
model and screen), with no edit to the planner, the answer handling or the queue service."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.services import credit_applications, credit_memo_details, credit_memos, sync_queue
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from tests.integration.sync.conftest import Office


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


def test_a_change_of_what_is_applied_after_quickbooks_applied_it_is_explained(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Kim, Hiro")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "20.00")
        uow.commit()
    office.sync()
    (alert,) = office.alerts()
    assert "Receive Payments" in alert.message and "cannot change" in alert.message
    invoice_link = office.link("invoice", invoice_id)
    assert invoice_link is not None
    qb_invoice = _invoice_in_quickbooks(office, invoice_link.qb_id)
    total = qb_invoice.subtotal + (qb_invoice.decimal("SalesTaxTotal") or Decimal(0))  # type: ignore[operator]
    assert qb_invoice.balance_remaining == total - Decimal("50.00")  # nothing sent half-right


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
