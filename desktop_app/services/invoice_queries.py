"""Read side of invoicing: paged lists for the GUI and the job invoicing summary.

Balances are computed in SQL (total − deposit credit − a correlated sum of payment
applications, which ``ix_payment_applications_invoice_id`` makes an index lookup), so
filtering, sorting and paging stay in the database even with 100,000 invoices, and
there is no stored balance to drift out of step with the applications.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, type_coerce

from desktop_app.db.credit_models import CreditApplication
from desktop_app.db.models import Customer, Invoice, InvoiceLine, Job, Payment, PaymentApplication
from desktop_app.db.types import Money
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO
from desktop_app.domain.progress import percent_for
from desktop_app.domain.status import InvoiceKind, InvoiceStatus, PaymentMethod
from desktop_app.errors import ValidationError
from desktop_app.services.common import get
from desktop_app.services.invoices import applied_total, balance_of, credited_total, job_total
from desktop_app.services.job_billing import job_billing
from desktop_app.services.paging import Page
from desktop_app.services.qb_links import in_quickbooks_clause
from desktop_app.services.search import contains_matcher

MAX_LIMIT = 1000


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    kind: InvoiceKind
    customer_id: int
    customer_name: str
    job_id: int | None
    job_number: str | None
    invoice_date: date
    due_date: date | None
    total: Decimal
    balance: Decimal
    status: InvoiceStatus
    in_quickbooks: bool


@dataclass(frozen=True)
class PaymentRow:
    id: int
    customer_id: int
    customer_name: str
    received_on: date
    amount: Decimal
    applied: Decimal
    unapplied: Decimal
    method: PaymentMethod
    reference: str
    in_quickbooks: bool


@dataclass(frozen=True)
class JobInvoiceLine:
    id: int
    number: str
    kind: InvoiceKind
    amount: Decimal
    percent: Decimal
    balance: Decimal
    status: InvoiceStatus


@dataclass(frozen=True)
class JobInvoicingSummary:
    job_id: int
    job_number: str
    job_total: Decimal
    invoiced: Decimal
    paid: Decimal
    remaining_to_invoice: Decimal
    balance_due: Decimal
    invoices: tuple[JobInvoiceLine, ...]
    #: Credit memos applied to the job's invoices (the balances already count them).
    credited: Decimal = ZERO


def _applied_sql() -> Any:
    return (
        select(func.coalesce(func.sum(PaymentApplication.amount), 0))
        .where(PaymentApplication.invoice_id == Invoice.id)
        .correlate(Invoice)
        .scalar_subquery()
    )


def _credited_sql() -> Any:
    return (
        select(func.coalesce(func.sum(CreditApplication.amount), 0))
        .where(CreditApplication.invoice_id == Invoice.id)
        .correlate(Invoice)
        .scalar_subquery()
    )


def balance_sql() -> ColumnElement[Decimal]:
    """The SQL form of ``invoice_details.balance_of`` (payments and credit memos applied)."""
    raw = case(
        (Invoice.status == InvoiceStatus.VOID.value, 0),
        else_=Invoice.total - Invoice.deposit_credit - _applied_sql() - _credited_sql(),
    )
    # Money arithmetic stays in the column's storage unit; the type converts it back.
    return type_coerce(raw, Money())


def _in_qb_sql(entity: str, id_column: Any) -> ColumnElement[bool]:
    return in_quickbooks_clause(entity, id_column)


def _check_paging(offset: int, limit: int) -> None:
    if offset < 0:
        raise ValidationError("offset", "The page offset cannot be negative.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"A page holds from 1 to {MAX_LIMIT} rows.")


def list_invoices(
    uow: UnitOfWork,
    *,
    search: str = "",
    status: InvoiceStatus | str | None = None,
    customer_id: int | None = None,
    job_id: int | None = None,
    open_only: bool = False,
    offset: int = 0,
    limit: int = 200,
    sort: str = "number",
    descending: bool = False,
) -> Page[InvoiceRow]:
    """A page of invoices, filtered, sorted and paged in the database."""
    _check_paging(offset, limit)
    balance = balance_sql().label("balance")
    in_qb = _in_qb_sql("invoice", Invoice.id).label("in_qb")
    conditions: list[ColumnElement[bool]] = []
    if search.strip():
        matches = contains_matcher(uow, search)
        # Customer and job names are matched in their own (small) tables, so the filter
        # needs no join: the count reads only invoices, and each name is tested once.
        conditions.append(
            or_(
                matches(Invoice.number),
                Invoice.customer_id.in_(select(Customer.id).where(matches(Customer.display_name))),
                Invoice.job_id.in_(select(Job.id).where(matches(Job.number))),
                matches(Invoice.memo),
            )
        )
    if status is not None:
        try:
            conditions.append(Invoice.status == InvoiceStatus(status).value)
        except ValueError:
            raise ValidationError("status", "Choose Open, Paid or Void.") from None
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    if job_id is not None:
        conditions.append(
            or_(
                Invoice.job_id == job_id,
                exists().where(InvoiceLine.invoice_id == Invoice.id, InvoiceLine.job_id == job_id),
            )
        )
    if open_only:
        conditions.append(and_(Invoice.status == InvoiceStatus.OPEN.value, balance_sql() > ZERO))
    sorts: dict[str, list[Any]] = {
        # Numbers are text: shorter first keeps 999 before 1000 within one prefix.
        "number": [func.length(Invoice.number), Invoice.number],
        "date": [Invoice.invoice_date],
        "due_date": [Invoice.due_date],
        "customer": [Customer.display_name],
        "job": [Job.number],
        "total": [Invoice.total],
        "balance": [balance],
        "status": [Invoice.status],
        "kind": [Invoice.kind],
    }
    if sort not in sorts:
        raise ValidationError("sort", f"Invoices cannot be sorted by {sort}.")
    order = [c.desc() if descending else c.asc() for c in sorts[sort]]
    order.append(Invoice.id.desc() if descending else Invoice.id.asc())
    # The page's ids first (filter, sort, offset and limit over invoices alone, joining a
    # name table only to sort by it), then the display columns, the balance subquery and
    # the QuickBooks link for those ``limit`` rows only, not for every match before sorting.
    page_ids = select(Invoice.id).where(*conditions)
    if sort == "customer":
        page_ids = page_ids.join(Customer, Customer.id == Invoice.customer_id)
    elif sort == "job":
        page_ids = page_ids.outerjoin(Job, Job.id == Invoice.job_id)
    page_ids = page_ids.order_by(*order).offset(offset).limit(limit)
    query = (
        select(
            Invoice.id,
            Invoice.number,
            Invoice.kind,
            Invoice.customer_id,
            Customer.display_name,
            Invoice.job_id,
            Job.number,
            Invoice.invoice_date,
            Invoice.due_date,
            Invoice.total,
            balance,
            Invoice.status,
            in_qb,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(Job, Job.id == Invoice.job_id)
        .where(Invoice.id.in_(page_ids))
        .order_by(*order)
    )
    # Every condition is on the invoice itself (names are matched by subquery): no joins.
    count_query = select(func.count(Invoice.id)).select_from(Invoice).where(*conditions)
    total = uow.session.scalar(count_query) or 0
    rows = uow.session.execute(query).all()
    return Page(
        rows=tuple(
            InvoiceRow(
                id=r[0],
                number=r[1],
                kind=InvoiceKind(r[2]),
                customer_id=r[3],
                customer_name=r[4],
                job_id=r[5],
                job_number=r[6],
                invoice_date=r[7],
                due_date=r[8],
                total=r[9],
                balance=r[10],
                status=InvoiceStatus(r[11]),
                in_quickbooks=bool(r[12]),
            )
            for r in rows
        ),
        total=total,
        offset=offset,
        limit=limit,
    )


def list_open_invoices_for_customer(uow: UnitOfWork, customer_id: int) -> tuple[InvoiceRow, ...]:
    """The customer's invoices with money owing, oldest first (for applying a payment)."""
    get(uow, Customer, customer_id, "Customer")
    page = list_invoices(uow, customer_id=customer_id, open_only=True, sort="date", limit=MAX_LIMIT)
    return page.rows


def list_payments(
    uow: UnitOfWork,
    *,
    search: str = "",
    customer_id: int | None = None,
    include_deleted: bool = False,
    unapplied_only: bool = False,
    offset: int = 0,
    limit: int = 200,
    sort: str = "received_on",
    descending: bool = True,
) -> Page[PaymentRow]:
    """A page of payments, filtered, sorted and paged in the database."""
    _check_paging(offset, limit)
    applied_raw = (
        select(func.coalesce(func.sum(PaymentApplication.amount), 0))
        .where(PaymentApplication.payment_id == Payment.id)
        .correlate(Payment)
        .scalar_subquery()
    )
    applied = type_coerce(applied_raw, Money()).label("applied")
    unapplied = type_coerce(Payment.amount - applied_raw, Money()).label("unapplied")
    conditions: list[ColumnElement[bool]] = []
    if not include_deleted:
        conditions.append(Payment.deleted_at.is_(None))
    if customer_id is not None:
        conditions.append(Payment.customer_id == customer_id)
    if unapplied_only:
        conditions.append(type_coerce(Payment.amount - applied_raw, Money()) > ZERO)
    if search.strip():
        matches = contains_matcher(uow, search)
        conditions.append(
            or_(
                Payment.customer_id.in_(select(Customer.id).where(matches(Customer.display_name))),
                matches(Payment.reference),
                matches(Payment.memo),
            )
        )
    sorts: dict[str, Any] = {
        "received_on": Payment.received_on,
        "customer": Customer.display_name,
        "amount": Payment.amount,
        "unapplied": unapplied,
        "method": Payment.method,
        "reference": Payment.reference,
    }
    if sort not in sorts:
        raise ValidationError("sort", f"Payments cannot be sorted by {sort}.")
    key = sorts[sort]
    order = [key.desc() if descending else key.asc(), Payment.id.desc() if descending else Payment.id.asc()]
    query = (
        select(
            Payment.id,
            Payment.customer_id,
            Customer.display_name,
            Payment.received_on,
            Payment.amount,
            applied,
            unapplied,
            Payment.method,
            Payment.reference,
            _in_qb_sql("payment", Payment.id),
        )
        .join(Customer, Customer.id == Payment.customer_id)
        .where(*conditions)
    )
    total = (
        uow.session.scalar(
            # The conditions are all on the payment (names matched by subquery): no join.
            select(func.count(Payment.id)).select_from(Payment).where(*conditions)
        )
        or 0
    )
    rows = uow.session.execute(query.order_by(*order).offset(offset).limit(limit)).all()
    return Page(
        rows=tuple(
            PaymentRow(
                id=r[0],
                customer_id=r[1],
                customer_name=r[2],
                received_on=r[3],
                amount=r[4],
                applied=r[5],
                unapplied=r[6],
                method=PaymentMethod(r[7]),
                reference=r[8],
                in_quickbooks=bool(r[9]),
            )
            for r in rows
        ),
        total=total,
        offset=offset,
        limit=limit,
    )


def job_invoicing_summary(uow: UnitOfWork, job_id: int) -> JobInvoicingSummary:
    """Job total, invoiced, paid, remaining to invoice, balance due, and each invoice.

    A full (standard) invoice bills the whole job, deposits included (they are credited
    against it), so once one exists it alone counts as invoiced; until then the partial
    invoices (deposits, progress) add up. Lines billed on multi-job invoices count too.
    """
    job = get(uow, Job, job_id, "Job")
    total = job_total(uow, job)
    invoices = list(uow.session.scalars(select(Invoice).where(Invoice.job_id == job.id).order_by(Invoice.id)))
    live = [i for i in invoices if i.status != InvoiceStatus.VOID.value]
    # One definition of "invoiced" for this summary and the rule that refuses over-billing.
    invoiced = job_billing(uow, job).invoiced
    paid = sum((applied_total(uow, i.id) for i in live), ZERO)
    credited = sum((credited_total(uow, i.id) for i in live), ZERO)
    lines = tuple(
        JobInvoiceLine(
            id=i.id,
            number=i.number,
            kind=InvoiceKind(i.kind),
            amount=i.total,
            percent=i.percent if i.percent is not None else percent_for(i.total, total),
            balance=balance_of(uow, i),
            status=InvoiceStatus(i.status),
        )
        for i in invoices
    )
    return JobInvoicingSummary(
        job_id=job.id,
        job_number=job.number,
        job_total=total,
        invoiced=invoiced,
        paid=paid,
        remaining_to_invoice=total - invoiced,
        balance_due=sum((line.balance for line in lines), ZERO),
        invoices=lines,
        credited=credited,
    )
