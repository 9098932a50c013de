from __future__ import annotations

from datetime import date

import pytest

from desktop_app.domain.invoice_dates import (
    DatePolicy,
    date_at_creation,
    date_at_finish,
    date_at_issue,
    resolve_policy,
)
from desktop_app.domain.status import TermsKind
from desktop_app.domain.terms import check_net_days, due_date
from desktop_app.errors import ValidationError

INV = date(2024, 3, 10)
START = date(2024, 2, 1)
FINISH = date(2024, 3, 5)


@pytest.mark.parametrize(
    ("kind", "kwargs", "expected"),
    [
        (TermsKind.UPON_RECEIPT, {}, INV),
        (TermsKind.UPON_START, {}, START),
        (TermsKind.UPON_COMPLETION, {}, FINISH),
        (TermsKind.NET_DAYS, {"net_days": 30}, date(2024, 4, 9)),
        (TermsKind.NET_DAYS, {"net_days": 0}, INV),
        (TermsKind.NET_DAYS, {"net_days": 365}, date(2025, 3, 10)),
        (TermsKind.FIXED_DATE, {"fixed_date": date(2024, 6, 1)}, date(2024, 6, 1)),
    ],
)
def test_due_dates(kind: TermsKind, kwargs: dict[str, object], expected: date) -> None:
    got = due_date(kind, invoice_date=INV, job_started_on=START, job_finished_on=FINISH, **kwargs)  # type: ignore[arg-type]
    assert got == expected


@pytest.mark.parametrize("days", [-1, 366, None])
def test_net_days_range(days: int | None) -> None:
    with pytest.raises(ValidationError, match="0 to 365"):
        check_net_days(TermsKind.NET_DAYS, days)


def test_missing_job_dates_explained() -> None:
    with pytest.raises(ValidationError, match="no start date"):
        due_date(TermsKind.UPON_START, invoice_date=INV)
    with pytest.raises(ValidationError, match="no finish date"):
        due_date(TermsKind.UPON_COMPLETION, invoice_date=INV)
    with pytest.raises(ValidationError, match="Choose the date"):
        due_date(TermsKind.FIXED_DATE, invoice_date=INV)


@pytest.mark.parametrize(
    ("invoice_on", "service_on", "policy"),
    [
        (True, False, DatePolicy.INVOICE_DATE),
        (False, True, DatePolicy.SERVICE_DATE),
        (True, True, DatePolicy.INVOICE_DATE),  # both enabled: "invoice date" wins
        (False, False, DatePolicy.INVOICE_DATE),
    ],
)
def test_policy_resolution(invoice_on: bool, service_on: bool, policy: DatePolicy) -> None:
    assert resolve_policy(invoice_on, service_on) is policy


def test_dates_by_policy() -> None:
    for policy in DatePolicy:
        created = date_at_creation(policy, FINISH, INV)
        assert created == FINISH
        assert date_at_creation(policy, None, INV) == INV
    assert date_at_issue(DatePolicy.INVOICE_DATE, created, date(2024, 4, 1)) == date(2024, 4, 1)
    assert date_at_issue(DatePolicy.SERVICE_DATE, created, date(2024, 4, 1)) == FINISH


def test_service_date_progress_invoices_share_the_first_ones_date() -> None:
    first = date(2024, 2, 20)
    service = DatePolicy.SERVICE_DATE
    assert date_at_creation(service, FINISH, INV, progress=True, first_progress_date=first) == first
    assert date_at_creation(service, FINISH, INV, progress=True, first_progress_date=None) == FINISH
    # "invoice date" ignores the first progress invoice: each is dated when issued.
    assert (
        date_at_creation(DatePolicy.INVOICE_DATE, None, INV, progress=True, first_progress_date=first) == INV
    )


def test_dates_when_the_job_finishes() -> None:
    made = date(2024, 2, 20)
    service, invoice = DatePolicy.SERVICE_DATE, DatePolicy.INVOICE_DATE
    assert date_at_finish(service, made, FINISH, progress=False, issued=True) == FINISH
    assert date_at_finish(service, made, FINISH, progress=True, issued=False) == made
    assert date_at_finish(invoice, made, FINISH, progress=False, issued=False) == FINISH
    assert date_at_finish(invoice, made, FINISH, progress=True, issued=True) == made
