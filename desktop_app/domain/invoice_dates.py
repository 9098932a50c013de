"""Which date an invoice carries for accounting: the invoice-date policy.

* "service date": the job's finish date, whatever happens later.
* "invoice date": the job's finish date until the invoice is issued (sent), then the
  issue date. Payment never changes it.
* Both switched on: "invoice date" wins. Neither: "invoice date" (the safer default,
  as it is what the customer sees on the document).
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


def date_at_creation(job_finished_on: date | None, created_on: date) -> date:
    """Both policies start from the service (finish) date; an unfinished job uses today."""
    return job_finished_on if job_finished_on is not None else created_on


def date_at_issue(policy: DatePolicy, current: date, issued_on: date) -> date:
    """The invoice date once the invoice is issued/sent."""
    if policy is DatePolicy.INVOICE_DATE:
        return issued_on
    return current
