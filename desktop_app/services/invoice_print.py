"""Everything printed on an invoice, gathered in one read: the invoice, who sends it, where
the work was, the payments and credit memos applied, and for progress and deposit invoices the job's share.

The printed invoice (``desktop_app/ui/invoice_document.py``) only lays this out; every
figure on the paper comes from here, so the PDF, the printout and the command line agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import Invoice, Job, Payment, PaymentApplication, ServiceLocation, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import HUNDRED, ZERO
from desktop_app.domain.status import InvoiceKind, PaymentMethod
from desktop_app.errors import NotFound, ValidationError
from desktop_app.services.common import get
from desktop_app.services.credit_memo_details import AppliedCredit, credits_for_invoice
from desktop_app.services.invoice_details import InvoiceDetail, detail, job_total
from desktop_app.services.job_billing import job_billing
from desktop_app.services.settings import get_all

METHOD_LABELS = {
    PaymentMethod.CASH.value: "Cash",
    PaymentMethod.CHECK.value: "Check",
    PaymentMethod.CARD.value: "Card",
    PaymentMethod.ACH.value: "ACH transfer",
    PaymentMethod.OTHER.value: "Payment",
}


@dataclass(frozen=True)
class Sender:
    """The company on the invoice's header, and where payments go."""

    name: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    logo_path: str


@dataclass(frozen=True)
class AppliedPayment:
    received_on: date
    method: str
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class JobShare:
    """A progress or deposit invoice's place in its job: x % of the total, and what is left."""

    percent: Decimal
    job_total: Decimal
    previously_invoiced: Decimal
    this_invoice: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class PrintableInvoice:
    invoice: InvoiceDetail
    sender: Sender
    terms_name: str
    job_name: str
    service_address: tuple[str, ...]
    payments: tuple[AppliedPayment, ...]
    share: JobShare | None
    #: Credit memos applied to the invoice ("Credit CM-1001 applied"), oldest first.
    credits: tuple[AppliedCredit, ...] = ()

    @property
    def bill_to(self) -> tuple[str, ...]:
        """Name, street and unit, city state zip: the lines of the Bill to block."""
        street, unit, city, state, zip_code = self.invoice.bill_address
        place = ", ".join(p for p in (city, f"{state} {zip_code}".strip()) if p)
        lines = (self.invoice.bill_name or self.invoice.customer_name, street, unit, place)
        return tuple(line for line in lines if line.strip())


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.replace("\r", "").split("\n") if line.strip())


def sender(uow: UnitOfWork) -> Sender:
    values = get_all(uow)
    return Sender(
        name=str(values["company.name"]),
        address_lines=_lines(str(values["company.address"])),
        phone=str(values["company.phone"]),
        email=str(values["company.email"]),
        logo_path=str(values["company.logo_path"]),
    )


def _service_lines(invoice: Invoice, location: ServiceLocation | None) -> tuple[str, ...]:
    """The service address copied onto the invoice (QuickBooks' ship-to), named after the
    job's location when it is that one; the job's location itself for older invoices."""
    street, unit, city, state, zip_code = (
        (invoice.ship_street, invoice.ship_unit, invoice.ship_city, invoice.ship_state, invoice.ship_zip)
        if invoice.ship_street or invoice.ship_city
        else (
            (location.street, location.unit, location.city, location.state, location.zip)
            if location is not None
            else ("", "", "", "", "")
        )
    )
    name = location.name if location is not None and location.street == street else ""
    place = ", ".join(p for p in (city, f"{state} {zip_code}".strip()) if p)
    lines = (name if name != street else "", " ".join(p for p in (street, unit) if p), place)
    return tuple(line for line in lines if line)


def _payments(uow: UnitOfWork, invoice_id: int) -> tuple[AppliedPayment, ...]:
    rows = uow.session.execute(
        select(Payment.received_on, Payment.method, Payment.reference, PaymentApplication.amount)
        .join(PaymentApplication, PaymentApplication.payment_id == Payment.id)
        .where(PaymentApplication.invoice_id == invoice_id, Payment.deleted_at.is_(None))
        .order_by(Payment.received_on, Payment.id)
    )
    return tuple(
        AppliedPayment(received_on, METHOD_LABELS.get(method, "Payment"), reference, amount)
        for received_on, method, reference, amount in rows
    )


def _share(uow: UnitOfWork, invoice: Invoice, job: Job) -> JobShare:
    total = job_total(uow, job)
    earlier = [b.amount for b in job_billing(uow, job).invoices if b.id < invoice.id]
    previously = sum(earlier, ZERO)
    if invoice.percent is not None:
        percent = invoice.percent
    elif total:
        percent = (invoice.total * HUNDRED / total).quantize(Decimal("0.01"))
    else:
        percent = ZERO
    return JobShare(
        percent=percent,
        job_total=total,
        previously_invoiced=previously,
        this_invoice=invoice.total,
        remaining=total - previously - invoice.total,
    )


def printable_invoice(uow: UnitOfWork, invoice_id: int) -> PrintableInvoice:
    invoice = get(uow, Invoice, invoice_id, "Invoice")
    job = uow.session.get(Job, invoice.job_id) if invoice.job_id is not None else None
    location = uow.session.get(ServiceLocation, job.location_id) if job and job.location_id else None
    terms = uow.session.get(Terms, invoice.terms_id) if invoice.terms_id is not None else None
    partial = invoice.kind in (InvoiceKind.PROGRESS.value, InvoiceKind.DEPOSIT.value)
    return PrintableInvoice(
        invoice=detail(uow, invoice),
        sender=sender(uow),
        terms_name=terms.name if terms is not None else "",
        job_name=job.name if job is not None else "",
        service_address=_service_lines(invoice, location),
        payments=_payments(uow, invoice.id),
        share=_share(uow, invoice, job) if partial and job is not None else None,
        credits=credits_for_invoice(uow, invoice.id),
    )


def invoice_ids_by_number(uow: UnitOfWork, numbers: Sequence[str]) -> tuple[int, ...]:
    """The invoices with these numbers, in the order given; every number must exist."""
    wanted = [str(n).strip() for n in numbers]
    if not wanted or not all(wanted):
        raise ValidationError("numbers", "Give at least one invoice number.")
    found = dict(
        uow.session.execute(select(Invoice.number, Invoice.id).where(Invoice.number.in_(wanted))).all()
    )
    missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFound("Invoice", ", ".join(missing))
    return tuple(found[n] for n in wanted)
