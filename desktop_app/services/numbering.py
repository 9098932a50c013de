"""Allocating job and invoice numbers; numbering settings, counters, renumbering.

Counters live in the ``counters`` table and are read ``FOR UPDATE`` (SQLite
transactions here are BEGIN IMMEDIATE, so allocation is serialised there too). A number
already taken (a job renumbered by hand, an invoice imported) is skipped, never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from desktop_app.db.models import Invoice, Job, QbLink
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import (
    MAX_REF,
    NumberingMode,
    check_counter_format,
    check_invoice_number,
    check_job_number,
    deposit_number,
    job_number_room,
    room_reason,
    sequence_number,
)
from desktop_app.domain.status import InvoiceKind, InvoiceStatus
from desktop_app.errors import Conflict, ValidationError
from desktop_app.services.common import audit, get, require_admin
from desktop_app.services.counter_reset import CounterChange
from desktop_app.services.counter_reset import set_next_number as move_counter

# The counters and the numbering settings, re-exported: numbering is where callers look.
from desktop_app.services.counters import CounterName as CounterName
from desktop_app.services.counters import NextNumbers as NextNumbers
from desktop_app.services.counters import counter_row as counter_row
from desktop_app.services.counters import next_numbers as next_numbers
from desktop_app.services.events import record_event
from desktop_app.services.numbering_settings import NumberingConfig as NumberingConfig
from desktop_app.services.numbering_settings import config as config
from desktop_app.services.numbering_settings import validate_numbering_setting as validate_numbering_setting
from desktop_app.services.numbers_in_use import (
    HERE,
    invoice_number_in_use,
    numbers_blocking_job_number,
)

# The store of QuickBooks' invoice numbers, re-exported: numbering is where callers look.
from desktop_app.services.numbers_in_use import (
    quickbooks_ref_numbers_taken as quickbooks_ref_numbers_taken,
)
from desktop_app.services.numbers_in_use import (
    record_quickbooks_ref_numbers as record_quickbooks_ref_numbers,
)
from desktop_app.services.qb_links import in_quickbooks
from desktop_app.services.settings import set_setting

_MAX_SKIPS = 10_000


@dataclass(frozen=True)
class NumberChange:
    invoice_id: int
    old_number: str
    new_number: str


@dataclass(frozen=True)
class SkippedChange:
    invoice_id: int
    number: str
    reason: str


@dataclass(frozen=True)
class NumberingPreview:
    """What switching to "match" numbering would change (and what it would leave alone)."""

    changes: tuple[NumberChange, ...]
    skipped: tuple[SkippedChange, ...]


@dataclass(frozen=True)
class RenumberResult:
    job_id: int
    old_number: str
    new_number: str
    jobs: tuple[tuple[int, str, str], ...]
    invoices: tuple[NumberChange, ...]


def _job_number_taken(uow: UnitOfWork, number: str, mode: NumberingMode, progress: bool) -> bool:
    if uow.session.scalar(select(exists().where(Job.number == number))):
        return True
    # The job's invoices will carry its number; one already taken would collide later.
    return bool(numbers_blocking_job_number(uow, number, mode, progress))


def _invoice_number_taken(uow: UnitOfWork, number: str) -> bool:
    return invoice_number_in_use(uow, number)


def check_job_number_free(uow: UnitOfWork, number: str, *, job_id: int | None = None) -> str:
    """Refuse, at once, a typed job number that is taken or whose invoice numbers are.

    Under "match" numbering a job's invoices are numbered N, D-N and (segments) N-1 …;
    with progress invoicing N-1, N-2 …. Any of those used by an invoice here (void ones
    keep their numbers) or in QuickBooks would clash when the job is invoiced.
    """
    cfg = config(uow)
    new = check_job_number(number if isinstance(number, str) else "", cfg.mode, cfg.progress)
    holder = uow.session.scalar(select(Job.id).where(Job.number == new))
    if holder is not None and holder != job_id:
        raise ValidationError("number", f"Job number {new} is already used by another job.")
    # The job's own live invoices follow a renumbering, so their numbers do not block it.
    moving: list[int] = []
    if job_id is not None:
        moving = list(
            uow.session.scalars(
                select(Invoice.id).where(Invoice.job_id == job_id, Invoice.status != InvoiceStatus.VOID.value)
            )
        )
    blocking = numbers_blocking_job_number(uow, new, cfg.mode, cfg.progress, ignore_invoice_ids=moving)
    if blocking:
        taken, where = blocking[0]
        place = (
            "an invoice here already has it (a voided invoice keeps its number)"
            if where == HERE
            else "QuickBooks already has an invoice with that number"
        )
        others = f" ({len(blocking) - 1} more taken besides)" if len(blocking) > 1 else ""
        raise ValidationError(
            "number",
            f"Job number {new} cannot be used: its invoices would be numbered {taken}, and {place}"
            f"{others}. {_derived_hint(new, cfg.mode)} Choose another job number.",
        )
    return new


def _derived_hint(number: str, mode: NumberingMode) -> str:
    if mode is NumberingMode.MATCH:
        return (
            f"With “match” numbering a job's invoices take its number ({number}, "
            f"{deposit_number(number)}, {sequence_number(number, 1)} …)."
        )
    return f"With progress invoicing a job's invoices are numbered after it ({sequence_number(number, 1)} …)."


def next_job_number(uow: UnitOfWork) -> str:
    """Allocate the next job number (prefix + counter), skipping numbers already in use."""
    cfg = config(uow)
    row = counter_row(uow, "job", cfg.job_start)
    room = job_number_room(cfg.mode, cfg.progress)
    for _ in range(_MAX_SKIPS):
        value = row.next_value
        number = check_counter_format(
            cfg.job_prefix,
            value,
            room=room,
            what="next job",
            field="numbering.job_start",
            reason=room_reason(cfg.mode, cfg.progress),
        )
        row.next_value = value + 1
        if not _job_number_taken(uow, number, cfg.mode, cfg.progress):
            return number
    raise Conflict("No free job number was found; move the job counter forward in Settings.")


def next_invoice_number(uow: UnitOfWork) -> str:
    """Allocate the next number from the invoice counter (simple mode, multi-job invoices)."""
    cfg = config(uow)
    row = counter_row(uow, "invoice", cfg.invoice_start)
    for _ in range(_MAX_SKIPS):
        value = row.next_value
        number = check_counter_format(
            cfg.invoice_prefix, value, room=MAX_REF, what="next invoice", field="numbering.invoice_start"
        )
        row.next_value = value + 1
        if _invoice_number_taken(uow, number):
            continue
        # In match mode a job's invoice takes the job's number; keep counter numbers off them.
        if cfg.mode is NumberingMode.MATCH and uow.session.scalar(
            select(exists().where(Job.number == number))
        ):
            continue
        return number
    raise Conflict("No free invoice number was found; move the invoice counter forward in Settings.")


def segment_job_number(uow: UnitOfWork, parent_job: Job) -> str:
    """The number of the parent's next segment: 1003 → 1003-1, 1003-2, ..."""
    cfg = config(uow)
    used = uow.session.scalar(select(func.max(Job.segment_index)).where(Job.parent_job_id == parent_job.id))
    index = (used or 0) + 1
    while True:
        number = sequence_number(parent_job.number, index)
        check_job_number(number, cfg.mode, cfg.progress, field="segment")
        if not _job_number_taken(uow, number, cfg.mode, cfg.progress):
            return number
        index += 1


def invoice_number_for(uow: UnitOfWork, kind: InvoiceKind, job: Job | None) -> tuple[str, int | None]:
    """The number (and job sequence) a new invoice gets under the current numbering settings."""
    cfg = config(uow)
    sequence: int | None = None
    if job is not None:
        used = uow.session.scalar(select(func.max(Invoice.job_sequence)).where(Invoice.job_id == job.id))
        sequence = (used or 0) + 1
    if job is None:
        return next_invoice_number(uow), None
    if cfg.progress:
        # Every invoice of a progress-billed job is N-1, N-2, ... in creation order; voided
        # invoices keep their sequence, so numbers are never reused.
        number = sequence_number(job.number, sequence or 1)
    elif cfg.mode is NumberingMode.MATCH:
        number = deposit_number(job.number) if kind is InvoiceKind.DEPOSIT else job.number
    else:
        return next_invoice_number(uow), sequence
    check_invoice_number(number)
    if _invoice_number_taken(uow, number):
        raise Conflict(
            f"Invoice number {number} is already used (a voided invoice keeps its number). With "
            f"“match” numbering each job has one invoice of each kind; change the job number to "
            f"invoice it again under a new number."
        )
    return number, sequence


def set_next_number(uow: UnitOfWork, counter: CounterName, value: int) -> CounterChange:
    """Admin: move a counter forward, or back to just above the highest number used.

    The rules and the preview are in ``counter_reset``; this name stays for callers.
    """
    return move_counter(uow, counter, value)


# --- switching to match numbering ----------------------------------------------------------


def _in_quickbooks(uow: UnitOfWork, invoice_id: int) -> bool:
    return bool(
        uow.session.scalar(
            select(exists().where(QbLink.entity_type == "invoice", QbLink.entity_id == invoice_id))
        )
    )


def preview_match_switch(uow: UnitOfWork) -> NumberingPreview:
    """Which existing invoices would take their job's number, and which cannot (and why)."""
    invoices = uow.session.scalars(
        select(Invoice).where(Invoice.job_id.is_not(None)).order_by(Invoice.id)
    ).all()
    changes: list[NumberChange] = []
    skipped: list[SkippedChange] = []
    claimed: set[str] = set()
    moving = set()
    for invoice in invoices:
        if invoice.kind == InvoiceKind.PROGRESS.value or invoice.status == InvoiceStatus.VOID.value:
            continue
        job = get(uow, Job, invoice.job_id or 0, "Job")
        target = deposit_number(job.number) if invoice.kind == InvoiceKind.DEPOSIT.value else job.number
        if invoice.number == target:
            claimed.add(target)
            continue
        if _in_quickbooks(uow, invoice.id):
            skipped.append(SkippedChange(invoice.id, invoice.number, "already in QuickBooks"))
            continue
        if len(target) > MAX_REF:
            skipped.append(SkippedChange(invoice.id, invoice.number, f"{target} is too long"))
            continue
        changes.append(NumberChange(invoice.id, invoice.number, target))
        moving.add(invoice.id)
    final: list[NumberChange] = []
    for change in changes:
        holder = uow.session.scalar(select(Invoice.id).where(Invoice.number == change.new_number))
        if change.new_number in claimed or (holder is not None and holder not in moving):
            skipped.append(
                SkippedChange(change.invoice_id, change.old_number, f"{change.new_number} is already used")
            )
            moving.discard(change.invoice_id)
            continue
        claimed.add(change.new_number)
        final.append(change)
    # A skipped invoice keeps its number, so a change onto that number must be skipped too.
    kept = {s.number for s in skipped}
    final_ok = [c for c in final if c.new_number not in kept]
    skipped += [
        SkippedChange(c.invoice_id, c.old_number, f"{c.new_number} is already used")
        for c in final
        if c.new_number in kept
    ]
    return NumberingPreview(changes=tuple(final_ok), skipped=tuple(skipped))


def _apply_invoice_numbers(uow: UnitOfWork, changes: list[NumberChange] | tuple[NumberChange, ...]) -> None:
    """Two passes, so swapping numbers between invoices never trips the unique index."""
    records = {c.invoice_id: get(uow, Invoice, c.invoice_id, "Invoice") for c in changes}
    for change in changes:
        records[change.invoice_id].number = f"~{change.invoice_id}"
    uow.flush()
    for change in changes:
        invoice = records[change.invoice_id]
        invoice.number = change.new_number
        audit(
            uow,
            "renumber",
            "invoice",
            invoice.id,
            summary=f"Invoice {change.old_number} renumbered {change.new_number}",
            changes={"number": [change.old_number, change.new_number]},
        )
        record_event(uow, "invoice.updated", "invoice", invoice.id)
    uow.flush()


def switch_to_match(uow: UnitOfWork, *, renumber_existing: bool) -> NumberingPreview:
    """Turn on "match invoice and job number"; optionally renumber invoices not yet in QuickBooks."""
    require_admin(uow, "change the numbering mode")
    preview = preview_match_switch(uow) if renumber_existing else NumberingPreview((), ())
    set_setting(uow, "numbering.mode", NumberingMode.MATCH.value)
    if renumber_existing:
        _apply_invoice_numbers(uow, preview.changes)
    audit(
        uow,
        "numbering",
        "setting",
        None,
        summary="Switched to matching invoice and job numbers"
        + (f"; {len(preview.changes)} invoices renumbered" if renumber_existing else " (future jobs only)"),
        changes={c.old_number: [c.old_number, c.new_number] for c in preview.changes},
    )
    return preview


# --- renumbering a job ----------------------------------------------------------------------


def _derived_targets(invoice: Invoice, old: str, new: str) -> str | None:
    """The invoice's number under the job's new number, if its number came from the job's."""
    if invoice.number == old:
        return new
    if invoice.number == deposit_number(old):
        return deposit_number(new)
    if invoice.job_sequence is not None and invoice.number == sequence_number(old, invoice.job_sequence):
        return sequence_number(new, invoice.job_sequence)
    return None


def renumber_job(uow: UnitOfWork, job_id: int, new_number: str) -> RenumberResult:
    """Change a job's number; its segments and the invoices numbered after it follow (admin
    only; an invoice already in QuickBooks keeps its number there, so such a job is refused)."""
    require_admin(uow, "change a job's number")
    cfg = config(uow)
    job = get(uow, Job, job_id, "Job")
    new = check_job_number(new_number if isinstance(new_number, str) else "", cfg.mode, cfg.progress)
    old = job.number
    if new == old:
        return RenumberResult(job.id, old, new, (), ())
    check_job_number_free(uow, new, job_id=job.id)
    job_changes: list[tuple[Job, str, str]] = [(job, old, new)]
    pending = [(job, old, new)]
    while pending:
        parent, p_old, p_new = pending.pop()
        for child in uow.session.scalars(select(Job).where(Job.parent_job_id == parent.id)):
            if child.number.startswith(f"{p_old}-"):
                c_new = p_new + child.number[len(p_old) :]
                check_job_number(c_new, cfg.mode, cfg.progress)
                job_changes.append((child, child.number, c_new))
                pending.append((child, child.number, c_new))
    invoice_changes: list[NumberChange] = []
    for record, j_old, j_new in job_changes:
        # A voided invoice keeps its number for good; only live invoices follow the job.
        for invoice in uow.session.scalars(
            select(Invoice).where(Invoice.job_id == record.id, Invoice.status != InvoiceStatus.VOID.value)
        ):
            target = _derived_targets(invoice, j_old, j_new)
            if target is not None:
                if in_quickbooks(uow, "invoice", invoice.id):
                    raise ValidationError(
                        "number",
                        f"Invoice {invoice.number} of this job is already in QuickBooks under that number, "
                        "so the job's number cannot change. Void the invoice first if it must be renumbered.",
                    )
                check_invoice_number(target)
                invoice_changes.append(NumberChange(invoice.id, invoice.number, target))
    moving_jobs = {r.id for r, _, _ in job_changes}
    moving_invoices = {c.invoice_id for c in invoice_changes}
    for _record, _, j_new in job_changes:
        holder = uow.session.scalar(select(Job.id).where(Job.number == j_new))
        if holder is not None and holder not in moving_jobs:
            raise ValidationError("number", f"Job number {j_new} is already used by another job.")
    for change in invoice_changes:
        holder = uow.session.scalar(select(Invoice.id).where(Invoice.number == change.new_number))
        if holder is not None and holder not in moving_invoices:
            raise ValidationError(
                "number", f"The job's invoice would become {change.new_number}, which is already used."
            )
    for record, _, _ in job_changes:
        record.number = f"~{record.id}"
    uow.flush()
    for record, j_old, j_new in job_changes:
        record.number = j_new
        audit(
            uow,
            "renumber",
            "job",
            record.id,
            summary=f"Job {j_old} renumbered {j_new}",
            changes={"number": [j_old, j_new]},
        )
        record_event(uow, "job.renumbered", "job", record.id)
    _apply_invoice_numbers(uow, invoice_changes)
    return RenumberResult(
        job_id=job.id,
        old_number=old,
        new_number=new,
        jobs=tuple((r.id, o, n) for r, o, n in job_changes),
        invoices=tuple(invoice_changes),
    )
