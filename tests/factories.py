"""Small factories that build records straight through the ORM, for tests of any service.

Amounts are given as strings or Decimals (never floats). Each factory flushes, so the
returned record has its id.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from desktop_app.db.models import Customer, Invoice, Item, Job, JobLine, Payment, PaymentApplication, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import line_amount

_seq = itertools.count(1)

LineSpec = tuple[str | Decimal | int, str | Decimal | int, bool]


def _dec(value: str | Decimal | int) -> Decimal:
    assert not isinstance(value, float), "factories take exact amounts, not floats"
    return Decimal(value)


def make_customer(
    uow: UnitOfWork, name: str | None = None, *, tax_exempt: bool = False, **fields: object
) -> Customer:
    display = name or f"Customer {next(_seq)}"
    customer = Customer(
        display_name=display,
        display_name_key=display.casefold(),
        tax_exempt=tax_exempt,
        bill_street=str(fields.pop("bill_street", "1 Main St")),
        bill_city=str(fields.pop("bill_city", "Springfield")),
        bill_state=str(fields.pop("bill_state", "IL")),
        bill_zip=str(fields.pop("bill_zip", "62701")),
        **fields,
    )
    uow.session.add(customer)
    uow.session.flush()
    return customer


def make_item(
    uow: UnitOfWork,
    name: str | None = None,
    *,
    unit_price: str | Decimal = "100",
    taxable: bool = False,
    kind: str = "service",
) -> Item:
    item_name = name or f"Item {next(_seq)}"
    item = Item(
        kind=kind, name=item_name, name_key=item_name.casefold(), unit_price=_dec(unit_price), taxable=taxable
    )
    uow.session.add(item)
    uow.session.flush()
    return item


def make_job(
    uow: UnitOfWork,
    customer: Customer,
    lines: Sequence[LineSpec] = (("1", "1000", False),),
    *,
    number: str | None = None,
    name: str = "Kitchen remodel",
    status: str = "open",
    started_on: date | None = None,
    finished_on: date | None = None,
    parent: Job | None = None,
    segment_index: int | None = None,
) -> Job:
    """A job with ``lines`` given as (quantity, rate, taxable)."""
    if number is None:
        from desktop_app.services.numbering import next_job_number, segment_job_number

        number = segment_job_number(uow, parent) if parent is not None else next_job_number(uow)
    if parent is not None and segment_index is None:
        segment_index = int(number.rsplit("-", 1)[1])
    job = Job(
        number=number,
        name=name,
        customer_id=customer.id,
        status=status,
        started_on=started_on,
        finished_on=finished_on,
        parent_job_id=parent.id if parent is not None else None,
        segment_index=segment_index,
    )
    for position, (qty, rate, taxable) in enumerate(lines):
        quantity, price = _dec(qty), _dec(rate)
        job.lines.append(
            JobLine(
                position=position,
                description=f"Line {position + 1}",
                quantity=quantity,
                rate=price,
                amount=line_amount(quantity, price),
                taxable=taxable,
            )
        )
    uow.session.add(job)
    uow.session.flush()
    return job


def make_terms(uow: UnitOfWork, name: str, kind: str, net_days: int | None = None) -> Terms:
    terms = Terms(name=name, kind=kind, net_days=net_days)
    uow.session.add(terms)
    uow.session.flush()
    return terms


def make_payment(
    uow: UnitOfWork,
    customer: Customer,
    amount: str | Decimal = "100",
    *,
    received_on: date = date(2024, 5, 1),
    applications: Sequence[tuple[Invoice, str | Decimal]] = (),
) -> Payment:
    """A payment written directly (no rules applied): for setting up unusual states."""
    payment = Payment(customer_id=customer.id, received_on=received_on, amount=_dec(amount), method="check")
    for invoice, applied in applications:
        payment.applications.append(PaymentApplication(invoice_id=invoice.id, amount=_dec(applied)))
    uow.session.add(payment)
    uow.session.flush()
    return payment
