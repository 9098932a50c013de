"""A paid deposit credited to a job's invoice that a credit memo already lowered.

A credit (or a payment) can be applied to the job's full invoice before it is issued; the
deposits paid are credited to it when it is issued. They take only what it still owes:
an invoice never owes less than nothing (QuickBooks would refuse the credit, and the job
summary would show money owed back that nobody entered).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.domain.status import InvoiceStatus
from desktop_app.services import credit_applications, credit_memos, invoices, payments
from desktop_app.services.invoice_queries import job_invoicing_summary
from desktop_app.services.lines import LineInput
from tests.factories import make_customer, make_item, make_job

DAY = date(2026, 3, 5)


@pytest.mark.parametrize(
    ("credited", "deposit_credit"),
    [("850", "0.00"), ("600", "250.00"), ("400", "300.00")],
)
def test_a_deposit_credits_only_what_the_invoice_still_owes(
    db: Database, admin: Actor, credited: str, deposit_credit: str
) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Dale, Dana")
        job = make_job(uow, customer, [("1", "850", False)])
        item = make_item(uow, "Discount", unit_price="1", taxable=False)
        deposit = invoices.create_deposit_invoice(uow, job.id, amount="300", today=DAY)
        invoices.issue_invoice(uow, deposit.id, on=DAY)
        payments.record_payment(uow, customer.id, "300", "check", DAY, applications=[(deposit.id, "300")])
        main = invoices.create_invoice(uow, job.id, today=DAY)  # not issued yet
        credit = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer.id,
                job_id=job.id,
                reason="discount",
                credit_date=DAY,
                lines=(LineInput(quantity=credited, item_id=item.id),),
            ),
        )
        credit_applications.apply_credit(uow, credit.id, [(main.id, credited)])
        uow.commit()
    with db.uow(admin) as uow:
        issued = invoices.issue_invoice(uow, main.id, on=DAY)
        uow.commit()
    assert issued.deposit_credit == Decimal(deposit_credit)
    owed = Decimal("850") - Decimal(credited) - Decimal(deposit_credit)
    assert issued.balance == owed >= 0
    assert issued.status == (InvoiceStatus.PAID if owed == 0 else InvoiceStatus.OPEN)
    with db.reader() as uow:
        summary = job_invoicing_summary(uow, job.id)
    assert summary.balance_due == owed
    assert all(line.balance >= 0 for line in summary.invoices)


def _deposit_settled_by_a_credit_and_a_check(
    uow: UnitOfWork, customer_id: int, job_id: int, item_id: int
) -> tuple[int, int]:
    """A $300 deposit settled by a $100 credit and a $200 check: (deposit, credit memo)."""
    deposit = invoices.create_deposit_invoice(uow, job_id, amount="300", today=DAY)
    invoices.issue_invoice(uow, deposit.id, on=DAY)
    credit = credit_memos.create_credit_memo(
        uow,
        credit_memos.CreditMemoFields(
            customer_id=customer_id,
            job_id=job_id,
            reason="discount",
            credit_date=DAY,
            lines=(LineInput(quantity="100", item_id=item_id),),
        ),
    )
    credit_applications.apply_credit(uow, credit.id, [(deposit.id, "100")])
    payments.record_payment(uow, customer_id, "200", "check", DAY, applications=[(deposit.id, "200")])
    return deposit.id, credit.id


def test_a_credit_that_settled_a_deposit_lowers_what_the_job_still_owes(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Dale, Dana")
        job = make_job(uow, customer, [("1", "850", False)])
        item = make_item(uow, "Discount", unit_price="1", taxable=False)
        _deposit_settled_by_a_credit_and_a_check(uow, customer.id, job.id, item.id)
        main = invoices.create_invoice(uow, job.id, today=DAY)
        issued = invoices.issue_invoice(uow, main.id, on=DAY)
        uow.commit()
    # The deposit counts what settled it: the check and the credit.
    assert (issued.deposit_credit, issued.balance) == (Decimal("300.00"), Decimal("550.00"))
    with db.reader() as uow:
        summary = job_invoicing_summary(uow, job.id)
    assert (summary.paid, summary.credited, summary.balance_due) == (
        Decimal("200.00"),
        Decimal("100.00"),
        Decimal("550.00"),
    )


@pytest.mark.parametrize("how", ["unapplied", "voided"])
def test_a_credit_on_a_deposit_credited_to_the_job_invoice_stays_until_that_invoice_is_voided(
    db: Database, admin: Actor, how: str
) -> None:
    from desktop_app.errors import InvalidTransition
    from tests.integration.service_helpers import snapshot

    with db.uow(admin) as uow:
        customer = make_customer(uow, "Dale, Dana")
        job = make_job(uow, customer, [("1", "850", False)])
        item = make_item(uow, "Discount", unit_price="1", taxable=False)
        deposit_id, credit_id = _deposit_settled_by_a_credit_and_a_check(uow, customer.id, job.id, item.id)
        main = invoices.create_invoice(uow, job.id, today=DAY)
        invoices.issue_invoice(uow, main.id, on=DAY)
        uow.commit()
    before = snapshot(db)
    with db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match=f"credited to invoice {main.number}; void that invoice"):
            if how == "unapplied":
                credit_applications.unapply_credit(uow, credit_id, deposit_id)
            else:
                credit_memos.void_credit_memo(uow, credit_id, "customer changed their mind")
        uow.commit()
    assert snapshot(db) == before
