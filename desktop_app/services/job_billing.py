"""What a job is billed for, and the rule that keeps it so: never invoiced past its total.

"You cannot invoice over 100 % of the total job amount" must hold whatever happens after
the invoices are made, so an edit that would take a job's total below what its live (not
void) invoices add up to is refused, naming the amount invoiced and the invoices to void
first. Every writer of a job's total or its invoices locks the job row first
(:func:`lock_job`): a new invoice and an edit of the same job are served one after the
other, so neither decides on a total or an invoice list the other is changing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import Invoice, InvoiceLine, Job
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, format_money
from desktop_app.domain.status import InvoiceStatus
from desktop_app.domain.totals import compute_totals
from desktop_app.errors import ValidationError
from desktop_app.services.common import get
from desktop_app.services.invoice_details import FULL_KINDS


@dataclass(frozen=True)
class BilledInvoice:
    """A live invoice billing (part of) the job, and how much of the job it bills."""

    id: int
    number: str
    amount: Decimal
    #: True for an invoice that bills several jobs (only this job's lines count here).
    shared: bool


@dataclass(frozen=True)
class JobBilling:
    invoiced: Decimal
    invoices: tuple[BilledInvoice, ...]


def lock_job(uow: UnitOfWork, job_id: int) -> Job:
    """The job, its row locked until the transaction ends (PostgreSQL; SQLite writes are serial).

    ``populate_existing`` reloads the row as it is once the lock is ours, so a user who
    waited for another sees that user's committed change.
    """
    if isinstance(job_id, int) and not isinstance(job_id, bool):
        uow.session.scalars(
            select(Job).where(Job.id == job_id).with_for_update().execution_options(populate_existing=True)
        ).first()
    return get(uow, Job, job_id, "Job")


def job_billing(uow: UnitOfWork, job: Job) -> JobBilling:
    """What the job's live invoices bill, in the order they were made.

    A full (standard or segment) invoice bills the whole job, deposits included (they are
    credited inside it), so once one exists it alone counts; until then the partial
    invoices (deposits, progress) add up. A multi-job invoice counts for this job's lines
    on it, taxed at the invoice's rate.
    """
    own = list(
        uow.session.scalars(
            select(Invoice)
            .where(Invoice.job_id == job.id, Invoice.status != InvoiceStatus.VOID.value)
            .order_by(Invoice.id)
        )
    )
    full = [i for i in own if i.kind in FULL_KINDS]
    billed = [BilledInvoice(i.id, i.number, i.total, False) for i in (full or own)]
    shared_rows = uow.session.execute(
        select(Invoice.id, Invoice.number, Invoice.tax_rate, InvoiceLine.amount, InvoiceLine.taxable)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(
            InvoiceLine.job_id == job.id,
            Invoice.job_id.is_(None),
            Invoice.status != InvoiceStatus.VOID.value,
        )
        .order_by(Invoice.id, InvoiceLine.position)
    )
    shared: dict[int, tuple[str, Decimal, list[tuple[Decimal, bool]]]] = {}
    for invoice_id, number, rate, amount, taxable in shared_rows:
        shared.setdefault(invoice_id, (number, rate, []))[2].append((amount, taxable))
    for invoice_id, (number, rate, amounts) in shared.items():
        billed.append(BilledInvoice(invoice_id, number, compute_totals(amounts, rate).total, True))
    return JobBilling(invoiced=sum((b.amount for b in billed), ZERO), invoices=tuple(billed))


def _to_void(billing: JobBilling, new_total: Decimal) -> list[BilledInvoice]:
    """The newest invoices whose voiding brings what is billed down to ``new_total``."""
    chosen: list[BilledInvoice] = []
    left = billing.invoiced
    for invoice in reversed(billing.invoices):
        if left <= new_total:
            break
        chosen.append(invoice)
        left -= invoice.amount
    return chosen


def _names(invoices: Iterable[BilledInvoice]) -> str:
    parts = [
        f"{i.number} ({format_money(i.amount)}{', billing other jobs too' if i.shared else ''})"
        for i in invoices
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def check_total_covers_billing(
    uow: UnitOfWork, job: Job, old_total: Decimal, new_total: Decimal, *, change: str
) -> None:
    """Refuse a change that takes the job's total below what its live invoices bill.

    A job already billed past its total (the tax rate changed since, say) may still be
    edited as long as the edit does not lower the total further.
    """
    if new_total >= old_total:
        return
    billing = job_billing(uow, job)
    if new_total >= billing.invoiced:
        return
    voids = _to_void(billing, new_total)
    plural = "s" if len(voids) > 1 else ""
    raise ValidationError(
        "lines",
        f"Job {job.number} is already invoiced for {format_money(billing.invoiced)}, so {change} "
        f"cannot bring its total down to {format_money(new_total)}. Void invoice{plural} "
        f"{_names(voids)} first, then make the change and invoice the job again.",
    )
