"""Jobs: the work done for a customer at a location, from open to finished."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from desktop_app.db.models import Customer, Invoice, InvoiceLine, Job, JobLine
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import JOB_TRANSITIONS, JobStatus, label
from desktop_app.domain.totals import Totals, compute_totals
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services import numbering
from desktop_app.services.common import audit, check_date, clean_text, get
from desktop_app.services.customers import check_paging
from desktop_app.services.events import record_event
from desktop_app.services.invoice_dating import date_invoices_of_finished_job
from desktop_app.services.job_billing import check_total_covers_billing, lock_job
from desktop_app.services.lines import (
    CheckedLine,
    LineDetail,
    LineInput,
    apply_lines,
    as_inputs,
    check_lines,
    check_notes,
    line_details,
    lines_summary,
    tax_rate,
    totals_for,
)
from desktop_app.services.locations import LocationDetail, location_of_customer, to_detail
from desktop_app.services.paging import Page
from desktop_app.services.search import contains_matcher

#: QuickBooks job names (the part after "Customer:") are at most 41 characters.
MAX_JOB_NAME = 41


@dataclass(frozen=True)
class JobFields:
    customer_id: int
    name: str
    location_id: int | None = None
    scheduled_start: date | None = None
    notes: str = ""
    lines: Sequence[LineInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class JobSummary:
    id: int
    number: str
    name: str
    customer_id: int
    customer_name: str
    status: str
    status_label: str
    scheduled_start: date | None
    started_on: date | None
    finished_on: date | None
    total: Decimal
    parent_job_id: int | None
    version: int


@dataclass(frozen=True)
class JobDetail:
    id: int
    number: str
    name: str
    customer_id: int
    customer_name: str
    location: LocationDetail | None
    status: str
    status_label: str
    scheduled_start: date | None
    started_on: date | None
    finished_on: date | None
    notes: str
    bid_id: int | None
    parent_job_id: int | None
    segment_index: int | None
    segment_ids: tuple[int, ...]
    lines: tuple[LineDetail, ...]
    totals: Totals
    version: int

    def to_fields(self) -> JobFields:
        return JobFields(
            customer_id=self.customer_id,
            name=self.name,
            location_id=self.location.id if self.location is not None else None,
            scheduled_start=self.scheduled_start,
            notes=self.notes,
            lines=as_inputs(self.lines),
        )


SORTS: dict[str, Any] = {
    "number": Job.number,
    "name": func.lower(Job.name),
    "customer": Customer.display_name_key,
    "status": Job.status,
    "scheduled_start": Job.scheduled_start,
    "created": Job.id,
}


def check_job_name(value: object) -> str:
    name = " ".join(clean_text(value, "name", max_length=200, required=True, label="Job name").split())
    if len(name) > MAX_JOB_NAME:
        raise ValidationError(
            "name", f"Job names can be at most {MAX_JOB_NAME} characters (a QuickBooks limit)."
        )
    if ":" in name:
        # QuickBooks names a job "Customer:Job"; a colon would split it into two levels.
        raise ValidationError("name", "Job names cannot contain a colon (:).")
    return name


def _customer(uow: UnitOfWork, customer_id: object) -> Customer:
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        raise ValidationError("customer_id", "Choose a customer.")
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise ValidationError("customer_id", "The customer was not found. It may have been deleted.")
    return customer


def check_version(job: Job, expected_version: int) -> None:
    """``Conflict`` when someone else saved the job since ``expected_version`` was read."""
    if job.version != expected_version:
        raise Conflict(
            f"Another user changed job {job.number} after you opened it. Reload it to see their "
            "changes, then make yours again."
        )


def new_job(
    uow: UnitOfWork,
    customer: Customer,
    name: str,
    *,
    location_id: int | None,
    scheduled_start: date | None,
    notes: str,
    lines: Sequence[CheckedLine],
    bid_id: int | None = None,
    number: str | None = None,
) -> Job:
    """Insert an already-checked job (shared by create, bid conversion and segments)."""
    job = Job(
        number=number or numbering.next_job_number(uow),
        name=name,
        customer_id=customer.id,
        location_id=location_id,
        status=(JobStatus.SCHEDULED if scheduled_start else JobStatus.OPEN).value,
        scheduled_start=scheduled_start,
        notes=notes,
        bid_id=bid_id,
    )
    job.lines = apply_lines([], lines, JobLine)
    uow.session.add(job)
    uow.flush()
    audit(
        uow,
        "create",
        "job",
        job.id,
        summary=f"Job {job.number} {job.name} created",
        changes={
            "name": [None, name],
            "customer_id": [None, customer.id],
            "location_id": [None, location_id],
            "scheduled_start": [None, scheduled_start.isoformat() if scheduled_start else None],
            "lines": [None, lines_summary(job.lines)],
        },
    )
    record_event(uow, "job.created", "job", job.id)
    return job


def create_job(uow: UnitOfWork, values: JobFields) -> JobDetail:
    if not isinstance(values, JobFields):
        raise ValidationError("job", "Job details are missing.")
    customer = _customer(uow, values.customer_id)
    if not customer.active:
        raise ValidationError(
            "customer_id", f"{customer.display_name} is inactive; reactivate the customer first."
        )
    name = check_job_name(values.name)
    location = location_of_customer(uow, customer.id, values.location_id)
    if location is not None and not location.active:
        raise ValidationError("location_id", "That service location is inactive.")
    start = check_date(values.scheduled_start, "scheduled_start")
    notes = check_notes(values.notes)
    lines = check_lines(uow, values.lines)
    job = new_job(
        uow,
        customer,
        name,
        location_id=location.id if location else None,
        scheduled_start=start,
        notes=notes,
        lines=lines,
    )
    return _detail(uow, job)


def _has_invoices(uow: UnitOfWork, job_id: int) -> bool:
    direct = select(Invoice.id).where(Invoice.job_id == job_id, Invoice.status != "void")
    via_lines = (
        select(Invoice.id)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(InvoiceLine.job_id == job_id, Invoice.status != "void")
    )
    return (
        uow.session.scalar(direct.limit(1)) is not None or uow.session.scalar(via_lines.limit(1)) is not None
    )


def update_job(uow: UnitOfWork, job_id: int, expected_version: int, values: JobFields) -> JobDetail:
    """Save the job form (the number is changed only through numbering.renumber_job).

    The job row is locked first, as a new invoice locks it: an edit and an invoice of the
    same job never both decide on what the other is changing (never billed past 100 %).
    """
    job = lock_job(uow, job_id)
    check_version(job, expected_version)
    if not isinstance(values, JobFields):
        raise ValidationError("job", "Job details are missing.")
    customer = _customer(uow, values.customer_id)
    if customer.id != job.customer_id:
        if _has_invoices(uow, job.id):
            raise ValidationError("customer_id", "This job has invoices, so its customer cannot be changed.")
        if not customer.active:
            raise ValidationError("customer_id", f"{customer.display_name} is inactive.")
    name = check_job_name(values.name)
    location = location_of_customer(uow, customer.id, values.location_id)
    start = check_date(values.scheduled_start, "scheduled_start")
    notes = check_notes(values.notes)
    checked = check_lines(uow, values.lines)
    check_total_covers_billing(
        uow,
        job,
        totals_for(uow, get(uow, Customer, job.customer_id, "Customer"), job.lines).total,
        compute_totals(
            ((line.amount, line.taxable) for line in checked), tax_rate(uow), tax_exempt=customer.tax_exempt
        ).total,
        change="this edit",
    )
    before: dict[str, Any] = {
        "name": job.name,
        "customer_id": job.customer_id,
        "location_id": job.location_id,
        "scheduled_start": job.scheduled_start.isoformat() if job.scheduled_start else None,
        "notes": job.notes,
        "lines": lines_summary(job.lines),
    }
    # The lines first: a line of another document is refused before anything changes.
    job.lines = apply_lines(list(job.lines), checked, JobLine)
    job.name = name
    job.customer_id = customer.id
    job.location_id = location.id if location else None
    job.scheduled_start = start
    job.notes = notes
    # Open and scheduled follow the schedule date; later statuses are set by actions only.
    if job.status in (JobStatus.OPEN, JobStatus.SCHEDULED):
        job.status = (JobStatus.SCHEDULED if start else JobStatus.OPEN).value
    after: dict[str, Any] = {
        "name": job.name,
        "customer_id": job.customer_id,
        "location_id": job.location_id,
        "scheduled_start": start.isoformat() if start else None,
        "notes": notes,
        "lines": lines_summary(job.lines),
    }
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        # Line edits alone do not touch the job row; this makes the version (the lock) move.
        job.updated_at = utcnow()
        uow.flush()
        audit(uow, "update", "job", job.id, summary=f"Job {job.number} changed", changes=changes)
        record_event(uow, "job.updated", "job", job.id)
    return _detail(uow, job)


def _transition(job: Job, target: JobStatus, verb: str) -> JobStatus:
    current = JobStatus(job.status)
    if target not in JOB_TRANSITIONS[current]:
        raise InvalidTransition(f"Job {job.number} is {label(current).lower()}, so it cannot be {verb}.")
    return current


def _on(value: date | None, field_name: str) -> date:
    checked = check_date(value, field_name)
    return checked if checked is not None else date.today()


def start_job(uow: UnitOfWork, job_id: int, expected_version: int, *, on: date | None = None) -> JobDetail:
    job = get(uow, Job, job_id, "Job")
    check_version(job, expected_version)
    if job.status == JobStatus.FINISHED:
        # The table allows finished → in progress, but that is reopening: keep the start date.
        raise InvalidTransition(f"Job {job.number} is finished; reopen it instead of starting it again.")
    _transition(job, JobStatus.IN_PROGRESS, "started")
    started = _on(on, "started_on")
    before = (job.status, job.started_on)
    job.status = JobStatus.IN_PROGRESS.value
    job.started_on = started
    uow.flush()
    _audit_status(uow, job, "start", before)
    record_event(uow, "job.started", "job", job.id)
    return _detail(uow, job)


def finish_job(uow: UnitOfWork, job_id: int, expected_version: int, *, on: date | None = None) -> JobDetail:
    job = get(uow, Job, job_id, "Job")
    check_version(job, expected_version)
    _transition(job, JobStatus.FINISHED, "finished")
    finished = _on(on, "finished_on")
    if job.started_on is not None and finished < job.started_on:
        raise ValidationError(
            "finished_on", f"The finish date cannot be before the start date ({job.started_on:%m/%d/%Y})."
        )
    before = (job.status, job.finished_on)
    job.status = JobStatus.FINISHED.value
    job.finished_on = finished
    uow.flush()
    _audit_status(uow, job, "finish", before)
    # Before the event: it may queue the invoices for QuickBooks, and they must go dated.
    date_invoices_of_finished_job(uow, job)
    record_event(uow, "job.finished", "job", job.id)
    return _detail(uow, job)


def cancel_job(uow: UnitOfWork, job_id: int, expected_version: int, *, reason: str = "") -> JobDetail:
    job = get(uow, Job, job_id, "Job")
    check_version(job, expected_version)
    _transition(job, JobStatus.CANCELLED, "cancelled")
    why = clean_text(reason, "reason", max_length=255)
    if _has_invoices(uow, job.id):
        raise InvalidTransition(f"Job {job.number} has invoices; void them before cancelling the job.")
    before = (job.status, None)
    job.status = JobStatus.CANCELLED.value
    uow.flush()
    _audit_status(uow, job, "cancel", before, why)
    record_event(uow, "job.cancelled", "job", job.id)
    return _detail(uow, job)


def reopen_job(uow: UnitOfWork, job_id: int, expected_version: int) -> JobDetail:
    """A finished job goes back to in progress; a cancelled one back to open."""
    job = get(uow, Job, job_id, "Job")
    check_version(job, expected_version)
    current = JobStatus(job.status)
    if current is JobStatus.FINISHED:
        target = JobStatus.IN_PROGRESS
    elif current is JobStatus.CANCELLED:
        target = JobStatus.OPEN
    else:
        raise InvalidTransition(
            f"Job {job.number} is {label(current).lower()}; only finished or cancelled jobs can be reopened."
        )
    _transition(job, target, "reopened")
    before = (job.status, job.finished_on)
    job.status = target.value
    job.finished_on = None
    uow.flush()
    _audit_status(uow, job, "reopen", before)
    record_event(uow, "job.updated", "job", job.id)
    return _detail(uow, job)


def _audit_status(
    uow: UnitOfWork, job: Job, action: str, before: tuple[str, date | None], reason: str = ""
) -> None:
    day = {"start": job.started_on, "finish": job.finished_on}.get(action)
    changes: dict[str, list[Any]] = {"status": [before[0], job.status]}
    if action in ("start", "finish", "reopen"):
        key = "started_on" if action == "start" else "finished_on"
        changes[key] = [before[1].isoformat() if before[1] else None, day.isoformat() if day else None]
    summary = f"Job {job.number} {label(job.status).lower()}" + (f": {reason}" if reason else "")
    audit(uow, action, "job", job.id, summary=summary, changes=changes)


def get_job(uow: UnitOfWork, job_id: int) -> JobDetail:
    return _detail(uow, get(uow, Job, job_id, "Job"))


def _detail(uow: UnitOfWork, job: Job) -> JobDetail:
    customer = get(uow, Customer, job.customer_id, "Customer")
    location = location_of_customer(uow, job.customer_id, job.location_id)
    segment_ids = tuple(
        uow.session.scalars(select(Job.id).where(Job.parent_job_id == job.id).order_by(Job.segment_index))
    )
    return JobDetail(
        id=job.id,
        number=job.number,
        name=job.name,
        customer_id=customer.id,
        customer_name=customer.display_name,
        location=to_detail(location) if location is not None else None,
        status=job.status,
        status_label=label(job.status),
        scheduled_start=job.scheduled_start,
        started_on=job.started_on,
        finished_on=job.finished_on,
        notes=job.notes,
        bid_id=job.bid_id,
        parent_job_id=job.parent_job_id,
        segment_index=job.segment_index,
        segment_ids=segment_ids,
        lines=line_details(uow, job.lines),
        totals=totals_for(uow, customer, job.lines),
        version=job.version,
    )


def list_jobs(
    uow: UnitOfWork,
    *,
    search: str = "",
    status: str | Sequence[str] | None = None,
    customer_id: int | None = None,
    include_segments: bool = True,
    offset: int = 0,
    limit: int = 50,
    sort: str = "number",
    descending: bool = False,
) -> Page[JobSummary]:
    offset, limit = check_paging(offset, limit)
    search = clean_text(search, "search", max_length=200)
    if sort not in SORTS:
        raise ValidationError("sort", f"Jobs cannot be sorted by “{sort}”.")
    conditions: list[ColumnElement[bool]] = []
    words = search.lower().split()
    if words:
        conditions.append(
            and_(
                *(
                    or_(
                        contains_matcher(uow, word)(Job.number),
                        contains_matcher(uow, word)(Job.name),
                        # Matched in the customers table, so counting needs no join.
                        Job.customer_id.in_(
                            select(Customer.id).where(
                                Customer.display_name_key.contains(word, autoescape=True)
                            )
                        ),
                    )
                    for word in words
                )
            )
        )
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        valid = {s.value for s in JobStatus}
        if any(s not in valid for s in wanted):
            raise ValidationError("status", "Unknown job status.")
        conditions.append(Job.status.in_(wanted))
    if customer_id is not None:
        conditions.append(Job.customer_id == customer_id)
    if not include_segments:
        conditions.append(Job.parent_job_id.is_(None))
    # Every condition is on the job itself (customer names matched by subquery): no join.
    total = uow.session.scalar(select(func.count(Job.id)).where(*conditions)) or 0
    query = select(Job, Customer).join(Customer, Customer.id == Job.customer_id).where(*conditions)
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    rows = list(uow.session.execute(query.order_by(order, Job.id).offset(offset).limit(limit)))
    totals = _page_totals(uow, [(job.id, customer.tax_exempt) for job, customer in rows])
    return Page(
        rows=tuple(
            JobSummary(
                id=job.id,
                number=job.number,
                name=job.name,
                customer_id=customer.id,
                customer_name=customer.display_name,
                status=job.status,
                status_label=label(job.status),
                scheduled_start=job.scheduled_start,
                started_on=job.started_on,
                finished_on=job.finished_on,
                total=totals[job.id],
                parent_job_id=job.parent_job_id,
                version=job.version,
            )
            for job, customer in rows
        ),
        total=total,
        offset=offset,
        limit=limit,
    )


def _page_totals(uow: UnitOfWork, jobs: list[tuple[int, bool]]) -> dict[int, Decimal]:
    """Totals for a page of jobs from one query over their lines (not one per job)."""
    amounts: dict[int, list[tuple[Decimal, bool]]] = defaultdict(list)
    ids = [job_id for job_id, _ in jobs]
    if ids:
        lines = uow.session.execute(
            select(JobLine.job_id, JobLine.amount, JobLine.taxable).where(JobLine.job_id.in_(ids))
        )
        for job_id, amount, taxable in lines:
            amounts[job_id].append((amount, taxable))
    rate = tax_rate(uow)
    return {job_id: compute_totals(amounts[job_id], rate, tax_exempt=exempt).total for job_id, exempt in jobs}
