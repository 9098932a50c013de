"""Invoices: full, progress, deposit, segment and multi-job; issue, void, edit.

(What an invoice looks like — details, balances — is in ``invoice_details``; its names are
re-exported here, so ``invoices.get_invoice`` etc. keep working.)

Balance = total − deposit_credit − payments applied. A deposit is credited to its job's
main invoice when that invoice is issued: the main invoice's ``deposit_credit`` holds the
paid deposit amounts and each deposit's ``credited_to_invoice_id`` points at it, so the
sync can later express the credit in QuickBooks (a negative "Deposit applied" line
referencing the deposit invoices, or applying the deposit payment).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import (
    Customer,
    Invoice,
    InvoiceLine,
    Job,
    ServiceLocation,
)
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.invoice_dates import date_at_issue
from desktop_app.domain.money import ZERO, format_money, parse_decimal, parse_money
from desktop_app.domain.progress import PERCENT_PLACES, NewShare, Share, next_share
from desktop_app.domain.status import InvoiceKind, InvoiceStatus, JobStatus
from desktop_app.domain.totals import compute_totals
from desktop_app.errors import InvalidTransition, ValidationError
from desktop_app.services.common import (
    MAX_NOTE,
    audit,
    check_date,
    clean_text,
    get,
    require_admin,
)
from desktop_app.services.events import record_event
from desktop_app.services.invoice_dating import date_for_new_invoice, date_policy, redate
from desktop_app.services.invoice_details import (
    FULL_KINDS,
    PARTIAL_KINDS,
    InvoiceDetail,
    InvoiceLineDetail,
    applied_total,
    balance_of,
    credited_total,
    detail,
    get_invoice,
    in_quickbooks,
    job_invoices,
    job_total,
    live_invoice,
    refresh_status,
    tax_rate,
)
from desktop_app.services.invoice_edits import UNSET, update_invoice
from desktop_app.services.job_billing import lock_job
from desktop_app.services.numbering import invoice_number_for
from desktop_app.services.settings import get_setting
from desktop_app.services.terms import check_chosen_due, due_date_for, resolve_terms

__all__ = [
    "FULL_KINDS",
    "PARTIAL_KINDS",
    "UNSET",
    "InvoiceDetail",
    "InvoiceLineDetail",
    "applied_total",
    "balance_of",
    "create_deposit_invoice",
    "create_invoice",
    "create_multi_job_invoice",
    "create_progress_invoice",
    "credited_total",
    "detail",
    "get_invoice",
    "in_quickbooks",
    "issue_invoice",
    "job_invoices",
    "job_total",
    "refresh_status",
    "tax_rate",
    "update_invoice",
    "void_invoice",
]


# --- creating ---------------------------------------------------------------------------------


def _billable_job(uow: UnitOfWork, job_id: int) -> Job:
    # Lock the job row: two users invoicing (or editing) the same job at once are served one
    # after the other, so the second sees the first's invoice (never past 100%).
    job = lock_job(uow, job_id)
    if job.status == JobStatus.CANCELLED.value:
        raise InvalidTransition(f"Job {job.number} is cancelled; a cancelled job cannot be invoiced.")
    # A job billed in full on an invoice of several jobs has nothing left to invoice
    # (its lines are not in the job's own invoice list, so check them here).
    shared = uow.session.scalar(
        select(Invoice.number)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(
            InvoiceLine.job_id == job.id, Invoice.job_id.is_(None), Invoice.status != InvoiceStatus.VOID.value
        )
        .limit(1)
    )
    if shared is not None:
        raise InvalidTransition(
            f"Job {job.number} is already billed on invoice {shared}, together with other jobs. "
            "Void that invoice first to invoice the job again."
        )
    return job


def _new_invoice(
    uow: UnitOfWork,
    *,
    customer: Customer,
    job: Job | None,
    kind: InvoiceKind,
    terms_id: int | None,
    due_date: date | None,
    memo: str,
    customer_notes: str,
    today: date | None,
) -> Invoice:
    """Validate the common fields and build an unsaved invoice (no number yet)."""
    memo = clean_text(memo, "memo", max_length=4095)
    notes = clean_text(customer_notes, "customer_notes", max_length=MAX_NOTE)
    fixed = check_date(due_date, "due_date")
    created_on = today or date.today()
    terms = resolve_terms(uow, terms_id)
    finished = job.finished_on if job is not None else None
    invoice_date = date_for_new_invoice(uow, job, kind, created_on)
    due = due_date_for(terms, invoice_date=invoice_date, job=job, fixed_date=fixed)
    check_chosen_due(terms, fixed, invoice_date)
    return Invoice(
        kind=kind.value,
        customer_id=customer.id,
        job_id=job.id if job is not None else None,
        invoice_date=invoice_date,
        service_date=finished,
        terms_id=terms.id if terms is not None else None,
        due_date=due,
        bill_name=customer.display_name,
        bill_street=customer.bill_street,
        bill_unit=customer.bill_unit,
        bill_city=customer.bill_city,
        bill_state=customer.bill_state,
        bill_zip=customer.bill_zip,
        memo=memo,
        customer_notes=notes,
        status=InvoiceStatus.OPEN.value,
        **_service_address(uow, job),
    )


def _service_address(uow: UnitOfWork, job: Job | None) -> dict[str, str]:
    """The job's service location, copied onto the invoice (QuickBooks' ShipAddress)."""
    location = uow.session.get(ServiceLocation, job.location_id) if job and job.location_id else None
    if location is None:
        return {}
    return {
        "ship_street": location.street,
        "ship_unit": location.unit,
        "ship_city": location.city,
        "ship_state": location.state,
        "ship_zip": location.zip,
    }


def _save_new(uow: UnitOfWork, invoice: Invoice, job: Job | None) -> InvoiceDetail:
    number, sequence = invoice_number_for(uow, InvoiceKind(invoice.kind), job)
    invoice.number = number
    invoice.job_sequence = sequence
    uow.session.add(invoice)
    uow.flush()
    audit(
        uow,
        "create",
        "invoice",
        invoice.id,
        summary=f"{invoice.kind.capitalize()} invoice {number} created for {format_money(invoice.total)}",
        changes={"number": [None, number], "total": [None, str(invoice.total)]},
    )
    record_event(uow, "invoice.created", "invoice", invoice.id)
    return detail(uow, invoice)


def _copy_lines(invoice: Invoice, jobs: Sequence[Job]) -> None:
    position = 0
    for job in jobs:
        for line in job.lines:
            invoice.lines.append(
                InvoiceLine(
                    position=position,
                    job_id=job.id,
                    item_id=line.item_id,
                    description=line.description,
                    quantity=line.quantity,
                    rate=line.rate,
                    amount=line.amount,
                    taxable=line.taxable,
                )
            )
            position += 1


def _set_totals(uow: UnitOfWork, invoice: Invoice, customer: Customer) -> None:
    rate = tax_rate(uow)
    totals = compute_totals(
        ((line.amount, line.taxable) for line in invoice.lines), rate, tax_exempt=customer.tax_exempt
    )
    invoice.subtotal = totals.subtotal
    invoice.tax_rate = ZERO if customer.tax_exempt else rate
    invoice.tax = totals.tax
    invoice.total = totals.total


def create_invoice(
    uow: UnitOfWork,
    job_id: int,
    *,
    terms_id: int | None = None,
    due_date: date | None = None,
    memo: str = "",
    customer_notes: str = "",
    today: date | None = None,
) -> InvoiceDetail:
    """The job's main invoice: its lines, taxed; a segment job's invoice is a "segment" invoice."""
    job = _billable_job(uow, job_id)
    live = [i for i in job_invoices(uow, job.id) if i.status != InvoiceStatus.VOID.value]
    if any(i.kind in FULL_KINDS for i in live):
        existing = next(i for i in live if i.kind in FULL_KINDS)
        raise InvalidTransition(
            f"Job {job.number} already has invoice {existing.number}. Void it first to invoice the job again."
        )
    if any(i.kind == InvoiceKind.PROGRESS.value for i in live):
        left = job_total(uow, job) - sum((i.total for i in live if i.kind in PARTIAL_KINDS), ZERO)
        raise InvalidTransition(
            f"Job {job.number} is billed by progress invoices; invoice the remaining "
            f"{format_money(left)} as a progress invoice."
        )
    if not job.lines:
        raise ValidationError("lines", f"Job {job.number} has no lines to invoice.")
    customer = get(uow, Customer, job.customer_id, "Customer")
    kind = InvoiceKind.SEGMENT if job.parent_job_id is not None else InvoiceKind.STANDARD
    invoice = _new_invoice(
        uow,
        customer=customer,
        job=job,
        kind=kind,
        terms_id=terms_id,
        due_date=due_date,
        memo=memo,
        customer_notes=customer_notes,
        today=today,
    )
    _copy_lines(invoice, [job])
    _set_totals(uow, invoice, customer)
    return _save_new(uow, invoice, job)


def _partial(
    uow: UnitOfWork,
    kind: InvoiceKind,
    job_id: int,
    percent: object,
    amount: object,
    terms_id: int | None,
    due_date: date | None,
    memo: str,
    customer_notes: str,
    today: date | None,
) -> InvoiceDetail:
    job = _billable_job(uow, job_id)
    live = [i for i in job_invoices(uow, job.id) if i.status != InvoiceStatus.VOID.value]
    main = next((i for i in live if i.kind in FULL_KINDS), None)
    if main is not None:
        raise InvalidTransition(
            f"Job {job.number} is already billed in full by invoice {main.number}; void it first."
        )
    share = _share(uow, job, live, percent, amount)
    customer = get(uow, Customer, job.customer_id, "Customer")
    invoice = _new_invoice(
        uow,
        customer=customer,
        job=job,
        kind=kind,
        terms_id=terms_id,
        due_date=due_date,
        memo=memo,
        customer_notes=customer_notes,
        today=today,
    )
    shown = f"{share.percent.normalize():f}%"
    label = "Progress billing" if kind is InvoiceKind.PROGRESS else "Deposit"
    invoice.lines.append(
        InvoiceLine(
            position=0,
            job_id=job.id,
            description=f"{label} {shown} of job {job.number} – {job.name}",
            quantity=Decimal(1),
            rate=share.amount,
            amount=share.amount,
            taxable=False,
        )
    )
    invoice.percent = share.percent
    # The share is of the taxed job total, so the invoice itself carries no further tax.
    invoice.subtotal = share.amount
    invoice.tax_rate = ZERO
    invoice.tax = ZERO
    invoice.total = share.amount
    return _save_new(uow, invoice, job)


def _share(uow: UnitOfWork, job: Job, live: list[Invoice], percent: object, amount: object) -> NewShare:
    pct = None if percent is None else parse_decimal(percent, "percent", places=PERCENT_PLACES)
    amt = None if amount is None else parse_money(amount, "amount")
    shares = [Share(i.total, i.percent or ZERO) for i in live if i.kind in PARTIAL_KINDS]
    return next_share(job_total(uow, job), shares, percent=pct, amount=amt)


def create_progress_invoice(
    uow: UnitOfWork,
    job_id: int,
    *,
    percent: object = None,
    amount: object = None,
    terms_id: int | None = None,
    due_date: date | None = None,
    memo: str = "",
    customer_notes: str = "",
    today: date | None = None,
) -> InvoiceDetail:
    """A progress invoice for a percentage of the job total or a fixed amount (never past 100%)."""
    if not get_setting(uow, "numbering.progress"):
        raise InvalidTransition("Progress invoicing is turned off. An admin can turn it on in Settings.")
    return _partial(
        uow, InvoiceKind.PROGRESS, job_id, percent, amount, terms_id, due_date, memo, customer_notes, today
    )


def create_deposit_invoice(
    uow: UnitOfWork,
    job_id: int,
    *,
    percent: object = None,
    amount: object = None,
    terms_id: int | None = None,
    due_date: date | None = None,
    memo: str = "",
    customer_notes: str = "",
    today: date | None = None,
) -> InvoiceDetail:
    """A deposit for a job; once paid it is credited to the job's main invoice when that is issued."""
    return _partial(
        uow, InvoiceKind.DEPOSIT, job_id, percent, amount, terms_id, due_date, memo, customer_notes, today
    )


def create_multi_job_invoice(
    uow: UnitOfWork,
    customer_id: int,
    job_ids: Sequence[int],
    *,
    terms_id: int | None = None,
    due_date: date | None = None,
    memo: str = "",
    customer_notes: str = "",
    today: date | None = None,
) -> InvoiceDetail:
    """One invoice billing the lines of several jobs of one customer (in QuickBooks: the customer's)."""
    customer = get(uow, Customer, customer_id, "Customer")
    unique_ids = list(dict.fromkeys(job_ids))
    if len(unique_ids) < 2:
        raise ValidationError("job_ids", "Choose at least two jobs to bill on one invoice.")
    # Rows are locked in id order, whatever order the user chose: two users billing the
    # same jobs chosen in opposite orders then wait for each other instead of deadlocking.
    in_lock_order = sorted(unique_ids) if all(type(i) is int for i in unique_ids) else unique_ids
    locked = {job_id: _billable_job(uow, job_id) for job_id in in_lock_order}
    jobs = [locked[job_id] for job_id in unique_ids]
    others = [j.number for j in jobs if j.customer_id != customer.id]
    if others:
        raise ValidationError(
            "job_ids",
            f"Job {', '.join(others)} belongs to another customer; one invoice can only bill jobs of "
            f"{customer.display_name}.",
        )
    for job in jobs:
        if not job.lines:
            raise ValidationError("job_ids", f"Job {job.number} has no lines to invoice.")
        if any(i.status != InvoiceStatus.VOID.value for i in job_invoices(uow, job.id)):
            raise InvalidTransition(f"Job {job.number} already has its own invoice.")
    invoice = _new_invoice(
        uow,
        customer=customer,
        job=None,
        kind=InvoiceKind.STANDARD,
        terms_id=terms_id,
        due_date=due_date,
        memo=memo,
        customer_notes=customer_notes,
        today=today,
    )
    finished = [j.finished_on for j in jobs if j.finished_on is not None]
    if len(finished) == len(jobs):
        invoice.service_date = max(finished)
        invoice.invoice_date = max(finished)
    _copy_lines(invoice, jobs)
    _set_totals(uow, invoice, customer)
    return _save_new(uow, invoice, None)


# --- actions ----------------------------------------------------------------------------------


def _credit_deposits(uow: UnitOfWork, main: Invoice) -> None:
    if main.job_id is None or main.kind not in FULL_KINDS:
        return
    for deposit in job_invoices(uow, main.job_id):
        if (
            deposit.kind != InvoiceKind.DEPOSIT.value
            or deposit.status == InvoiceStatus.VOID.value
            or deposit.credited_to_invoice_id is not None
        ):
            continue
        # What settled the deposit: payments, and credit memos applied to it (a credit there
        # lowers what the job owes as much as one applied to this invoice would).
        settled = applied_total(uow, deposit.id) + credited_total(uow, deposit.id)
        # What the invoice still owes, after payments and credit memos applied to it (while a
        # draft) and deposits credited before this one: a deposit never takes it below zero.
        room = balance_of(uow, main)
        credit = min(settled, room)
        if credit <= 0:
            continue
        main.deposit_credit += credit
        deposit.credited_to_invoice_id = main.id
        audit(
            uow,
            "deposit",
            "invoice",
            main.id,
            summary=f"Deposit {deposit.number} ({format_money(credit)}) credited to invoice {main.number}",
            changes={"deposit_credit": [str(main.deposit_credit - credit), str(main.deposit_credit)]},
        )


def issue_invoice(uow: UnitOfWork, invoice_id: int, *, on: date | None = None) -> InvoiceDetail:
    """Issue (send) an invoice: dates it per the policy, credits paid deposits, tells the sync."""
    invoice = live_invoice(uow, invoice_id)
    issued_on = on or date.today()
    now = utcnow()
    before = {"invoice_date": invoice.invoice_date, "due_date": invoice.due_date}
    if invoice.issued_at is None:
        redate(uow, invoice, date_at_issue(date_policy(uow), invoice.invoice_date, issued_on))
        invoice.issued_at = now
        _credit_deposits(uow, invoice)
    invoice.sent_at = now
    refresh_status(uow, invoice)
    audit(
        uow,
        "issue",
        "invoice",
        invoice.id,
        summary=f"Invoice {invoice.number} issued",
        changes={
            k: [str(v), str(getattr(invoice, k))] for k, v in before.items() if v != getattr(invoice, k)
        },
    )
    record_event(uow, "invoice.issued", "invoice", invoice.id)
    uow.flush()
    return detail(uow, invoice)


def void_invoice(uow: UnitOfWork, invoice_id: int, reason: str = "") -> InvoiceDetail:
    """Void: frees the amount for a new invoice; the number stays taken."""
    invoice = live_invoice(uow, invoice_id)
    if in_quickbooks(uow, invoice.id):
        require_admin(uow, f"void invoice {invoice.number}, which is already in QuickBooks")
    why = clean_text(reason, "reason", max_length=255)
    if invoice.credited_to_invoice_id is not None:
        main = get(uow, Invoice, invoice.credited_to_invoice_id, "Invoice")
        raise InvalidTransition(
            f"Deposit {invoice.number} is credited to invoice {main.number}; void that invoice first."
        )
    paid = applied_total(uow, invoice.id)
    if paid > 0:
        raise InvalidTransition(
            f"Invoice {invoice.number} has {format_money(paid)} of payments applied. Unapply them "
            f"before voiding it."
        )
    credited = credited_total(uow, invoice.id)
    if credited > 0:
        raise InvalidTransition(
            f"Invoice {invoice.number} has {format_money(credited)} of credit memos applied. Unapply "
            f"them before voiding it."
        )
    if invoice.deposit_credit > 0:
        for deposit in uow.session.scalars(
            select(Invoice).where(Invoice.credited_to_invoice_id == invoice.id)
        ):
            deposit.credited_to_invoice_id = None
        invoice.deposit_credit = ZERO
    invoice.status = InvoiceStatus.VOID.value
    invoice.voided_at = utcnow()
    invoice.void_reason = why
    audit(
        uow,
        "void",
        "invoice",
        invoice.id,
        summary=f"Invoice {invoice.number} voided",
        changes={"status": ["open", "void"], "void_reason": ["", why]},
    )
    record_event(uow, "invoice.voided", "invoice", invoice.id)
    uow.flush()
    return detail(uow, invoice)
