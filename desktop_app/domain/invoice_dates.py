"""Which date an invoice carries for accounting: the invoice-date policy.

* "service date": the job's finish date (the day the service was completed). An invoice
  made before the job is finished carries the day it was made until the job finishes;
  finishing the job sets it (and corrects it when the job is finished again on another
  day), before anything goes to QuickBooks. Issuing and payment never change it.
* "invoice date": the day the invoice is issued (sent). Until then it carries the job's
  finish date, or the day it was made if the job is not finished yet. Payment never
  changes it.
* Both switched on: "invoice date" wins. Neither: "invoice date" (the safer default,
  as it is what the customer sees on the document).
* Progress invoices under "service date" keep the date of the job's first progress
  invoice: they bill work as it goes, so the finish date is not theirs, and one job's
  progress invoices share one date.

Every invoice of a finished job carries the finish date as its service date.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class DatePolicy(StrEnum):
    INVOICE_DATE = "invoice_date"
    SERVICE_DATE = "service_date"


def resolve_policy(invoice_date_on: bool, service_date_on: bool) -> DatePolicy:
    if service_date_on and not invoice_date_on:
        return DatePolicy.SERVICE_DATE
    return DatePolicy.INVOICE_DATE


def date_at_creation(
    policy: DatePolicy,
    job_finished_on: date | None,
    created_on: date,
    *,
    progress: bool = False,
    first_progress_date: date | None = None,
) -> date:
    """A new invoice's date: the finish date, or today for an unfinished job.

    Under "service date" a progress invoice takes the date of the job's first progress
    invoice when there is one (``first_progress_date``).
    """
    if policy is DatePolicy.SERVICE_DATE and progress and first_progress_date is not None:
        return first_progress_date
    return job_finished_on if job_finished_on is not None else created_on


def date_at_finish(
    policy: DatePolicy, current: date, finished_on: date, *, progress: bool, issued: bool
) -> date:
    """An existing invoice's date once its job is finished on ``finished_on``."""
    if policy is DatePolicy.SERVICE_DATE:
        return current if progress else finished_on
    # "invoice date": an issued invoice keeps its issue date; until then the finish date.
    return current if issued else finished_on


def date_at_issue(policy: DatePolicy, current: date, issued_on: date) -> date:
    """The invoice date once the invoice is issued/sent."""
    if policy is DatePolicy.INVOICE_DATE:
        return issued_on
    return current
