"""A credit applied where a payment was lowered waits for the payment's change.

QuickBooks applies a credit only up to what the invoice still owes there. A payment partly
taken off an invoice here (not only taken off whole, or deleted) leaves room there only
once its change reached QuickBooks; the credit's application goes after it. A payment
raised waits for nothing: a credit lowered to make room for it goes first (by rank).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import credit_applications, invoices, payments
from desktop_app.services.payments import get_payment
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync.kinds.base import UNKNOWN_PREFIX
from qbwc_server.sync.kinds.payment import APPLIED_AMOUNTS, most_applied_in
from qbwc_server.sync.refusals import recover
from tests.integration.sync.conftest import FINISHED, Office
from tests.integration.sync.test_credit_memo_sync import _apply, _credit


def _paid(office: Office, customer_id: int, invoice_id: int, amount: str) -> int:
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, amount, "check", FINISHED, applications=[(invoice_id, amount)]
        )
        uow.commit()
    return payment.id


def _two_invoices(office: Office) -> tuple[int, int, int]:
    """(customer, invoice I, invoice J): two invoices of 1,700.00 each, issued."""
    customer_id = office.customer("Page, Pat")
    labor = office.labor()
    jobs = [office.finished_job(customer_id, labor, "10", name=f"Room {n}") for n in range(4)]
    ids = []
    with office.db.uow() as uow:
        for pair in (jobs[:2], jobs[2:]):
            detail = invoices.create_multi_job_invoice(uow, customer_id, pair, today=FINISHED)
            invoices.issue_invoice(uow, detail.id, on=FINISHED)
            ids.append(detail.id)
        uow.commit()
    return customer_id, ids[0], ids[1]


def _applied_in_quickbooks(office: Office) -> tuple[list[Decimal], list[Decimal]]:
    """(what payments apply, what credits apply) in QuickBooks."""
    paid = [a.amount for p in office.qb.payments if not p.credits for a in p.applications]
    credited = [c.amount for p in office.qb.payments for c in p.credits]
    return paid, credited


@pytest.mark.parametrize("credit_first", [False, True], ids=["credit new", "credit in QuickBooks"])
def test_a_credit_takes_the_room_a_payment_partly_taken_off_leaves(
    office: Office, credit_first: bool
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "400") if credit_first else 0
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        payments.unapply_payment(uow, payment_id, invoice_id, "400.00")
        uow.commit()
    if not credit_first:
        credit_id = _credit(office, customer_id, job_id, office.labor(), "400")
    _apply(office, credit_id, invoice_id, "400.00")
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert office.qb.invoice_balance(invoice) == Decimal("0.00")
    assert _applied_in_quickbooks(office) == ([Decimal("450.00")], [Decimal("400.00")])


def test_a_payment_raised_where_a_credit_was_lowered_goes_after_the_credit(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    payment_id = _paid(office, customer_id, invoice_id, "450.00")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "400")
    _apply(office, credit_id, invoice_id, "400.00")
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "300.00")
        detail = get_payment(uow, payment_id)
        payments.update_payment(
            uow,
            payment_id,
            detail.version,
            amount="750.00",
            received_on=FINISHED,
            method="check",
            reference="",
            memo="",
        )
        payments.apply_payment(uow, payment_id, invoice_id, "300.00")
        uow.commit()
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert office.qb.invoice_balance(invoice) == Decimal("0.00")
    assert _applied_in_quickbooks(office) == ([Decimal("750.00")], [Decimal("100.00")])


def test_a_link_that_does_not_say_how_much_is_applied_makes_the_credit_wait(office: Office) -> None:
    """A payment's link stored before the amounts were kept: it may make room, so the credit waits."""
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "400")
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        link = uow.session.scalars(
            select(QbLink).where(QbLink.entity_type == "payment", QbLink.entity_id == payment_id)
        ).one()
        synced = json.loads(link.synced_values)
        assert synced.pop(APPLIED_AMOUNTS) == f"{invoice_id}=850.00"
        link.synced_values = json.dumps(synced)
        payments.unapply_payment(uow, payment_id, invoice_id, "400.00")
        uow.commit()
    _apply(office, credit_id, invoice_id, "400.00")
    assert office.sync().percent == 100
    assert office.alerts() == []
    assert _applied_in_quickbooks(office) == ([Decimal("450.00")], [Decimal("400.00")])


def test_after_a_lost_answer_the_most_quickbooks_may_have_applied_counts() -> None:
    both = UNKNOWN_PREFIX + json.dumps(["7=850.00,9=10.00", "7=450.00"])
    assert most_applied_in({APPLIED_AMOUNTS: both}) == {
        7: Decimal("850.00"),
        9: Decimal("10.00"),
    }
    # One of them not known (a link of an older JobDesk): nothing is known.
    older = UNKNOWN_PREFIX + json.dumps([None, "7=450.00"])
    assert most_applied_in({APPLIED_AMOUNTS: older}) is None
    assert most_applied_in({APPLIED_AMOUNTS: "7=x"}) is None
    assert most_applied_in({}) is None


def test_a_credit_lowered_where_a_payment_moves_goes_first_though_the_payment_is_lowered_elsewhere(
    office: Office,
) -> None:
    """The credit waits for a payment lowered only on an invoice where it needs room: here it
    is lowered on I (making room for the payment) and stays as it was on J (where the
    payment is lowered), so it goes first, then the payment."""
    customer_id, inv_i, inv_j = _two_invoices(office)
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow,
            customer_id,
            "1700.00",
            "check",
            FINISHED,
            applications=[(inv_i, "1000.00"), (inv_j, "700.00")],
        )
        uow.commit()
    credit_id = _credit(office, customer_id, None, office.labor(), "1400")
    with office.db.uow() as uow:
        credit_applications.apply_credit(uow, credit_id, [(inv_i, "700.00"), (inv_j, "700.00")])
        uow.commit()
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, inv_i, "300.00")
        payments.unapply_payment(uow, payment.id, inv_j, "300.00")
        payments.apply_payment(uow, payment.id, inv_i, "300.00")
        uow.commit()
    assert office.sync().percent == 100
    assert office.alerts() == []
    paid, credited = _applied_in_quickbooks(office)
    assert sorted(paid) == [Decimal("400.00"), Decimal("1300.00")]
    assert sorted(credited) == [Decimal("400.00"), Decimal("700.00")]


@pytest.mark.parametrize("between", [False, True], ids=["lowered at once", "after its lookup"])
def test_a_credit_waits_for_a_payment_whose_add_answer_was_lost(office: Office, between: bool) -> None:
    """Not linked, the payment may be in QuickBooks all the same (applying what was sent)."""
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    credit_id = _credit(office, customer_id, job_id, office.labor(), "400")
    assert office.sync().percent == 100
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    office.qb.lose_next_response()  # QuickBooks saved the payment; the answer never came
    office.sync()
    if between:
        office.sync()
    with office.db.uow() as uow:
        payments.unapply_payment(uow, payment_id, invoice_id, "400.00")
        credit_applications.apply_credit(uow, credit_id, [(invoice_id, "400.00")])
        uow.commit()
    for _session in range(3):
        office.sync()
    assert office.alerts() == []
    assert len(office.qb.payments) == 2  # the payment (found, not added twice) and the credit's
    assert _applied_in_quickbooks(office) == ([Decimal("450.00")], [Decimal("400.00")])


@pytest.mark.parametrize("lost", ["add", "mod"])
def test_a_payment_deleted_after_a_lost_answer_is_not_added_back(office: Office, lost: str) -> None:
    customer_id, _job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    assert office.sync().percent == 100
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    if lost == "mod":
        assert office.sync().percent == 100
        with office.db.uow() as uow:
            payments.unapply_payment(uow, payment_id, invoice_id, "100.00")
            uow.commit()
    office.qb.lose_next_response()  # QuickBooks did it; the answer never came
    office.sync()
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    for _session in range(3):
        office.sync()
    assert office.qb.payments == []  # deleted here: nothing of it stays in QuickBooks
    assert office.alerts() == []


def test_a_payment_deleted_while_its_lost_add_waits_to_be_looked_up_is_deleted_there(office: Office) -> None:
    """QuickBooks may have it: the lookup still goes, and the deletion after it."""
    customer_id, _job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    assert office.sync().percent == 100
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    office.qb.lose_next_response()  # QuickBooks saved it; the answer never came
    office.sync()
    with office.db.uow() as uow:
        # As the next session's start leaves it (a session that then ends before sending it).
        item = uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "payment")).one()
        assert item.state == QueueState.SENT
        recover(uow.session, item, "looked up before it goes again")
        assert (item.state, item.phase) == (QueueState.QUEUED, Phase.VERIFY)
        uow.commit()
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    for _session in range(3):
        office.sync()
    assert office.qb.payments == []  # found there, then deleted
    assert office.alerts() == []


def test_a_credit_moved_off_where_a_payment_whose_add_answer_was_lost_is_raised_goes_first(
    office: Office,
) -> None:
    """The payment (not linked, maybe in QuickBooks as its Add went) is raised where the credit
    makes room: the credit waits for nothing, goes first, then the payment's change."""
    customer_id, inv_i, inv_j = _two_invoices(office)  # 1,700.00 each
    credit_id = _credit(office, customer_id, None, office.labor(), "400")
    with office.db.uow() as uow:
        credit_applications.apply_credit(uow, credit_id, [(inv_i, "400.00")])
        uow.commit()
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "1700.00", "check", FINISHED, applications=[(inv_i, "1300.00")]
        )
        uow.commit()
    office.qb.lose_next_response()  # QuickBooks saved the payment; the answer never came
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, inv_i, "400.00")
        credit_applications.apply_credit(uow, credit_id, [(inv_j, "400.00")])
        payments.apply_payment(uow, payment.id, inv_i, "400.00")
        uow.commit()
    for _session in range(3):
        office.sync()
    assert office.alerts() == []
    assert _applied_in_quickbooks(office) == ([Decimal("1700.00")], [Decimal("400.00")])
    assert len(office.qb.payments) == 2  # found, not added twice
