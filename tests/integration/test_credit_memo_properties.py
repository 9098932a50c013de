"""Random applies / unapplies / voids never leave an invoice below zero or a credit over-applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Invoice
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.money import ZERO
from desktop_app.domain.status import CreditStatus
from desktop_app.errors import JobDeskError
from desktop_app.services import credit_applications as applying
from desktop_app.services import credit_memos, invoices, payments
from desktop_app.services.credit_memo_details import applied_of
from desktop_app.services.invoice_details import balance_of, credited_total
from desktop_app.services.lines import LineInput
from tests.factories import make_customer, make_job

amount = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
step = st.one_of(
    st.tuples(st.just("apply"), st.integers(0, 3), st.integers(0, 2), amount),
    st.tuples(st.just("unapply"), st.integers(0, 3), st.integers(0, 2), st.one_of(st.none(), amount)),
    st.tuples(st.just("void"), st.integers(0, 3), st.just(0), st.none()),
    st.tuples(st.just("pay"), st.just(0), st.integers(0, 2), amount),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    credits=st.lists(amount, min_size=1, max_size=4),
    invoice_amounts=st.lists(amount, min_size=1, max_size=3),
    steps=st.lists(step, min_size=1, max_size=16),
)
def test_no_sequence_over_applies_a_credit_or_sends_an_invoice_below_zero(
    db: Database,
    admin: Actor,
    credits: list[Decimal],
    invoice_amounts: list[Decimal],
    steps: list[tuple[str, int, int, Decimal | None]],
) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        job = make_job(uow, customer, [("1", invoice_amounts[0], False)])
        invoice_ids = [invoices.create_invoice(uow, job.id).id]
        for extra in invoice_amounts[1:]:
            # Invoices of other jobs: QuickBooks' Customer:Job rule must refuse the credit there.
            job_line = make_job(uow, customer, [("1", extra, False)])
            invoice_ids.append(invoices.create_invoice(uow, job_line.id).id)
        credit_ids = [
            credit_memos.create_credit_memo(
                uow,
                credit_memos.CreditMemoFields(
                    customer_id=customer.id,
                    job_id=job.id,
                    reason="discount",
                    credit_date=date(2026, 1, 2),
                    lines=(LineInput(quantity="1", description="Discount", rate=value),),
                ),
            ).id
            for value in credits
        ]
        uow.commit()
    for action, c, i, value in steps:
        credit_id = credit_ids[c % len(credit_ids)]
        invoice_id = invoice_ids[i % len(invoice_ids)]
        with db.uow(admin) as uow:
            try:
                if action == "apply":
                    applying.apply_credit(uow, credit_id, [(invoice_id, value)])
                elif action == "unapply":
                    applying.unapply_credit(uow, credit_id, invoice_id, value)
                elif action == "void":
                    credit_memos.void_credit_memo(uow, credit_id)
                else:
                    payments.record_payment(
                        uow, customer.id, value, "check", date(2026, 1, 3), applications=[(invoice_id, value)]
                    )
                uow.commit()
            except JobDeskError:
                pass  # refused: nothing changed (the unit of work rolls back)
        with db.reader() as uow:
            for credit in uow.session.scalars(select(CreditMemo).where(CreditMemo.id.in_(credit_ids))):
                applied = applied_of(credit)
                assert ZERO <= applied <= credit.total
                if credit.status == CreditStatus.VOID.value:
                    assert applied == ZERO
                expected = CreditStatus.APPLIED if applied == credit.total else CreditStatus.OPEN
                assert credit.status in (CreditStatus.VOID.value, expected.value)
            for invoice in uow.session.scalars(select(Invoice).where(Invoice.id.in_(invoice_ids))):
                assert balance_of(uow, invoice) >= ZERO
                assert credited_total(uow, invoice.id) <= invoice.total
