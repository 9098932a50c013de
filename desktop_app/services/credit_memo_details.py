"""What a credit memo looks like to the GUI and other services: details, lists, remainders.

The unapplied remainder (total − applications) is derived, never stored. Which invoices a
credit can go to follows QuickBooks: a credit is applied only to invoices of the same
customer or job (the same QuickBooks Customer:Job), so a job's credit goes to that job's
invoices and a credit to the customer to the customer's invoices billed to no one job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.credit_models import CreditApplication, CreditMemo
from desktop_app.db.models import Customer, Invoice, Job
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO
from desktop_app.domain.status import CreditReason, CreditStatus, InvoiceStatus
from desktop_app.services.common import get
from desktop_app.services.invoice_details import balance_of
from desktop_app.services.lines import LineDetail, line_details
from desktop_app.services.qb_links import in_quickbooks

ENTITY = "credit_memo"


@dataclass(frozen=True)
class CreditApplicationDetail:
    invoice_id: int
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True)
class CreditMemoDetail:
    id: int
    version: int
    number: str
    customer_id: int
    customer_name: str
    job_id: int | None
    job_number: str | None
    credit_date: date
    reason: CreditReason
    memo: str
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    applied: Decimal
    remaining: Decimal
    status: CreditStatus
    voided_at: datetime | None
    void_reason: str
    in_quickbooks: bool
    lines: tuple[LineDetail, ...]
    applications: tuple[CreditApplicationDetail, ...]


@dataclass(frozen=True)
class CreditMemoRow:
    id: int
    number: str
    customer_id: int
    customer_name: str
    job_id: int | None
    job_number: str | None
    credit_date: date
    reason: CreditReason
    total: Decimal
    applied: Decimal
    remaining: Decimal
    status: CreditStatus
    applications: tuple[CreditApplicationDetail, ...]


@dataclass(frozen=True)
class AppliedCredit:
    """One credit memo's part on an invoice (for the invoice window and the PDF)."""

    credit_memo_id: int
    number: str
    credit_date: date
    amount: Decimal


@dataclass(frozen=True)
class InvoiceChoice:
    """An invoice a credit can be applied to, with its balance and what this credit gives it."""

    id: int
    number: str
    job_number: str | None
    invoice_date: date
    total: Decimal
    balance: Decimal
    applied_here: Decimal


def applied_of(credit: CreditMemo) -> Decimal:
    return sum((a.amount for a in credit.applications), ZERO)


def remaining_of(credit: CreditMemo) -> Decimal:
    """What is left to apply; nothing on a void credit memo."""
    if credit.status == CreditStatus.VOID.value:
        return ZERO
    return credit.total - applied_of(credit)


def refresh_credit_status(credit: CreditMemo) -> None:
    if credit.status == CreditStatus.VOID.value:
        return
    fully = credit.total > 0 and remaining_of(credit) <= 0
    credit.status = CreditStatus.APPLIED.value if fully else CreditStatus.OPEN.value


def same_quickbooks_customer(credit: CreditMemo, invoice: Invoice) -> bool:
    """QuickBooks applies a credit to invoices of its own Customer:Job only."""
    if credit.job_id is not None:
        return invoice.job_id == credit.job_id
    return invoice.customer_id == credit.customer_id and invoice.job_id is None


def _applications(uow: UnitOfWork, credit: CreditMemo) -> tuple[CreditApplicationDetail, ...]:
    result = []
    for app in credit.applications:
        invoice = get(uow, Invoice, app.invoice_id, "Invoice")
        result.append(CreditApplicationDetail(app.invoice_id, invoice.number, app.amount))
    return tuple(result)


def credit_detail(uow: UnitOfWork, credit: CreditMemo) -> CreditMemoDetail:
    uow.session.flush()
    uow.session.refresh(credit, ["applications", "lines"])
    customer = get(uow, Customer, credit.customer_id, "Customer")
    job = uow.session.get(Job, credit.job_id) if credit.job_id is not None else None
    applied = applied_of(credit)
    return CreditMemoDetail(
        id=credit.id,
        version=credit.version,
        number=credit.number,
        customer_id=credit.customer_id,
        customer_name=customer.display_name,
        job_id=credit.job_id,
        job_number=job.number if job is not None else None,
        credit_date=credit.credit_date,
        reason=CreditReason(credit.reason),
        memo=credit.memo,
        subtotal=credit.subtotal,
        tax_rate=credit.tax_rate,
        tax=credit.tax,
        total=credit.total,
        applied=applied,
        remaining=remaining_of(credit),
        status=CreditStatus(credit.status),
        voided_at=credit.voided_at,
        void_reason=credit.void_reason,
        in_quickbooks=in_quickbooks(uow, ENTITY, credit.id),
        lines=line_details(uow, credit.lines),
        applications=_applications(uow, credit),
    )


def get_credit_memo(uow: UnitOfWork, credit_id: int) -> CreditMemoDetail:
    return credit_detail(uow, get(uow, CreditMemo, credit_id, "Credit memo"))


def list_credit_memos(
    uow: UnitOfWork, *, customer_id: int | None = None, job_id: int | None = None
) -> tuple[CreditMemoRow, ...]:
    """A customer's (or a job's) credit memos, newest first, void ones included."""
    query = select(CreditMemo).order_by(CreditMemo.credit_date.desc(), CreditMemo.id.desc())
    if customer_id is not None:
        query = query.where(CreditMemo.customer_id == customer_id)
    if job_id is not None:
        query = query.where(CreditMemo.job_id == job_id)
    rows = []
    for credit in uow.session.scalars(query):
        customer = get(uow, Customer, credit.customer_id, "Customer")
        job = uow.session.get(Job, credit.job_id) if credit.job_id is not None else None
        rows.append(
            CreditMemoRow(
                id=credit.id,
                number=credit.number,
                customer_id=credit.customer_id,
                customer_name=customer.display_name,
                job_id=credit.job_id,
                job_number=job.number if job is not None else None,
                credit_date=credit.credit_date,
                reason=CreditReason(credit.reason),
                total=credit.total,
                applied=applied_of(credit),
                remaining=remaining_of(credit),
                status=CreditStatus(credit.status),
                applications=_applications(uow, credit),
            )
        )
    return tuple(rows)


def credits_for_invoice(uow: UnitOfWork, invoice_id: int) -> tuple[AppliedCredit, ...]:
    """The credit memos applied to an invoice, oldest first."""
    get(uow, Invoice, invoice_id, "Invoice")
    rows = uow.session.execute(
        select(CreditMemo.id, CreditMemo.number, CreditMemo.credit_date, CreditApplication.amount)
        .join(CreditApplication, CreditApplication.credit_memo_id == CreditMemo.id)
        .where(CreditApplication.invoice_id == invoice_id)
        .order_by(CreditApplication.id)
    ).all()
    return tuple(AppliedCredit(int(r[0]), r[1], r[2], r[3]) for r in rows)


def invoices_for_credit(uow: UnitOfWork, credit_id: int) -> tuple[InvoiceChoice, ...]:
    """Invoices the credit can be applied to (open, same Customer:Job), and those it already is."""
    credit = get(uow, CreditMemo, credit_id, "Credit memo")
    mine = {a.invoice_id: a.amount for a in credit.applications}
    query = select(Invoice).where(Invoice.customer_id == credit.customer_id).order_by(Invoice.id)
    choices = []
    for invoice in uow.session.scalars(query):
        if not same_quickbooks_customer(credit, invoice):
            continue
        balance = balance_of(uow, invoice)
        live = invoice.status != InvoiceStatus.VOID.value and invoice.credited_to_invoice_id is None
        if invoice.id not in mine and not (live and balance > 0):
            continue
        job = uow.session.get(Job, invoice.job_id) if invoice.job_id is not None else None
        choices.append(
            InvoiceChoice(
                id=invoice.id,
                number=invoice.number,
                job_number=job.number if job is not None else None,
                invoice_date=invoice.invoice_date,
                total=invoice.total,
                balance=balance,
                applied_here=mine.get(invoice.id, ZERO),
            )
        )
    return tuple(choices)
