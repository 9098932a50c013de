"""Splitting a job into segment jobs (N-1, N-2, ...), each billed on its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from desktop_app.db.models import Customer, Job, JobLine
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import JobStatus, label
from desktop_app.errors import InvalidTransition, ValidationError
from desktop_app.services import numbering
from desktop_app.services.common import audit, get
from desktop_app.services.events import record_event
from desktop_app.services.job_billing import check_total_covers_billing, lock_job
from desktop_app.services.jobs import MAX_JOB_NAME, JobDetail, check_job_name, check_version, get_job, new_job
from desktop_app.services.lines import CheckedLine, lines_summary, totals_for


@dataclass(frozen=True)
class SegmentPart:
    """One segment to split off: the parent's lines it takes, and/or its name."""

    name: str = ""
    line_ids: Sequence[int] = ()


def split_into_segments(
    uow: UnitOfWork, job_id: int, expected_version: int, parts: Sequence[SegmentPart]
) -> tuple[JobDetail, ...]:
    """Split a job into segment jobs (N-1, N-2, ...), each billed on its own.

    A part's lines move from the parent to the segment, so the parent and its segments
    together still add up to the original job; a part with only a name starts empty.
    """
    job = lock_job(uow, job_id)
    check_version(job, expected_version)
    if job.parent_job_id is not None:
        raise InvalidTransition(f"Job {job.number} is itself a segment; split its parent job instead.")
    if job.status in (JobStatus.FINISHED, JobStatus.CANCELLED):
        raise InvalidTransition(f"Job {job.number} is {label(job.status).lower()}, so it cannot be split.")
    if isinstance(parts, str | bytes) or not isinstance(parts, Sequence) or not parts:
        raise ValidationError("parts", "Choose at least one segment to split off.")
    by_id = {line.id: line for line in job.lines}
    taken: set[int] = set()
    plans: list[tuple[str, list[JobLine]]] = []
    existing = uow.session.scalar(select(func.count(Job.id)).where(Job.parent_job_id == job.id)) or 0
    for index, part in enumerate(parts, start=1):
        if not isinstance(part, SegmentPart):
            raise ValidationError("parts", f"Segment {index} is not a segment.")
        line_ids = list(part.line_ids)
        for line_id in line_ids:
            if line_id not in by_id:
                raise ValidationError(
                    "line_ids", f"Segment {index}: a line does not belong to job {job.number}."
                )
            if line_id in taken:
                raise ValidationError("line_ids", f"Segment {index}: a line is already in another segment.")
            taken.add(line_id)
        if not isinstance(part.name, str) or part.name.strip():
            name = check_job_name(part.name)
        elif line_ids:
            suffix = f" part {existing + index}"
            name = check_job_name(job.name[: MAX_JOB_NAME - len(suffix)].rstrip() + suffix)
        else:
            raise ValidationError("parts", f"Segment {index}: give it a name or some of the job's lines.")
        plans.append((name, [by_id[i] for i in line_ids]))
    customer = get(uow, Customer, job.customer_id, "Customer")
    check_total_covers_billing(
        uow,
        job,
        totals_for(uow, customer, job.lines).total,
        totals_for(uow, customer, [line for line in job.lines if line.id not in taken]).total,
        change="splitting these lines off",
    )
    before_lines = lines_summary(job.lines)
    segments: list[Job] = []
    for name, moving in plans:
        number = numbering.segment_job_number(uow, job)
        copies = [
            CheckedLine(None, line.item_id, line.description, line.quantity, line.rate, line.taxable)
            for line in moving
        ]
        segment = new_job(
            uow,
            customer,
            name,
            location_id=job.location_id,
            scheduled_start=job.scheduled_start,
            notes="",
            lines=copies,
            bid_id=job.bid_id,
            number=number,
        )
        segment.parent_job_id = job.id
        segment.segment_index = int(number.rsplit("-", 1)[1])
        uow.flush()
        segments.append(segment)
    job.lines = [line for line in job.lines if line.id not in taken]
    for position, line in enumerate(job.lines):
        line.position = position
    job.updated_at = utcnow()
    uow.flush()
    audit(
        uow,
        "split",
        "job",
        job.id,
        summary=f"Job {job.number} split into {', '.join(s.number for s in segments)}",
        changes={"lines": [before_lines, lines_summary(job.lines)]},
    )
    record_event(uow, "job.updated", "job", job.id)
    return tuple(get_job(uow, segment.id) for segment in segments)
