"""Dating invoices by the company's policy: when they are made, issued, and their job finishes.

The rules are in ``domain.invoice_dates``; this module applies them to stored invoices and
moves a due date that follows the invoice date along with it. Finishing a job dates its
invoices *before* the "job finished" event queues anything for QuickBooks, so what is
sent carries the right date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from desktop_app.db.models import Invoice, InvoiceLine, Job, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.invoice_dates import DatePolicy, date_at_creation, date_at_finish, resolve_policy
from desktop_app.domain.status import InvoiceKind, InvoiceStatus, TermsKind
from desktop_app.domain.terms import depends_on_invoice_date
from desktop_app.services.common import audit
from desktop_app.services.events import record_event
from desktop_app.services.settings import get_setting
from desktop_app.services.terms import due_date_for

_PROGRESS = InvoiceKind.PROGRESS.value


def date_policy(uow: UnitOfWork) -> DatePolicy:
    return resolve_policy(
        bool(get_setting(uow, "invoice.date_policy_invoice_date")),
        bool(get_setting(uow, "invoice.date_policy_service_date")),
    )


def _first_progress_date(uow: UnitOfWork, job_id: int) -> date | None:
    value = uow.session.scalar(
        select(Invoice.invoice_date)
        .where(
            Invoice.job_id == job_id,
            Invoice.kind == _PROGRESS,
            Invoice.status != InvoiceStatus.VOID.value,
        )
        .order_by(Invoice.job_sequence, Invoice.id)
        .limit(1)
    )
    return value if isinstance(value, date) else None


def date_for_new_invoice(uow: UnitOfWork, job: Job | None, kind: InvoiceKind, created_on: date) -> date:
    """The date a new invoice of ``job`` made on ``created_on`` carries."""
    finished = job.finished_on if job is not None else None
    progress = kind is InvoiceKind.PROGRESS
    policy = date_policy(uow)
    first = (
        _first_progress_date(uow, job.id)
        if job is not None and progress and policy is DatePolicy.SERVICE_DATE
        else None
    )
    return date_at_creation(policy, finished, created_on, progress=progress, first_progress_date=first)


def redate(uow: UnitOfWork, invoice: Invoice, new_date: date) -> None:
    """Set the invoice date; a due date that follows the invoice date moves with it."""
    if new_date == invoice.invoice_date:
        return
    invoice.invoice_date = new_date
    terms = uow.session.get(Terms, invoice.terms_id) if invoice.terms_id is not None else None
    kind = TermsKind(terms.kind) if terms is not None else TermsKind.UPON_RECEIPT
    if depends_on_invoice_date(kind):
        job = uow.session.get(Job, invoice.job_id) if invoice.job_id is not None else None
        invoice.due_date = due_date_for(terms, invoice_date=new_date, job=job, fixed_date=None)


def _shared_invoices(uow: UnitOfWork, job_id: int) -> list[tuple[Invoice, date]]:
    """Live multi-job invoices billing this job whose jobs are now all finished, with the last finish."""
    invoices = uow.session.scalars(
        select(Invoice)
        .where(
            Invoice.job_id.is_(None),
            Invoice.status != InvoiceStatus.VOID.value,
            Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.job_id == job_id)),
        )
        .order_by(Invoice.id)
    ).all()
    result: list[tuple[Invoice, date]] = []
    for invoice in invoices:
        finishes = list(
            uow.session.scalars(
                select(Job.finished_on).where(
                    Job.id.in_(select(InvoiceLine.job_id).where(InvoiceLine.invoice_id == invoice.id))
                )
            )
        )
        if finishes and all(day is not None for day in finishes):
            result.append((invoice, max(day for day in finishes if day is not None)))
    return result


def date_invoices_of_finished_job(uow: UnitOfWork, job: Job) -> tuple[int, ...]:
    """Give the job's live invoices their service date and the date the policy wants.

    Called when the job is finished, before the "job finished" event (which may queue
    them for QuickBooks); returns the ids of the invoices that changed.
    """
    if job.finished_on is None:
        return ()  # not finished: nothing is dated by its finish
    policy = date_policy(uow)
    own = uow.session.scalars(
        select(Invoice)
        .where(Invoice.job_id == job.id, Invoice.status != InvoiceStatus.VOID.value)
        .order_by(Invoice.id)
    ).all()
    targets = [(invoice, job.finished_on) for invoice in own] + _shared_invoices(uow, job.id)
    changed: list[int] = []
    for invoice, finished in targets:
        before = (invoice.invoice_date, invoice.service_date, invoice.due_date)
        invoice.service_date = finished
        redate(
            uow,
            invoice,
            date_at_finish(
                policy,
                invoice.invoice_date,
                finished,
                progress=invoice.kind == _PROGRESS,
                issued=invoice.issued_at is not None,
            ),
        )
        after = (invoice.invoice_date, invoice.service_date, invoice.due_date)
        if after == before:
            continue
        names = ("invoice_date", "service_date", "due_date")
        audit(
            uow,
            "date",
            "invoice",
            invoice.id,
            summary=f"Invoice {invoice.number} dated {invoice.invoice_date:%m/%d/%Y}: job finished",
            changes={
                name: [str(old) if old else None, str(new) if new else None]
                for name, old, new in zip(names, before, after, strict=True)
                if old != new
            },
        )
        record_event(uow, "invoice.updated", "invoice", invoice.id)
        changed.append(invoice.id)
    return tuple(changed)
