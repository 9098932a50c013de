"""Random sequences of create / void / pay on one job keep the invoicing invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desktop_app.db.models import Invoice
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.domain.money import CENT
from desktop_app.domain.status import InvoiceStatus
from desktop_app.errors import JobDeskError
from desktop_app.services import invoices, jobs, payments
from desktop_app.services.invoice_queries import job_invoicing_summary
from desktop_app.services.lines import LineInput
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_job

percent = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("60"), places=4)
amount = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
step = st.one_of(
    st.tuples(st.just("percent"), percent),
    st.tuples(st.just("amount"), amount),
    st.tuples(st.just("deposit"), amount),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("pay"), st.integers(0, 20), amount),
    st.tuples(st.just("unapply"), st.integers(0, 20)),
    st.tuples(st.just("pay_full"), st.integers(0, 20)),
    st.tuples(st.just("rest"), st.just(0)),
)
job_lines = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal("20"), places=2),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


def _whole_cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=job_lines, steps=st.lists(step, min_size=3, max_size=14))
def test_random_progress_sequences_keep_invariants(
    db: Database, admin: Actor, lines: list[tuple[Decimal, Decimal, bool]], steps: list[tuple[object, ...]]
) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.progress", True)
        set_setting(uow, "tax.default_rate", "7.125")
        customer = make_customer(uow)
        job = make_job(uow, customer, lines)
        uow.commit()
    seen_numbers: list[str] = []
    created: list[int] = []
    for action in steps:
        with db.uow(admin) as uow:
            try:
                if action[0] in ("percent", "amount", "deposit"):
                    value = action[1]
                    if action[0] == "percent":
                        inv = invoices.create_progress_invoice(uow, job.id, percent=value)
                    elif action[0] == "amount":
                        inv = invoices.create_progress_invoice(uow, job.id, amount=value)
                    else:
                        inv = invoices.create_deposit_invoice(uow, job.id, amount=value)
                    assert inv.number not in seen_numbers
                    seen_numbers.append(inv.number)
                    created.append(inv.id)
                elif created and action[0] == "void":
                    invoices.void_invoice(uow, created[int(action[1]) % len(created)])  # type: ignore[call-overload]
                elif created and action[0] == "pay":
                    target = created[int(action[1]) % len(created)]  # type: ignore[call-overload]
                    payments.record_payment(
                        uow,
                        customer.id,
                        action[2],
                        "check",
                        date(2024, 1, 1),
                        applications=[(target, action[2])],
                    )
                elif action[0] == "rest":
                    left = job_invoicing_summary(uow, job.id).remaining_to_invoice
                    inv = invoices.create_progress_invoice(
                        uow,
                        job.id,
                        percent=Decimal(100)
                        - sum(
                            (
                                r.percent
                                for r in job_invoicing_summary(uow, job.id).invoices
                                if r.status is not InvoiceStatus.VOID
                            ),
                            Decimal(0),
                        ),
                    )
                    assert inv.total == left
                    seen_numbers.append(inv.number)
                    created.append(inv.id)
                elif created and action[0] == "pay_full":
                    payments.mark_paid(uow, created[int(action[1]) % len(created)])  # type: ignore[call-overload]
                elif created and action[0] == "unapply":
                    target = created[int(action[1]) % len(created)]  # type: ignore[call-overload]
                    for row, _ in payments.payments_for_invoice(uow, target):
                        payments.unapply_payment(uow, row, target)
                uow.commit()
            except JobDeskError:
                pass  # a refused step must leave everything as it was (not committed)
        with db.reader() as uow:
            summary = job_invoicing_summary(uow, job.id)
            rows = uow.session.scalars(select(Invoice).where(Invoice.job_id == job.id)).all()
            assert summary.invoiced <= summary.job_total
            assert summary.remaining_to_invoice >= 0
            live_total = sum((r.total for r in rows if r.status != InvoiceStatus.VOID.value), Decimal(0))
            assert live_total == summary.invoiced
            for line in summary.invoices:
                assert line.balance >= 0
                assert _whole_cents(line.amount) and _whole_cents(line.balance)
                if line.status is InvoiceStatus.PAID:
                    assert line.balance == 0
            for value in (summary.job_total, summary.invoiced, summary.paid, summary.balance_due):
                assert isinstance(value, Decimal) and _whole_cents(value)
            assert len({r.number for r in rows}) == len(rows) == len(seen_numbers)
    # Numbers follow creation order and are never reused, voided or not.
    assert seen_numbers == [f"{job.number}-{i}" for i in range(1, len(seen_numbers) + 1)]


# --- edits of the job among the creates, voids and payments (issue 15) -------------------------

edit_step = st.one_of(
    step,
    st.tuples(st.just("edit"), job_lines),
    st.tuples(st.just("drop_line"), st.integers(0, 3)),
    st.tuples(st.just("full"), st.just(0)),
)


def _edit_job(uow: UnitOfWork, job_id: int, lines: list[LineInput]) -> None:
    current = jobs.get_job(uow, job_id)
    jobs.update_job(uow, job_id, current.version, replace(current.to_fields(), lines=tuple(lines)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=job_lines, steps=st.lists(edit_step, min_size=3, max_size=14), progress=st.booleans())
def test_no_sequence_with_job_edits_leaves_remaining_to_invoice_below_zero(
    db: Database,
    admin: Actor,
    lines: list[tuple[Decimal, Decimal, bool]],
    steps: list[tuple[object, ...]],
    progress: bool,
) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.progress", progress)
        set_setting(uow, "tax.default_rate", "7.125")
        customer = make_customer(uow)
        job = make_job(uow, customer, lines)
        uow.commit()
    created: list[int] = []
    for action in steps:
        with db.uow(admin) as uow:
            try:
                kind = action[0]
                if kind == "edit":
                    new = [
                        LineInput(quantity=str(q), description="Work", rate=str(r), taxable=t)
                        for q, r, t in action[1]  # type: ignore[attr-defined]
                    ]
                    _edit_job(uow, job.id, new)
                elif kind == "drop_line":
                    current = list(jobs.get_job(uow, job.id).to_fields().lines)
                    if current:  # nothing left to drop after an earlier drop took the last line
                        del current[int(action[1]) % len(current)]  # type: ignore[call-overload]
                        _edit_job(uow, job.id, current)
                elif kind == "full":
                    created.append(invoices.create_invoice(uow, job.id).id)
                elif kind in ("percent", "amount", "deposit", "rest"):
                    value = action[1]
                    if kind == "deposit":
                        inv = invoices.create_deposit_invoice(uow, job.id, amount=value)
                    elif kind == "amount":
                        inv = invoices.create_progress_invoice(uow, job.id, amount=value)
                    elif kind == "percent":
                        inv = invoices.create_progress_invoice(uow, job.id, percent=value)
                    else:
                        left = job_invoicing_summary(uow, job.id).remaining_to_invoice
                        inv = invoices.create_progress_invoice(uow, job.id, amount=left)
                    created.append(inv.id)
                elif created and kind == "void":
                    invoices.void_invoice(uow, created[int(action[1]) % len(created)])  # type: ignore[call-overload]
                elif created and kind == "pay":
                    target = created[int(action[1]) % len(created)]  # type: ignore[call-overload]
                    payments.record_payment(
                        uow,
                        customer.id,
                        action[2],
                        "check",
                        date(2024, 1, 1),
                        applications=[(target, action[2])],
                    )
                elif created and kind == "pay_full":
                    payments.mark_paid(uow, created[int(action[1]) % len(created)])  # type: ignore[call-overload]
                elif created and kind == "unapply":
                    target = created[int(action[1]) % len(created)]  # type: ignore[call-overload]
                    for row, _ in payments.payments_for_invoice(uow, target):
                        payments.unapply_payment(uow, row, target)
                uow.commit()
            except JobDeskError:
                pass  # a refused step leaves everything as it was (not committed)
        with db.reader() as uow:
            summary = job_invoicing_summary(uow, job.id)
            assert summary.remaining_to_invoice >= 0, (action, summary)
            numbers = list(uow.session.scalars(select(Invoice.number)))
            assert len(numbers) == len(set(numbers))
