"""Progress and deposit billing: shares of a job total that never add up past 100%.

A share is a percentage (rounded half-up to the cent) or a fixed amount. The invoice
that brings the job to 100% takes the exact remainder, so the cents always add up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from desktop_app.domain.money import HUNDRED, ZERO, format_money, percent_of
from desktop_app.errors import ValidationError

PERCENT_PLACES = Decimal("0.0001")
#: Percent shares stored with four decimals drift by far less than this when summed.
_PERCENT_SLACK = Decimal("0.001")


@dataclass(frozen=True)
class Share:
    """An existing non-void partial invoice of the job."""

    amount: Decimal
    percent: Decimal


@dataclass(frozen=True)
class NewShare:
    amount: Decimal
    percent: Decimal


def remaining(job_total: Decimal, shares: Iterable[Share]) -> Decimal:
    return job_total - sum((s.amount for s in shares), ZERO)


def percent_for(amount: Decimal, job_total: Decimal) -> Decimal:
    if job_total <= 0:
        return ZERO
    return (amount * HUNDRED / job_total).quantize(PERCENT_PLACES)


def _over(job_total: Decimal, left: Decimal, field: str) -> ValidationError:
    if left <= 0:
        return ValidationError(
            field, f"This job is fully invoiced ({format_money(job_total)}); nothing is left to invoice."
        )
    return ValidationError(
        field,
        f"That would invoice more than the job total of {format_money(job_total)}. "
        f"{format_money(left)} is left to invoice ({percent_for(left, job_total)}%).",
    )


def next_share(
    job_total: Decimal,
    shares: Iterable[Share],
    *,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
) -> NewShare:
    """The amount and percentage of a new partial invoice, or a ValidationError saying what is left."""
    existing = list(shares)
    left = remaining(job_total, existing)
    if (percent is None) == (amount is None):
        raise ValidationError("amount", "Give either a percentage of the job or an amount, not both.")
    if job_total <= 0:
        raise ValidationError("amount", "The job total is zero; add lines to the job before invoicing it.")
    if amount is not None:
        if amount <= 0:
            raise ValidationError("amount", "The amount must be more than zero.")
        if amount > left:
            raise _over(job_total, left, "amount")
        return NewShare(amount=amount, percent=percent_for(amount, job_total))
    assert percent is not None
    if percent <= 0 or percent > HUNDRED:
        raise ValidationError("percent", "The percentage must be more than 0 and at most 100.")
    if percent != percent.quantize(PERCENT_PLACES):
        raise ValidationError("percent", "The percentage can have at most 4 decimal places.")
    cumulative = sum((s.percent for s in existing), ZERO) + percent
    if cumulative > HUNDRED + _PERCENT_SLACK:
        raise _over(job_total, left, "percent")
    if cumulative >= HUNDRED - _PERCENT_SLACK:
        if left <= 0:
            raise _over(job_total, left, "percent")
        # The invoice reaching 100% takes the exact remainder so the cents add up.
        return NewShare(amount=left, percent=percent)
    share = percent_of(job_total, percent)
    if share <= 0:
        raise ValidationError("percent", "That percentage of the job is less than a cent.")
    if share > left:
        raise _over(job_total, left, "percent")
    return NewShare(amount=share, percent=percent)
