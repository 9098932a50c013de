from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.domain.status import TermsKind
from desktop_app.errors import ValidationError
from desktop_app.services import invoices, jobs, payments, terms
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


# --- the invoice-date policy × when the invoice is made × its kind (issue 15, rule 2) ---------

MADE_BEFORE = (date(2024, 3, 5), date(2024, 3, 7))  # first and second invoice (progress: two)
FINISHED = date(2024, 3, 10)
MADE_AFTER = (date(2024, 3, 11), date(2024, 3, 12))
ISSUED = (date(2024, 3, 15), date(2024, 3, 16))
POLICIES = {"service date": (False, True), "invoice date": (True, False), "both": (True, True)}
D5, D10, D15, D16 = date(2024, 3, 5), FINISHED, ISSUED[0], ISSUED[1]

# (policy, made, kind) → per invoice: (its date once the job is finished, its date once issued)
DATE_TABLE: list[tuple[str, str, str, tuple[tuple[date, date], ...]]] = [
    # "service date": the finish date, set when the job finishes; progress invoices share the first's.
    ("service date", "before", "full", ((D10, D10),)),
    ("service date", "before", "deposit", ((D10, D10),)),
    ("service date", "before", "segment", ((D10, D10),)),
    ("service date", "before", "progress", ((D5, D5), (D5, D5))),
    ("service date", "after", "full", ((D10, D10),)),
    ("service date", "after", "deposit", ((D10, D10),)),
    ("service date", "after", "segment", ((D10, D10),)),
    ("service date", "after", "progress", ((D10, D10), (D10, D10))),
    # "invoice date": the finish date until issued, then the day it was issued.
    ("invoice date", "before", "full", ((D10, D15),)),
    ("invoice date", "before", "deposit", ((D10, D15),)),
    ("invoice date", "before", "segment", ((D10, D15),)),
    ("invoice date", "before", "progress", ((D10, D15), (D10, D16))),
    ("invoice date", "after", "full", ((D10, D15),)),
    ("invoice date", "after", "deposit", ((D10, D15),)),
    ("invoice date", "after", "segment", ((D10, D15),)),
    ("invoice date", "after", "progress", ((D10, D15), (D10, D16))),
    # Both on: "invoice date" wins.
    ("both", "before", "full", ((D10, D15),)),
    ("both", "before", "deposit", ((D10, D15),)),
    ("both", "before", "segment", ((D10, D15),)),
    ("both", "before", "progress", ((D10, D15), (D10, D16))),
    ("both", "after", "full", ((D10, D15),)),
    ("both", "after", "deposit", ((D10, D15),)),
    ("both", "after", "segment", ((D10, D15),)),
    ("both", "after", "progress", ((D10, D15), (D10, D16))),
]


def _make_invoice(uow: UnitOfWork, kind: str, job_id: int, made: date, net: int) -> int:
    if kind == "progress":
        return invoices.create_progress_invoice(uow, job_id, percent="30", terms_id=net, today=made).id
    if kind == "deposit":
        return invoices.create_deposit_invoice(uow, job_id, amount="100", terms_id=net, today=made).id
    return invoices.create_invoice(uow, job_id, terms_id=net, today=made).id


@pytest.mark.parametrize(("policy", "made", "kind", "expected"), DATE_TABLE)
def test_invoice_dates_by_policy_timing_and_kind(
    db: Database, admin: Actor, policy: str, made: str, kind: str, expected: tuple[tuple[date, date], ...]
) -> None:
    net = _terms_id(db, admin, TermsKind.NET_DAYS, 30)
    with db.uow(admin) as uow:
        inv_on, svc_on = POLICIES[policy]
        set_setting(uow, "invoice.date_policy_invoice_date", inv_on)
        set_setting(uow, "invoice.date_policy_service_date", svc_on)
        set_setting(uow, "numbering.progress", kind == "progress")
        customer = make_customer(uow)
        job = make_job(uow, customer, status="in_progress", started_on=START)
        if kind == "segment":
            job = make_job(uow, customer, status="in_progress", started_on=START, parent=job)
        uow.commit()
    made_on = MADE_BEFORE if made == "before" else MADE_AFTER
    count = len(expected)
    ids: list[int] = []
    with db.uow(admin) as uow:
        if made == "before":
            ids = [_make_invoice(uow, kind, job.id, made_on[i], net) for i in range(count)]
        jobs.finish_job(uow, job.id, jobs.get_job(uow, job.id).version, on=FINISHED)
        if made == "after":
            ids = [_make_invoice(uow, kind, job.id, made_on[i], net) for i in range(count)]
        uow.commit()
    with db.reader() as uow:
        queued = set(uow.session.scalars(select(SyncItem.entity_id).where(SyncItem.entity_type == "invoice")))
        for invoice_id, (at_finish, _) in zip(ids, expected, strict=True):
            detail = invoices.get_invoice(uow, invoice_id)
            # What the finish queues for QuickBooks already carries these dates.
            assert (detail.invoice_date, detail.service_date) == (at_finish, FINISHED)
            assert detail.due_date == at_finish + timedelta(days=30)
            if made == "before":
                assert invoice_id in queued
    with db.uow(admin) as uow:
        for invoice_id, issued_on in zip(ids, ISSUED, strict=False):
            invoices.issue_invoice(uow, invoice_id, on=issued_on)
        uow.commit()
    with db.reader() as uow:
        for invoice_id, (_, at_issue) in zip(ids, expected, strict=True):
            detail = invoices.get_invoice(uow, invoice_id)
            assert (detail.invoice_date, detail.service_date) == (at_issue, FINISHED)
            assert detail.due_date == at_issue + timedelta(days=30)


@pytest.mark.parametrize(("policy", "expected"), [("service date", FINISHED), ("invoice date", D15)])
def test_an_invoice_issued_before_the_job_finishes(
    db: Database, admin: Actor, policy: str, expected: date
) -> None:
    """ "Service date" corrects it to the finish date; "invoice date" keeps the issue date."""
    with db.uow(admin) as uow:
        inv_on, svc_on = POLICIES[policy]
        set_setting(uow, "invoice.date_policy_invoice_date", inv_on)
        set_setting(uow, "invoice.date_policy_service_date", svc_on)
        job = make_job(uow, make_customer(uow), status="in_progress", started_on=START)
        made = invoices.create_invoice(uow, job.id, today=D5)
        invoices.issue_invoice(uow, made.id, on=D15)
        jobs.finish_job(uow, job.id, jobs.get_job(uow, job.id).version, on=date(2024, 3, 20))
        detail = invoices.get_invoice(uow, made.id)
    assert detail.invoice_date == (date(2024, 3, 20) if policy == "service date" else expected)
    assert detail.service_date == date(2024, 3, 20)


def test_finishing_again_on_another_day_corrects_the_service_date(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "invoice.date_policy_invoice_date", False)
        set_setting(uow, "invoice.date_policy_service_date", True)
        job = make_job(uow, make_customer(uow), status="in_progress", started_on=START)
        made = invoices.create_invoice(uow, job.id, today=D5)
        jobs.finish_job(uow, job.id, jobs.get_job(uow, job.id).version, on=FINISHED)
        jobs.reopen_job(uow, job.id, jobs.get_job(uow, job.id).version)
        jobs.finish_job(uow, job.id, jobs.get_job(uow, job.id).version, on=date(2024, 3, 18))
        detail = invoices.get_invoice(uow, made.id)
        entries = uow.session.scalars(
            select(AuditEntry.summary).where(AuditEntry.action == "date", AuditEntry.entity_id == made.id)
        ).all()
    assert (detail.invoice_date, detail.service_date) == (date(2024, 3, 18), date(2024, 3, 18))
    assert len(entries) == 2


def test_a_multi_job_invoice_is_dated_when_its_last_job_finishes(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "invoice.date_policy_invoice_date", False)
        set_setting(uow, "invoice.date_policy_service_date", True)
        customer = make_customer(uow)
        one = make_job(uow, customer, status="in_progress", started_on=START)
        two = make_job(uow, customer, status="in_progress", started_on=START)
        shared = invoices.create_multi_job_invoice(uow, customer.id, [one.id, two.id], today=D5)
        jobs.finish_job(uow, two.id, jobs.get_job(uow, two.id).version, on=date(2024, 3, 12))
        assert invoices.get_invoice(uow, shared.id).service_date is None  # one job still open
        jobs.finish_job(uow, one.id, jobs.get_job(uow, one.id).version, on=FINISHED)
        detail = invoices.get_invoice(uow, shared.id)
    assert (detail.invoice_date, detail.service_date) == (date(2024, 3, 12), date(2024, 3, 12))
