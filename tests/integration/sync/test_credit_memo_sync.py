"""Credit memos through the sync: a new kind added as one registry module (plus its builders,
model and screen). The planner, the answer handling and the queue service know it only through
the registry; the hooks it needed there are a kind's, any kind may use them (``goes_after``:
a change that waits for another record's; ``added_again_when_gone``)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.errors import ValidationError
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
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
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


def _edit(
    office: Office, credit_id: int, lines: tuple[tuple[str, str], ...], memo: str = ""
) -> credit_memo_details.CreditMemoDetail:
    """Change the credit memo's lines (labor: quantity, rate each) and memo, as an admin would."""
    with office.db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        edited = credit_memos.update_credit_memo(
            uow,
            credit_id,
            current.version,
            credit_memos.CreditMemoFields(
                customer_id=current.customer_id,
                job_id=current.job_id,
                reason="warranty",
                lines=tuple(
                    LineInput(quantity=quantity, item_id=office.labor(), rate=rate)
                    for quantity, rate in lines
                ),
                memo=memo,
            ),
        )
        uow.commit()
    return edited


class _Recorder:
    """The simulated QuickBooks, keeping every message JobDesk sent it."""

    def __init__(self, office: Office) -> None:
        self.qb = office.qb
        self.messages: list[str] = []

    def process(self, request_xml: str) -> str:
        self.messages.append(request_xml)
        return self.qb.process(request_xml)

    def count(self, tag: str) -> int:
        return sum(message.count(f"<{tag} ") + message.count(f"<{tag}>") for message in self.messages)


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


def _adding(office: Office) -> tuple[SyncEngine, str, str]:
    """A session whose first message, out with QuickBooks now, adds the credit memo."""
    engine, ticket = office.engine, "in-flight"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    assert "CreditMemoAddRq" in message
    return engine, ticket, message


def test_a_credit_voided_while_quickbooks_adds_it_is_voided_there_next(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    engine, ticket, message = _adding(office)
    with office.db.uow() as uow:
        number = credit_memos.void_credit_memo(uow, credit_id, reason="Not owed").number
        uow.commit()
    engine.apply_response(ticket, office.qb.process(message))
    engine.end_session(ticket)
    office.sync()
    assert office.alerts() == []
    assert _credit_in_quickbooks(office, number).total_amount == Decimal("0.00")


def test_an_edit_made_while_quickbooks_adds_it_goes_as_a_mod_after_the_answer(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Ng, Tam")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    engine, ticket, message = _adding(office)
    # QuickBooks is adding it: the edit is saved here (no refusal) and waits for the answer.
    _edit(office, credit_id, (("1", "60"),), memo="Edited while sent")
    engine.apply_response(ticket, office.qb.process(message))
    engine.end_session(ticket)
    link = office.link("credit_memo", credit_id)
    assert link is not None
    added = office.qb.state.credit_memos[link.qb_id]
    assert added.total == Decimal("85.00")  # what the Add carried
    sent = _Recorder(office)
    run_session(office.engine, sent)
    assert sent.count("CreditMemoModRq") == 1 and sent.count("CreditMemoAddRq") == 0
    assert office.alerts() == []
    with office.db.reader() as uow:
        detail = credit_memo_details.get_credit_memo(uow, credit_id)
    theirs = _credit_in_quickbooks(office, detail.number)
    assert detail.total == theirs.total_amount == Decimal("60.00")
    assert theirs.get("Memo") == "Edited while sent" and theirs.txn_id == link.qb_id
    assert len(office.qb.state.credit_memos) == 1
    assert office.engine._anything_sendable() is False


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


def _lines_in_quickbooks(office: Office, credit_id: int) -> list[Decimal | None]:
    link = office.link("credit_memo", credit_id)
    assert link is not None
    query = q.credit_memo_query("c", txn_ids=[link.qb_id], include_line_items=True)
    (result,) = office.qb_send(query).values()
    assert result.record is not None
    return [line.amount for line in q.read_credit_memo(result.record).lines]


def test_an_edit_after_sync_reaches_quickbooks_as_one_mod(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Wu, Mei")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    before = office.link("credit_memo", credit_id)
    assert before is not None and "Fingerprint" in json.loads(before.synced_values or "{}")
    edited = _edit(office, credit_id, (("1", "60"), ("2", "20")), memo="Two visits back")
    sent = _Recorder(office)
    run_session(office.engine, sent)
    assert office.alerts() == []
    # One Mod, the same credit memo: no second Add, and the $0.00 payment that applies it is untouched.
    assert sent.count("CreditMemoModRq") == 1
    assert sent.count("CreditMemoAddRq") == sent.count("ReceivePaymentModRq") == 0
    assert "<TxnLineID>-1</TxnLineID>" in "".join(sent.messages)
    theirs = _credit_in_quickbooks(office, edited.number)
    assert theirs.total_amount == edited.total == Decimal("100.00")
    assert theirs.get("Memo") == "Two visits back" and theirs.txn_id == before.qb_id
    assert theirs.decimal("CreditRemaining") == Decimal("50.00")  # the $50.00 applied stays applied
    assert _lines_in_quickbooks(office, credit_id) == [Decimal("60.00"), Decimal("40.00")]
    after = office.link("credit_memo", credit_id)
    assert after is not None and after.edit_sequence == theirs.edit_sequence != before.edit_sequence
    assert office.engine._anything_sendable() is False
    # A memo emptied here is emptied in QuickBooks too.
    _edit(office, credit_id, (("1", "60"), ("2", "20")))
    office.sync()
    assert office.alerts() == []
    assert _credit_in_quickbooks(office, edited.number).get("Memo") is None


def test_applying_or_unapplying_after_sync_sends_no_credit_memo_mod(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Hale, Jo")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    link = office.link("credit_memo", credit_id)
    assert link is not None
    sent = _Recorder(office)
    _apply(office, credit_id, invoice_id, "50.00")
    run_session(office.engine, sent)
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "20.00")
        uow.commit()
    run_session(office.engine, sent)
    assert office.alerts() == []
    assert sent.count("ReceivePaymentAddRq") == 1 and sent.count("ReceivePaymentModRq") == 1
    assert sent.count("CreditMemoModRq") == 0
    # The credit memo's own upsert was queued each time, and found nothing to send.
    upserts = [i for i in office.items_of("credit_memo", credit_id) if i.action == "upsert"]
    assert len(upserts) == 3 and all(i.state == QueueState.DONE for i in upserts)
    unchanged = office.link("credit_memo", credit_id)
    assert unchanged is not None and unchanged.edit_sequence == link.edit_sequence
    assert _owed_in_quickbooks(office, invoice_id)[1] == _owed_in_quickbooks(office, invoice_id)[0] - Decimal(
        "30.00"
    )


def test_a_credit_memo_changed_in_quickbooks_meanwhile_is_read_again_and_the_mod_goes_again(
    office: Office,
) -> None:
    customer_id, job_id, _ = office.invoiced_job("Orr, Kai")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    link = office.link("credit_memo", credit_id)
    assert link is not None
    theirs = office.qb.state.credit_memos[link.qb_id]
    theirs.edit_sequence = "1999"  # someone changed it in QuickBooks since JobDesk last saw it
    edited = _edit(office, credit_id, (("1", "70"),), memo="After a second look")
    sent = _Recorder(office)
    run_session(office.engine, sent)
    assert office.alerts() == []
    # Refused as stale (3200), read again, then sent again with QuickBooks' EditSequence.
    assert sent.count("CreditMemoModRq") == 2 and sent.count("CreditMemoQueryRq") >= 1
    assert "<EditSequence>1999</EditSequence>" in "".join(sent.messages)
    found = _credit_in_quickbooks(office, edited.number)
    assert found.total_amount == Decimal("70.00") and found.get("Memo") == "After a second look"
    after = office.link("credit_memo", credit_id)
    assert after is not None and after.edit_sequence == found.edit_sequence


def test_editing_below_what_is_applied_is_refused_and_nothing_goes(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    with pytest.raises(ValidationError, match=r"\$50.00 of this credit is applied"):
        _edit(office, credit_id, (("1", "40"),))
    assert office.engine._anything_sendable() is False
    with office.db.reader() as uow:
        number = credit_memo_details.get_credit_memo(uow, credit_id).number
    assert _credit_in_quickbooks(office, number).total_amount == Decimal("85.00")


def test_a_link_made_before_fingerprints_sends_its_next_change_once_then_compares(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Fox, Ida")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    with office.db.uow() as uow:
        link = uow.session.scalar(
            select(QbLink).where(QbLink.entity_type == "credit_memo", QbLink.entity_id == credit_id)
        )
        assert link is not None
        old = json.loads(link.synced_values or "{}")
        link.synced_values = json.dumps({"Total": old["Total"], "RefNumber": old["RefNumber"]})
        uow.commit()
    # An edit of the memo alone (total and number as before) still reaches QuickBooks.
    with office.db.uow() as uow:
        detail = credit_memo_details.get_credit_memo(uow, credit_id)
        credit_memos.update_credit_memo(
            uow,
            credit_id,
            detail.version,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason=detail.reason,
                lines=tuple(
                    LineInput(quantity=str(line.quantity), item_id=line.item_id, rate=str(line.rate))
                    for line in detail.lines
                ),
                memo="Only the memo changed",
            ),
        )
        uow.commit()
    sent = _Recorder(office)
    run_session(office.engine, sent)
    assert sent.count("CreditMemoModRq") == 1 and office.alerts() == []
    assert _credit_in_quickbooks(office, detail.number).get("Memo") == "Only the memo changed"
    after = office.link("credit_memo", credit_id)
    assert after is not None and "Fingerprint" in json.loads(after.synced_values or "{}")
    # From then on it is compared: applying it sends no Mod of the credit memo.
    _apply(office, credit_id, invoice_id, "10.00")
    run_session(office.engine, sent)
    assert sent.count("CreditMemoModRq") == 1 and sent.count("ReceivePaymentAddRq") == 1


def test_a_mod_whose_total_quickbooks_works_out_otherwise_raises_an_alert(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Vale, Ro")
    paint = office.item("Paint", "40", taxable=True)
    with office.db.uow() as uow:
        credit_id = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="refund",
                lines=(LineInput(quantity="1", item_id=paint),),
            ),
        ).id
        uow.commit()
    office.sync()
    assert office.alerts() == []
    state_tax = office.qb.find_list("ItemSalesTax", "State Tax")
    assert state_tax is not None
    state_tax.data["TaxRate"] = "10"  # someone changed the rate in QuickBooks
    with office.db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        edited = credit_memos.update_credit_memo(
            uow,
            credit_id,
            current.version,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="refund",
                lines=(LineInput(quantity="2", item_id=paint),),
            ),
        )
        uow.commit()
    assert edited.total == Decimal("86.60")  # 80.00 + 8.25 %
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "total_mismatch" and "$88.00" in alert.message and "$86.60" in alert.message
    assert _credit_in_quickbooks(office, edited.number).total_amount == Decimal("88.00")
