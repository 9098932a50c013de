"""Payments and credits applied in QuickBooks, as they change here.

QuickBooks applies a credit only up to what the invoice still owes there: a payment's
change (deleted, or unapplied) must reach it first, whatever reached QuickBooks before.
A payment (or the $0.00 payment applying a credit) whose answer was lost is looked up by
its marker on the days it may carry there, also when its date changed here since.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import update

from desktop_app.db.models import Invoice, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor
from desktop_app.services import (
    credit_applications,
    credit_memo_details,
    credit_memos,
    invoice_edits,
    payments,
)
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from qbwc_server.qbxml.parse import to_record
from qbwc_server.simulator.company import ResponseLostError
from qbwc_server.sync.kinds.invoice import applied_in_quickbooks, total_problems
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office
from tests.integration.sync.test_credit_memo_sync import _apply, _credit


@pytest.mark.parametrize("credit_first", [False, True], ids=["credit new", "credit in QuickBooks"])
@pytest.mark.parametrize("how", ["deleted", "unapplied"])
def test_a_credit_takes_the_place_of_a_payment_taken_off_the_invoice(
    office: Office, how: str, credit_first: bool
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "850.00", "check", FINISHED, applications=[(invoice_id, "850.00")]
        )
        uow.commit()
    credit_id = _credit(office, customer_id, job_id, office.labor(), "850") if credit_first else 0
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        if how == "deleted":
            payments.delete_payment(uow, payment.id)
        else:
            payments.unapply_payment(uow, payment.id, invoice_id)
        uow.commit()
    if not credit_first:
        credit_id = _credit(office, customer_id, job_id, office.labor(), "850")
    _apply(office, credit_id, invoice_id, "850.00")
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert office.qb.invoice_balance(invoice) == Decimal("0.00")
    # The payment applies nothing any more; only the $0.00 payment setting the credit is there.
    assert [a.amount for p in office.qb.payments if not p.credits for a in p.applications] == []
    assert [c.amount for p in office.qb.payments for c in p.credits] == [Decimal("850.00")]


@pytest.mark.parametrize("lost", [1, 2], ids=["answer lost", "lookup's answer lost too"])
def test_a_payment_dated_anew_after_its_answer_was_lost_is_found_not_added_twice(
    office: Office, lost: int
) -> None:
    customer_id, _, invoice_id = office.invoiced_job("Date, Del")
    assert office.sync().percent == 100  # the invoice is in QuickBooks: the payment goes alone
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "100.00", "check", FINISHED, applications=[(invoice_id, "100.00")]
        )
        uow.commit()
    office.qb.lose_next_response()  # QuickBooks saved it; the answer never came
    office.sync()
    for _more in range(lost - 1):
        office.qb.lose_next_response()  # the lookup after it is lost as well
        office.sync()
    with office.db.uow() as uow:
        payments.update_payment(
            uow,
            payment.id,
            payments.get_payment(uow, payment.id).version,
            amount="100.00",
            received_on=FINISHED + timedelta(days=9),
            method="check",
            reference="",
            memo="",
        )
        uow.commit()
    assert office.sync().percent == 100
    assert len(office.qb.payments) == 1
    (qb_payment,) = office.qb.payments
    assert qb_payment.txn_date == FINISHED + timedelta(days=9)  # the change went after it was found
    assert office.alerts() == []


def test_a_credit_dated_anew_after_its_application_answer_was_lost_is_applied_once(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Date, Dot")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "100")
    assert office.sync().percent == 100
    _apply(office, credit_id, invoice_id, "40.00")
    office.qb.lose_next_response()
    office.sync()
    with office.db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        credit_memos.update_credit_memo(
            uow,
            credit_id,
            current.version,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="warranty",
                credit_date=FINISHED + timedelta(days=7),
                lines=(LineInput(quantity="1", item_id=office.labor(), rate="100"),),
            ),
        )
        uow.commit()
    assert office.sync().percent == 100
    applied = [c.amount for p in office.qb.payments for c in p.credits]
    assert applied == [Decimal("40.00")]
    assert office.alerts() == []


def test_a_credit_is_voided_only_once_the_payment_applying_it_is_deleted(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Void, Vic")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "100")
    _apply(office, credit_id, invoice_id, "60.00")
    assert office.sync().percent == 100
    applying = office.link("credit_application", credit_id)
    assert applying is not None
    office.qb.inject_lock(3175, ref=applying.qb_id)  # its deletion is refused once
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        credit_memos.void_credit_memo(uow, credit_id, "entered twice")
        uow.commit()
    office.sync()
    (void,) = [i for i in office.items_of("credit_memo", credit_id) if i.action == "void"]
    assert void.state == QueueState.QUEUED and "Credit memo" in void.note  # waits for the deletion
    assert [p.total for p in office.qb.payments if p.credits] == [Decimal("0.00")]
    with office.db.uow() as uow:  # the retry time has come
        uow.session.execute(update(SyncItem).values(next_attempt_at=None))
        uow.commit()
    assert office.sync().percent == 100
    assert [p for p in office.qb.payments if p.credits] == []
    (credit,) = office.qb.state.credit_memos.values()
    assert credit.total == Decimal("0.00")  # voided, after the payment went
    assert office.alerts() == []


def test_a_credit_quickbooks_refuses_says_what_to_do_about_it(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Over, Otto")  # 850.00
    credit_id = _credit(office, customer_id, job_id, office.labor(), "850")
    assert office.sync().percent == 100
    _apply(office, credit_id, invoice_id, "850.00")
    (qb_invoice,) = office.qb.invoices
    office.qb_send(  # meanwhile someone records a payment of it in QuickBooks itself
        q.receive_payment_add(
            "p",
            q.PaymentFields(
                customer=q.Ref.by_id(qb_invoice.customer_id),
                txn_date=FINISHED,
                total_amount=Decimal("500.00"),
                applications=(q.AppliedPayment(qb_invoice.txn_id, Decimal("500.00")),),
            ),
        )
    )
    office.sync()
    (alert,) = office.alerts()
    assert alert.status_code == 3210
    assert "no more of credit memo CM-" in alert.message
    assert "Unapply or lower the credit here (or the payment in QuickBooks), then retry." in alert.message


def _paid(office: Office, customer_id: int, *applied: tuple[int, str]) -> int:
    total = sum((Decimal(amount) for _invoice, amount in applied), Decimal(0))
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, str(total), "check", FINISHED, applications=applied
        )
        uow.commit()
    return payment.id


def _applied_in_quickbooks(office: Office) -> list[Decimal]:
    return sorted(a.amount for p in office.qb.payments if not p.credits for a in p.applications)


def test_a_payment_moved_to_another_jobs_invoice_moves_in_quickbooks(office: Office) -> None:
    customer_id, _, first = office.invoiced_job("Move, Mo")
    second = office.invoice(office.finished_job(customer_id, office.labor(), "2", name="Porch"))
    payment_id = _paid(office, customer_id, (first, "100.00"))
    assert office.sync().percent == 100
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        payments.unapply_payment(uow, payment_id, first)
        payments.apply_payment(uow, payment_id, second, "100.00")
        uow.commit()
    assert office.sync().percent == 100
    assert office.alerts() == []
    (qb_payment,) = office.qb.payments
    porch = office.link("invoice", second)
    assert porch is not None
    assert [(a.invoice_id, a.amount) for a in qb_payment.applications] == [(porch.qb_id, Decimal("100.00"))]


@pytest.mark.parametrize("link_from", ["an older JobDesk", "a lost answer"])
def test_a_payment_taken_off_every_invoice_is_taken_off_in_quickbooks_whatever_its_link_knows(
    office: Office, link_from: str
) -> None:
    customer_id, _, invoice_id = office.invoiced_job("Old, Ola")
    payment_id = _paid(office, customer_id, (invoice_id, "100.00"))
    assert office.sync().percent == 100
    if link_from == "an older JobDesk":  # its link knows nothing of where the payment is applied
        with office.db.uow() as uow:
            uow.session.execute(
                update(QbLink)
                .where(QbLink.entity_type == "payment")
                .values(synced_values='{"TotalAmount": "100.00"}')
            )
            uow.commit()
    else:  # a change whose answer was lost first: where it is applied is then unknown
        with office.db.uow(Actor(name="Admin", role="admin")) as uow:
            payments.unapply_payment(uow, payment_id, invoice_id, "40.00")
            uow.commit()
        office.qb.lose_next_response()
        office.sync()
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        payments.unapply_payment(uow, payment_id, invoice_id)
        uow.commit()
    for _session in range(3):  # after a lost answer: looked up, then changed
        if office.sync().percent == 100:
            break
    assert _applied_in_quickbooks(office) == []
    assert [a for a in office.alerts() if a.state == "open"] == []


def test_a_credit_applied_where_a_deleted_payment_was_waits_for_the_deletion(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Held, Hal")
    payment_id = _paid(office, customer_id, (invoice_id, "850.00"))
    credit_id = _credit(office, customer_id, job_id, office.labor(), "850")
    assert office.sync().percent == 100
    paid = office.link("payment", payment_id)
    assert paid is not None
    office.qb.inject_lock(3175, ref=paid.qb_id)  # the deletion is refused once
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    _apply(office, credit_id, invoice_id, "850.00")
    office.sync()
    assert [c.amount for p in office.qb.payments for c in p.credits] == []  # not sent: it waits
    with office.db.uow() as uow:  # the retry time has come
        uow.session.execute(update(SyncItem).values(next_attempt_at=None))
        uow.commit()
    assert office.sync().percent == 100
    assert [c.amount for p in office.qb.payments for c in p.credits] == [Decimal("850.00")]
    assert _applied_in_quickbooks(office) == []
    assert [a for a in office.alerts() if a.state == "open"] == []


def test_a_credit_taken_off_while_its_application_answer_was_lost_is_taken_off(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lost, Liv")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "100")
    assert office.sync().percent == 100
    _apply(office, credit_id, invoice_id, "40.00")
    office.qb.lose_next_response()  # the $0.00 payment applying it is saved; the answer is lost
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id)
        uow.commit()
    assert office.sync().percent == 100
    assert [c.amount for p in office.qb.payments for c in p.credits] == []
    assert [a for a in office.alerts() if a.state == "open"] == []


class _NeverArrives:
    """The message holding ``tag`` never reaches QuickBooks (once); the Web Connector says so."""

    def __init__(self, office: Office, tag: str) -> None:
        self.office, self.tag, self.lost = office, tag, False

    def process(self, request_xml: str) -> str:
        if not self.lost and self.tag in request_xml:
            self.lost = True
            raise ResponseLostError("The message never reached QuickBooks.")
        return self.office.qb.process(request_xml)


def test_a_payment_deleted_while_its_add_was_lost_and_never_saved_ends(office: Office) -> None:
    """Its deletion has nothing to delete there: finished, never waiting for ever."""
    customer_id, _, invoice_id = office.invoiced_job("Gone, Gus")
    assert office.sync().percent == 100
    payment_id = _paid(office, customer_id, (invoice_id, "100.00"))
    never = _NeverArrives(office, "<ReceivePaymentAddRq")
    run_session(office.engine, never)
    assert never.lost
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    for _session in range(3):
        office.sync()
    assert [i.state for i in office.items_of("payment", payment_id)] == ["done", "done"]
    assert office.qb.payments == []
    assert [a for a in office.alerts() if a.state == "open"] == []


def _edit_memo(office: Office, invoice_id: int, memo: str) -> None:
    with office.db.uow() as uow:
        invoice_edits.update_invoice(uow, invoice_id, memo=memo)
        uow.commit()


def test_an_invoice_changed_after_a_credit_and_a_payment_reached_quickbooks_raises_no_false_alert(
    office: Office,
) -> None:
    # QuickBooks' BalanceRemaining counts the credits set against the invoice as well as the
    # payments: the check after an InvoiceMod counts both.
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")  # 850.00
    _apply(office, _credit(office, customer_id, job_id, office.labor(), "50"), invoice_id, "50.00")
    with office.db.uow() as uow:
        payments.record_payment(
            uow, customer_id, "100.00", "check", FINISHED, applications=[(invoice_id, "100.00")]
        )
        uow.commit()
    assert office.sync().percent == 100
    _edit_memo(office, invoice_id, "Called the customer")
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Called the customer"
    assert office.qb.invoice_balance(invoice) == Decimal("700.00")


def test_the_check_after_an_invoice_change_counts_a_credit_as_quickbooks_has_it(office: Office) -> None:
    # The credit is lowered here in the same sync as the invoice changes: whichever QuickBooks
    # does first, the balance it answers with agrees with what it was told of the credit.
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "50")
    _apply(office, credit_id, invoice_id, "50.00")
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id)
        credit_applications.apply_credit(uow, credit_id, [(invoice_id, "30.00")])
        uow.commit()
    _edit_memo(office, invoice_id, "Credit lowered")
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert office.qb.invoice_balance(invoice) == Decimal("820.00")


@pytest.mark.parametrize("synced", ["", "{}", '{"%d": "\\u0000unknown:[\\"50.00\\", \\"30.00\\"]"}'])
def test_a_credit_applied_in_quickbooks_in_amounts_not_known_leaves_the_balance_unchecked(
    office: Office, synced: str
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    _apply(office, _credit(office, customer_id, job_id, office.labor(), "50"), invoice_id, "50.00")
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        ours = uow.session.get(Invoice, invoice_id)
        assert ours is not None
        assert applied_in_quickbooks(uow.session, ours) == Decimal("50.00")
        # Linked by a lookup (nothing known of what it applies), or its answer lost.
        values = synced % invoice_id if "%d" in synced else synced
        uow.session.execute(
            update(QbLink).where(QbLink.entity_type == "credit_application").values(synced_values=values)
        )
        assert applied_in_quickbooks(uow.session, ours) is None
    record = to_record(
        etree.fromstring(
            "<InvoiceRet><Subtotal>850.00</Subtotal><SalesTaxTotal>0.00</SalesTaxTotal>"
            "<BalanceRemaining>123.00</BalanceRemaining></InvoiceRet>"
        )
    )
    assert total_problems(Decimal("850.00"), record, None) == []
    assert total_problems(Decimal("850.00"), record, Decimal("50.00")) == [
        "balance: JobDesk $800.00, QuickBooks $123.00"
    ]
