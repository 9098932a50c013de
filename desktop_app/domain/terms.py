"""Due dates from payment terms."""

from __future__ import annotations

from datetime import date, timedelta

from desktop_app.domain.status import TermsKind
from desktop_app.errors import ValidationError

MAX_NET_DAYS = 365


def check_net_days(kind: TermsKind, net_days: int | None) -> int | None:
    """Net N terms need N from 0 to 365; other kinds carry no day count."""
    if kind is not TermsKind.NET_DAYS:
        return None
    if not isinstance(net_days, int) or isinstance(net_days, bool):
        raise ValidationError("net_days", "Net terms need a number of days, from 0 to 365.")
    if not 0 <= net_days <= MAX_NET_DAYS:
        raise ValidationError("net_days", f"Net days must be from 0 to {MAX_NET_DAYS}; {net_days} is not.")
    return net_days


def due_date(
    kind: TermsKind,
    *,
    invoice_date: date,
    net_days: int | None = None,
    job_started_on: date | None = None,
    job_finished_on: date | None = None,
    fixed_date: date | None = None,
) -> date:
    """The date an invoice is due under ``kind``; a missing date the terms need is an error."""
    if kind is TermsKind.UPON_RECEIPT:
        return invoice_date
    if kind is TermsKind.NET_DAYS:
        return invoice_date + timedelta(days=check_net_days(kind, net_days) or 0)
    if kind is TermsKind.UPON_START:
        if job_started_on is None:
            raise ValidationError(
                "terms_id", "These terms are due when work starts, but the job has no start date yet."
            )
        return job_started_on
    if kind is TermsKind.UPON_COMPLETION:
        if job_finished_on is None:
            raise ValidationError(
                "terms_id", "These terms are due when work is finished, but the job has no finish date yet."
            )
        return job_finished_on
    if fixed_date is None:
        raise ValidationError("due_date", "Choose the date the invoice is due.")
    return fixed_date


def depends_on_invoice_date(kind: TermsKind) -> bool:
    """Terms whose due date moves when the invoice date moves (at issue)."""
    return kind in (TermsKind.UPON_RECEIPT, TermsKind.NET_DAYS)
