"""Connecting to a QuickBooks company: numbering that cannot collide (issue 19, the BuildOps seed).

The check says which of JobDesk's next numbers overlap the invoice numbers QuickBooks uses
and proposes the first safe start above them; the admin applies it in one call, refused
when stale. A number QuickBooks takes after the connection is found before the invoice
is sent.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desktop_app.db.models import AuditEntry, Invoice, Job, QbLink
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.domain.numbering import counter_value
from desktop_app.errors import Conflict, PermissionDenied, ValidationError
from desktop_app.services import connection_numbering as cn
from desktop_app.services import invoices, numbering
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_job
from tests.integration.service_helpers import snapshot


def _set(db: Database, admin: Actor, **values: object) -> None:
    with db.uow(admin) as uow:
        for key, value in values.items():
            set_setting(uow, f"numbering.{key}", value)
        uow.commit()


def _quickbooks_has(db: Database, numbers: list[str]) -> None:
    with db.uow() as uow:
        numbering.record_quickbooks_ref_numbers(uow, numbers)
        uow.commit()


def _check(db: Database) -> cn.NumberingCheck:
    with db.reader() as uow:
        return cn.numbering_check(uow)


def _office_company(db: Database) -> None:
    """QuickBooks uses invoice numbers 1000–2999, a deposit D-1010 and a progress number 1010-1."""
    _quickbooks_has(db, [str(n) for n in range(1000, 3000)] + ["D-1010", "1010-1"])


# --- the check ----------------------------------------------------------------------------------


def test_simple_numbering_overlap_names_the_numbers_and_proposes_a_start_above_quickbooks(
    db: Database, admin: Actor
) -> None:
    _office_company(db)
    check = _check(db)
    (invoice,) = check.counters  # simple numbering: job numbers never become invoice numbers
    assert invoice.counter == "invoice"
    assert (invoice.next_number, invoice.taken_in_quickbooks) == ("1000", ("1000",))
    assert (invoice.quickbooks_first, invoice.quickbooks_last) == ("1000", "2999")
    assert invoice.quickbooks_count == 2000 and invoice.taken_ahead == 2000
    assert invoice.overlaps and invoice.proposed_value == 3000
    assert check.proposal == (("invoice", 1000, 3000),)
    assert "QuickBooks already uses invoice numbers 1000–2999" in invoice.summary
    assert "Start invoice numbers at 3000" in invoice.summary
    assert "next invoice number 1000 → 3000" in check.summary


def test_match_numbering_names_the_job_numbers_invoices_deposits_and_segments(
    db: Database, admin: Actor
) -> None:
    _set(db, admin, mode="match", job_start=1010, invoice_start=500)
    _office_company(db)
    check = _check(db)
    job, invoice = check.counters
    assert job.counter == "job" and job.next_number == "1010"
    assert job.next_invoice_numbers == ("1010", "D-1010", "1010-1", "D-1010-1")
    assert job.taken_in_quickbooks == ("1010", "1010-1", "D-1010")
    assert (
        "JobDesk's next job, 1010, would bill invoice numbers 1010, D-1010, 1010-1, D-1010-1 …, "
        "and QuickBooks already has 1010, 1010-1, D-1010" in job.summary
    )
    assert "QuickBooks uses 1,990 of the job numbers from 1010 to 2999" in job.summary
    assert job.proposed_number == "3000"
    # The invoice counter (invoices of several jobs) starts below QuickBooks' range: it
    # overlaps too, and is moved above it with the job counter.
    assert invoice.overlaps and invoice.proposed_number == "3000"
    assert check.proposal == (("job", 1010, 3000), ("invoice", 500, 3000))


def test_progress_numbering_counts_progress_numbers_as_their_job_number(db: Database, admin: Actor) -> None:
    _set(db, admin, progress=True, job_start=5000)
    _quickbooks_has(db, ["5000-1", "5000-2", "5007-3", "INV-88"])
    (job, invoice) = _check(db).counters
    assert job.next_invoice_numbers == ("5000-1", "5000-2")
    assert job.taken_in_quickbooks == ("5000-1", "5000-2")
    assert (job.quickbooks_first, job.quickbooks_last, job.quickbooks_count) == ("5000", "5007", 3)
    assert job.proposed_number == "5008"
    # "5000-1" is not a number the invoice counter makes; INV-88 is no one's.
    assert not invoice.overlaps and invoice.quickbooks_count == 0


def test_prefixes_are_respected(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match", job_prefix="J", invoice_prefix="INV")
    _quickbooks_has(db, ["J1000", "D-J1004", "INV1000", "INV1001", "2000"])
    job, invoice = _check(db).counters
    assert (job.quickbooks_last, job.proposed_number) == ("J1004", "J1005")
    assert (invoice.quickbooks_last, invoice.proposed_number) == ("INV1001", "INV1002")


def test_no_overlap_proposes_nothing(db: Database, admin: Actor) -> None:
    _set(db, admin, invoice_start=4000)
    _quickbooks_has(db, ["1000", "1001", "3999"])
    check = _check(db)
    assert not check.overlaps and check.proposal == ()
    assert "4000, is above them all" in check.counters[0].summary
    assert check.summary == "JobDesk's next numbers do not overlap the invoice numbers QuickBooks uses."


def test_our_invoices_already_in_quickbooks_count_as_its_numbers(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        sent = invoices.create_invoice(uow, job.id)
        uow.session.add(QbLink(entity_type="invoice", entity_id=sent.id, qb_id="TX-1", qb_name="1200"))
        uow.commit()
    (invoice,) = _check(db).counters
    assert invoice.quickbooks_last == "1200" and invoice.proposed_number == "1201"


def test_a_start_that_would_not_fit_quickbooks_is_not_proposed(db: Database, admin: Actor) -> None:
    _quickbooks_has(db, ["99999999999"])  # 11 digits: the next one would be 12
    (invoice,) = _check(db).counters
    assert invoice.overlaps and invoice.proposed_value is None
    assert "at most 11" in invoice.problem and "No safe start fits" in invoice.summary
    before = snapshot(db)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="at most 11"):
        cn.apply_safe_start(uow, _check(db))
    assert snapshot(db) == before


def test_the_check_changes_nothing(db: Database, admin: Actor) -> None:
    _office_company(db)
    before = snapshot(db)
    with db.uow(admin) as uow:
        cn.numbering_check(uow)
        uow.commit()
    assert snapshot(db) == before


# --- applying the proposal ----------------------------------------------------------------------


def test_apply_moves_every_overlapping_counter_through_counter_reset_and_is_audited(
    db: Database, admin: Actor
) -> None:
    _set(db, admin, mode="match", job_start=1010)
    _office_company(db)
    with db.uow(admin) as uow:
        result = cn.apply_safe_start(uow, cn.numbering_check(uow))
        uow.commit()
    assert [(c.counter, c.old_next, c.new_next) for c in result.changes] == [
        ("job", "1010", "3000"),
        ("invoice", "1000", "3000"),
    ]
    assert not result.check.overlaps and result.check.proposal == ()
    with db.reader() as uow:
        assert numbering.next_numbers(uow) == numbering.NextNumbers(job="3000", invoice="3000")
        entries = [
            (e.user_name, e.summary, json.loads(e.changes))
            for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "numbering").order_by(AuditEntry.id)
            )
        ]
    # One entry per counter moved (counter_reset's) and one for the wizard's step.
    assert [user for user, _, _ in entries] == [admin.name] * 3
    assert "1010 → 3000" in entries[0][1] and "skipped" in entries[0][1]
    assert entries[-1][2] == {"job": ["1010", "3000"], "invoice": ["1000", "3000"]}
    assert entries[-1][1].startswith("Numbering set clear of QuickBooks' invoice numbers")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        deposit = invoices.create_deposit_invoice(uow, job.id, amount="10")
        assert (job.number, deposit.number) == ("3000", "D-3000")


def test_an_office_user_cannot_apply_it(db: Database, admin: Actor, office: Actor) -> None:
    _office_company(db)
    seen = _check(db)
    before = snapshot(db)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        cn.apply_safe_start(uow, seen)
    assert snapshot(db) == before


@pytest.mark.parametrize("change", ["quickbooks read again", "number handed out", "mode changed"])
def test_a_stale_proposal_is_refused_and_nothing_changes(db: Database, admin: Actor, change: str) -> None:
    _office_company(db)
    seen = _check(db)
    if change == "quickbooks read again":
        _quickbooks_has(db, ["3000", "3001"])
    elif change == "number handed out":
        with db.uow(admin) as uow:
            numbering.next_invoice_number(uow)
            uow.commit()
    else:
        _set(db, admin, mode="match")
    before = snapshot(db)
    with db.uow(admin) as uow, pytest.raises(Conflict, match="Check the numbering again"):
        cn.apply_safe_start(uow, seen)
    assert snapshot(db) == before


def test_applying_something_that_is_not_a_check_is_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="Check the numbering first"):
        cn.apply_safe_start(uow, "3000")  # type: ignore[arg-type]


def test_applying_twice_does_nothing_the_second_time(db: Database, admin: Actor) -> None:
    _office_company(db)
    with db.uow(admin) as uow:
        cn.apply_safe_start(uow, cn.numbering_check(uow))
        uow.commit()
    with db.uow(admin) as uow:
        again = cn.apply_safe_start(uow, cn.numbering_check(uow))
        uow.commit()
    assert again.changes == () and again.summary.startswith("Nothing to move")


# --- a number QuickBooks takes after the connection ----------------------------------------------


def test_numbers_quickbooks_takes_later_are_skipped_or_refused_before_anything_is_sent(
    db: Database, admin: Actor
) -> None:
    _set(db, admin, mode="match")
    _office_company(db)
    with db.uow(admin) as uow:
        cn.apply_safe_start(uow, cn.numbering_check(uow))
        early = make_job(uow, make_customer(uow))  # job 3000, not invoiced yet
        uow.commit()
    assert early.number == "3000"
    # Someone types invoices in QuickBooks; a later import (or a sync's number check) records them.
    _quickbooks_has(db, ["3000", "3001", "D-3002", "3004"])
    with db.uow(admin) as uow:
        # A new job skips the numbers whose invoices QuickBooks has …
        assert make_job(uow, make_customer(uow)).number == "3003"
        # … the invoice counter skips them too (D-3002 is no clash for a plain 3002) …
        assert numbering.next_invoice_number(uow) == "3002"
        # … and the job numbered before QuickBooks took 3000 cannot be invoiced under it.
        with pytest.raises(Conflict, match="Invoice number 3000 is already used"):
            invoices.create_invoice(uow, early.id)
    # Nothing of that was committed; the check sees the new numbers and proposes a start above.
    assert _check(db).proposal == (("job", 3001, 3005), ("invoice", 3000, 3005))


def test_an_invoice_made_before_quickbooks_took_its_number_is_held_by_the_sync_check(
    db: Database, admin: Actor
) -> None:
    """The sync asks QuickBooks for the RefNumber before every InvoiceAdd (the ``check`` phase)."""
    from qbwc_server import qbxml as q
    from tests.integration.sync.conftest import FINISHED, make_office

    office = make_office(db)
    _set(db, admin, invoice_start=3000)
    _customer_id, _job_id, invoice_id = office.invoiced_job()
    with db.reader() as uow:
        number = uow.session.get(Invoice, invoice_id).number  # type: ignore[union-attr]
    assert number == "3000"
    # Typed in QuickBooks after the invoice was made here, before it was sent: never imported.
    office.qb_send(q.customer_add("c", q.CustomerFields(name="Walk-in")))
    service = q.ItemFields(
        name="Service", kind=q.ItemKind.SERVICE, income_account=q.Ref.by_name("Construction Income")
    )
    office.qb_send(q.item_add("s", service))
    line = q.InvoiceLineFields(item=q.Ref.by_name("Service"), amount=Decimal("1.00"))
    office.qb_send(
        q.invoice_add(
            "i",
            q.InvoiceFields(
                customer=q.Ref.by_name("Walk-in"), txn_date=FINISHED, ref_number="3000", lines=(line,)
            ),
        )
    )
    office.sync()
    assert [a.kind for a in office.alerts()] == ["number_conflict"]
    assert sum(1 for i in office.qb.invoices if i.ref_number == "3000") == 1  # ours was not sent
    with db.reader() as uow:
        assert numbering.quickbooks_ref_numbers_taken(uow, ["3000"]) == {"3000"}
        # From now on the check knows it (below the next invoice number, 3001: no overlap).
        (invoice,) = cn.numbering_check(uow).counters
        assert (invoice.quickbooks_last, invoice.next_number, invoice.overlaps) == ("3000", "3001", False)


# --- the property --------------------------------------------------------------------------------

_modes = st.sampled_from(["simple", "match", "progress"])
_prefix = st.sampled_from(["", "J"])
_quickbooks_number = st.tuples(
    st.integers(900, 1300),
    st.sampled_from(["{n}", "D-{n}", "{n}-{k}", "D-{n}-{k}"]),
    st.integers(1, 3),
    _prefix,
).map(lambda t: t[1].format(n=f"{t[3]}{t[0]}", k=t[2]))
_steps = st.lists(st.sampled_from(["job", "invoice", "deposit", "progress", "segment", "multi"]), max_size=10)


def _handed_out(uow: UnitOfWork, mode: str, steps: list[str]) -> tuple[list[str], list[str]]:
    """Run ``steps`` through the services; (job numbers, invoice numbers) they handed out."""
    customer = make_customer(uow)
    jobs: list[Job] = []
    for step in steps:
        if step == "job" or not jobs:
            jobs.append(make_job(uow, customer))
        elif step == "segment" and jobs[-1].parent_job_id is None:
            jobs.append(make_job(uow, customer, parent=jobs[-1]))
            invoices.create_invoice(uow, jobs[-1].id)
        elif step == "invoice":
            invoices.create_invoice(uow, make_job(uow, customer).id)
        elif step == "deposit":
            invoices.create_deposit_invoice(uow, make_job(uow, customer).id, amount="10")
        elif step == "progress" and mode == "progress":
            if jobs[-1].parent_job_id is not None:
                # A segment was billed in full when it was made: bill progress on a new job.
                jobs.append(make_job(uow, customer))
            invoices.create_progress_invoice(uow, jobs[-1].id, amount="1")
        elif step == "multi":
            pair = [make_job(uow, customer).id, make_job(uow, customer).id]
            invoices.create_multi_job_invoice(uow, customer.id, pair)
    job_numbers = list(uow.session.scalars(select(Job.number)))
    invoice_numbers = list(uow.session.scalars(select(Invoice.number)))
    return job_numbers, invoice_numbers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=_modes,
    job_prefix=_prefix,
    taken=st.lists(_quickbooks_number, min_size=1, max_size=25),
    steps=_steps,
)
@example(mode="progress", job_prefix="", taken=["900"], steps=["job", "segment", "progress"])
def test_after_the_safe_start_nothing_jobdesk_hands_out_is_a_quickbooks_number(
    db: Database, admin: Actor, mode: str, job_prefix: str, taken: list[str], steps: list[str]
) -> None:
    # One transaction per example, never committed: each example starts from the same company.
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.job_prefix", job_prefix)
        set_setting(uow, "numbering.job_start", 1000)
        if mode == "match":
            set_setting(uow, "numbering.mode", "match")
        elif mode == "progress":
            set_setting(uow, "numbering.progress", True)
        numbering.record_quickbooks_ref_numbers(uow, taken)
        cn.apply_safe_start(uow, cn.numbering_check(uow))
        assert not cn.numbering_check(uow).overlaps
        cfg = numbering.config(uow)
        quickbooks = cn.quickbooks_invoice_numbers(uow)
        job_numbers, invoice_numbers = _handed_out(uow, mode, steps)
        assert not set(invoice_numbers) & quickbooks
        # Above QuickBooks' highest, not merely between its numbers.
        derived = mode != "simple"
        job_high = max(cn._values(quickbooks, "job", cfg), default=0) if derived else 0
        invoice_high = max(cn._values(quickbooks, "invoice", cfg), default=0)
        for number in job_numbers:
            value = counter_value(number, cfg.job_prefix, strip_deposit=False, strip_sequence=True)
            assert value is not None and value > job_high, number
        for number in invoice_numbers:
            value = counter_value(number, cfg.invoice_prefix, strip_deposit=False, strip_sequence=False)
            if value is not None and not (derived and number in job_numbers):
                assert value > invoice_high, number
