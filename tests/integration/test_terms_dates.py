from __future__ import annotations

from datetime import date

import pytest

from desktop_app.db.uow import Actor, Database
from desktop_app.domain.status import TermsKind
from desktop_app.errors import ValidationError
from desktop_app.services import invoices, payments, terms
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_job

START = date(2024, 2, 1)
FINISH = date(2024, 3, 1)
TODAY = date(2024, 3, 4)


def _terms_id(db: Database, admin: Actor, kind: TermsKind, days: int | None = None) -> int:
    with db.uow(admin) as uow:
        t = terms.create_terms(uow, f"T {kind.value} {days}", kind, days)
        uow.commit()
    return t.id


@pytest.mark.parametrize(
    ("kind", "days", "fixed", "expected"),
    [
        (TermsKind.UPON_RECEIPT, None, None, FINISH),
        (TermsKind.UPON_START, None, None, START),
        (TermsKind.UPON_COMPLETION, None, None, FINISH),
        (TermsKind.NET_DAYS, 10, None, date(2024, 3, 11)),
        (TermsKind.FIXED_DATE, None, date(2024, 5, 5), date(2024, 5, 5)),
    ],
)
def test_due_date_per_terms_kind(
    db: Database, admin: Actor, kind: TermsKind, days: int | None, fixed: date | None, expected: date
) -> None:
    terms_id = _terms_id(db, admin, kind, days)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), started_on=START, finished_on=FINISH)
        inv = invoices.create_invoice(uow, job.id, terms_id=terms_id, due_date=fixed, today=TODAY)
    assert inv.terms_id == terms_id and inv.due_date == expected


def test_terms_validation(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError, match="0 to 365"):
            terms.create_terms(uow, "Net 400", TermsKind.NET_DAYS, 400)
        with pytest.raises(ValidationError, match="already exist"):
            terms.create_terms(uow, "net 30", TermsKind.NET_DAYS, 30)
        with pytest.raises(ValidationError):
            terms.create_terms(uow, "Odd", "whenever")
        assert terms.create_terms(uow, "Net 0", "net_days", 0).net_days == 0
        assert "Net 30" in [t.name for t in terms.list_terms(uow)]


def test_upon_start_without_start_date_explained(db: Database, admin: Actor) -> None:
    terms_id = _terms_id(db, admin, TermsKind.UPON_START)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        with pytest.raises(ValidationError, match="no start date"):
            invoices.create_invoice(uow, job.id, terms_id=terms_id)


def test_default_terms_setting_used(db: Database, admin: Actor) -> None:
    terms_id = _terms_id(db, admin, TermsKind.NET_DAYS, 15)
    with db.uow(admin) as uow:
        set_setting(uow, "invoice.default_terms_id", terms_id)
        job = make_job(uow, make_customer(uow), finished_on=FINISH)
        inv = invoices.create_invoice(uow, job.id, today=TODAY)
    assert inv.terms_id == terms_id and inv.due_date == date(2024, 3, 16)


# (invoice-date policy on, service-date policy on) → date before issue, after issue, after payment
POLICY_TABLE = [
    (True, False, FINISH, date(2024, 3, 20), date(2024, 3, 20)),
    (False, True, FINISH, FINISH, FINISH),
    (True, True, FINISH, date(2024, 3, 20), date(2024, 3, 20)),  # both: "invoice date" wins
]


@pytest.mark.parametrize(("inv_on", "svc_on", "before", "after_issue", "after_pay"), POLICY_TABLE)
def test_invoice_date_policy(
    db: Database, admin: Actor, inv_on: bool, svc_on: bool, before: date, after_issue: date, after_pay: date
) -> None:
    net = _terms_id(db, admin, TermsKind.NET_DAYS, 30)
    with db.uow(admin) as uow:
        set_setting(uow, "invoice.date_policy_invoice_date", inv_on)
        set_setting(uow, "invoice.date_policy_service_date", svc_on)
        job = make_job(uow, make_customer(uow), finished_on=FINISH)
        inv = invoices.create_invoice(uow, job.id, terms_id=net, today=TODAY)
        assert inv.invoice_date == before and inv.service_date == FINISH
        issued = invoices.issue_invoice(uow, inv.id, on=date(2024, 3, 20))
        assert issued.invoice_date == after_issue
        # Net terms follow the invoice date.
        assert (issued.due_date - issued.invoice_date).days == 30  # type: ignore[operator]
        payments.mark_paid(uow, inv.id, received_on=date(2024, 4, 30))
        assert invoices.get_invoice(uow, inv.id).invoice_date == after_pay


def test_unfinished_job_dated_today(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        inv = invoices.create_invoice(uow, job.id, today=TODAY)
    assert inv.invoice_date == TODAY and inv.service_date is None and inv.due_date == TODAY


def test_fixed_due_date_before_invoice_date_refused(db: Database, admin: Actor) -> None:
    fixed = _terms_id(db, admin, TermsKind.FIXED_DATE)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), finished_on=FINISH)
        with pytest.raises(ValidationError, match="before the invoice date"):
            invoices.create_invoice(uow, job.id, terms_id=fixed, due_date=date(2024, 1, 1))
        with pytest.raises(ValidationError, match="Choose the date"):
            invoices.create_invoice(uow, job.id, terms_id=fixed)
