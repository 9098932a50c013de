"""What an invoice looks like to the GUI and the other services: details and balances.

Balance = total − deposit_credit − payments applied − credits applied; it is never stored,
so it cannot drift. Payments, credit memos and the invoice lists use these helpers too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from desktop_app.db.credit_models import CreditApplication
from desktop_app.db.models import Customer, Invoice, Job, PaymentApplication
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO
from desktop_app.domain.status import InvoiceKind, InvoiceStatus, PaymentMethod
from desktop_app.domain.totals import compute_totals
from desktop_app.errors import InvalidTransition
from desktop_app.services import qb_links
from desktop_app.services.common import get
from desktop_app.services.events import record_event
from desktop_app.services.settings import get_setting


@dataclass(frozen=True)
class InvoiceLineDetail:
    id: int
    position: int
    job_id: int | None
    item_id: int | None
    description: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    taxable: bool


@dataclass(frozen=True)
class InvoiceDetail:
    id: int
    version: int
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    customer_id: int
    customer_name: str
    job_id: int | None
    job_number: str | None
    job_sequence: int | None
    percent: Decimal | None
    invoice_date: date
    service_date: date | None
    terms_id: int | None
    due_date: date | None
    bill_name: str
    bill_address: tuple[str, str, str, str, str]
    memo: str
    customer_notes: str
    attachments: tuple[str, ...]
    allowed_payment_methods: tuple[PaymentMethod, ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    deposit_credit: Decimal
    credited_to_invoice_id: int | None
    amount_paid: Decimal
    balance: Decimal
    issued_at: datetime | None
    sent_at: datetime | None
    voided_at: datetime | None
    void_reason: str
    in_quickbooks: bool
    lines: tuple[InvoiceLineDetail, ...]
    #: Credit memos applied to this invoice (the balance already counts them).
    credits_applied: Decimal = ZERO


# --- shared helpers (payments use these too) --------------------------------------------------


PARTIAL_KINDS = (InvoiceKind.PROGRESS.value, InvoiceKind.DEPOSIT.value)
FULL_KINDS = (InvoiceKind.STANDARD.value, InvoiceKind.SEGMENT.value)


def live_invoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """The invoice, refused when void (a void invoice cannot be changed)."""
    invoice = get(uow, Invoice, invoice_id, "Invoice")
    if invoice.status == InvoiceStatus.VOID.value:
        raise InvalidTransition(f"Invoice {invoice.number} is void; a void invoice cannot be changed.")
    return invoice


def applied_total(uow: UnitOfWork, invoice_id: int) -> Decimal:
    value = uow.session.scalar(
        select(func.sum(PaymentApplication.amount)).where(PaymentApplication.invoice_id == invoice_id)
    )
    return value if isinstance(value, Decimal) else ZERO


def credited_total(uow: UnitOfWork, invoice_id: int) -> Decimal:
    """What credit memos have applied to the invoice (void credit memos have no applications)."""
    value = uow.session.scalar(
        select(func.sum(CreditApplication.amount)).where(CreditApplication.invoice_id == invoice_id)
    )
    return value if isinstance(value, Decimal) else ZERO


def balance_of(uow: UnitOfWork, invoice: Invoice) -> Decimal:
    if invoice.status == InvoiceStatus.VOID.value:
        return ZERO
    return (
        invoice.total
        - invoice.deposit_credit
        - applied_total(uow, invoice.id)
        - credited_total(uow, invoice.id)
    )


def refresh_status(uow: UnitOfWork, invoice: Invoice) -> None:
    """Paid at zero balance, Open otherwise; records "invoice.paid" when it becomes Paid."""
    if invoice.status == InvoiceStatus.VOID.value:
        return
    uow.session.flush()
    paid = invoice.total > 0 and balance_of(uow, invoice) <= 0
    new = InvoiceStatus.PAID.value if paid else InvoiceStatus.OPEN.value
    if new != invoice.status:
        invoice.status = new
        if paid:
            record_event(uow, "invoice.paid", "invoice", invoice.id)


def tax_rate(uow: UnitOfWork) -> Decimal:
    return Decimal(get_setting(uow, "tax.default_rate"))


def job_total(uow: UnitOfWork, job: Job) -> Decimal:
    """The job total progress and deposit shares are taken of: lines + tax at the default rate."""
    customer = get(uow, Customer, job.customer_id, "Customer")
    totals = compute_totals(
        ((line.amount, line.taxable) for line in job.lines), tax_rate(uow), tax_exempt=customer.tax_exempt
    )
    return totals.total


def job_invoices(uow: UnitOfWork, job_id: int) -> list[Invoice]:
    return list(uow.session.scalars(select(Invoice).where(Invoice.job_id == job_id).order_by(Invoice.id)))


def in_quickbooks(uow: UnitOfWork, invoice_id: int) -> bool:
    return qb_links.in_quickbooks(uow, "invoice", invoice_id)


def detail(uow: UnitOfWork, invoice: Invoice) -> InvoiceDetail:
    customer = get(uow, Customer, invoice.customer_id, "Customer")
    job = uow.session.get(Job, invoice.job_id) if invoice.job_id is not None else None
    paid = applied_total(uow, invoice.id)
    return InvoiceDetail(
        id=invoice.id,
        version=invoice.version,
        number=invoice.number,
        kind=InvoiceKind(invoice.kind),
        status=InvoiceStatus(invoice.status),
        customer_id=invoice.customer_id,
        customer_name=customer.display_name,
        job_id=invoice.job_id,
        job_number=job.number if job is not None else None,
        job_sequence=invoice.job_sequence,
        percent=invoice.percent,
        invoice_date=invoice.invoice_date,
        service_date=invoice.service_date,
        terms_id=invoice.terms_id,
        due_date=invoice.due_date,
        bill_name=invoice.bill_name,
        bill_address=(
            invoice.bill_street,
            invoice.bill_unit,
            invoice.bill_city,
            invoice.bill_state,
            invoice.bill_zip,
        ),
        memo=invoice.memo,
        customer_notes=invoice.customer_notes,
        attachments=tuple(a for a in invoice.attachments.split("\n") if a),
        allowed_payment_methods=tuple(
            PaymentMethod(m) for m in invoice.allowed_payment_methods.split(",") if m
        ),
        subtotal=invoice.subtotal,
        tax_rate=invoice.tax_rate,
        tax=invoice.tax,
        total=invoice.total,
        deposit_credit=invoice.deposit_credit,
        credited_to_invoice_id=invoice.credited_to_invoice_id,
        amount_paid=paid,
        balance=balance_of(uow, invoice),
        issued_at=invoice.issued_at,
        sent_at=invoice.sent_at,
        voided_at=invoice.voided_at,
        void_reason=invoice.void_reason,
        in_quickbooks=in_quickbooks(uow, invoice.id),
        credits_applied=credited_total(uow, invoice.id),
        lines=tuple(
            InvoiceLineDetail(
                line.id,
                line.position,
                line.job_id,
                line.item_id,
                line.description,
                line.quantity,
                line.rate,
                line.amount,
                line.taxable,
            )
            for line in invoice.lines
        ),
    )


def get_invoice(uow: UnitOfWork, invoice_id: int) -> InvoiceDetail:
    return detail(uow, get(uow, Invoice, invoice_id, "Invoice"))


def refuse_if_deposit_credited(uow: UnitOfWork, invoice: Invoice, doing: str) -> None:
    """A deposit credited to the job's invoice counts what settled it there (payments and
    credits): what settled it stays until that invoice is voided."""
    if invoice.credited_to_invoice_id is not None:
        main = get(uow, Invoice, invoice.credited_to_invoice_id, "Invoice")
        raise InvalidTransition(
            f"Deposit {invoice.number} is credited to invoice {main.number}; void that invoice before "
            f"{doing}."
        )
