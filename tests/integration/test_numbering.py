from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import AuditEntry, DomainEvent, Invoice, Job, QbLink
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, PermissionDenied, ValidationError
from desktop_app.services import counter_reset, invoices, numbering
from desktop_app.services.settings import get_setting, set_setting
from tests.factories import make_customer, make_job


def _set(db: Database, admin: Actor, **values: object) -> None:
    with db.uow(admin) as uow:
        for key, value in values.items():
            set_setting(uow, f"numbering.{key}", value)
        uow.commit()


def test_simple_mode_separate_counters_and_deposit_next_consecutive(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        job1 = make_job(uow, customer)
        job2 = make_job(uow, customer)
        assert (job1.number, job2.number) == ("1000", "1001")
        main = invoices.create_invoice(uow, job1.id)
        deposit = invoices.create_deposit_invoice(uow, job1.id, percent="10") if False else None
        other = invoices.create_invoice(uow, job2.id)
        uow.commit()
    assert deposit is None
    assert (main.number, other.number) == ("1000", "1001")
    with db.uow(admin) as uow:
        job3 = make_job(uow, customer)
        dep = invoices.create_deposit_invoice(uow, job3.id, percent="25")
        main3 = invoices.create_invoice(uow, job3.id)
        uow.commit()
    # Simple mode: the deposit and the main invoice take consecutive invoice numbers.
    assert (dep.number, main3.number) == ("1002", "1003")


def test_prefix_and_start(db: Database, admin: Actor) -> None:
    _set(db, admin, job_prefix="J", invoice_prefix="INV-", job_start=5000, invoice_start=70)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        inv = invoices.create_invoice(uow, job.id)
        assert numbering.next_numbers(uow) == numbering.NextNumbers(job="J5001", invoice="INV-71")
        uow.commit()
    assert (job.number, inv.number) == ("J5000", "INV-70")


def test_counter_skips_numbers_already_taken(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        make_job(uow, customer, number="1000")
        assert numbering.next_job_number(uow) == "1001"


def test_match_mode_invoice_is_job_number_and_deposit_d_prefix(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match", job_start=11503)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        dep = invoices.create_deposit_invoice(uow, job.id, amount="100")
        main = invoices.create_invoice(uow, job.id)
        uow.commit()
    assert (job.number, dep.number, main.number) == ("11503", "D-11503", "11503")


def test_match_mode_segments(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match", job_start=1003)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        parent = make_job(uow, customer)
        seg1 = make_job(uow, customer, parent=parent)
        seg2 = make_job(uow, customer, parent=parent)
        inv1 = invoices.create_invoice(uow, seg1.id)
        inv2 = invoices.create_invoice(uow, seg2.id)
        uow.commit()
    assert (seg1.number, seg2.number) == ("1003-1", "1003-2")
    assert (seg1.segment_index, seg2.segment_index) == (1, 2)
    assert (inv1.number, inv2.number) == ("1003-1", "1003-2")
    assert inv1.kind == "segment"


def test_match_mode_voided_number_not_reused(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        first = invoices.create_invoice(uow, job.id)
        invoices.void_invoice(uow, first.id, "wrong")
        with pytest.raises(Conflict, match="change the job number"):
            invoices.create_invoice(uow, job.id)
        # Renumbering the job is the way to invoice it again.
        numbering.renumber_job(uow, job.id, "1000R")
        again = invoices.create_invoice(uow, job.id)
        assert again.number == "1000R"
        # The voided invoice keeps its number.
        assert invoices.get_invoice(uow, first.id).number == "1000"


def test_progress_mode_numbers_in_creation_order_never_reused(db: Database, admin: Actor) -> None:
    _set(db, admin, progress=True, job_start=1003)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        a = invoices.create_progress_invoice(uow, job.id, percent="30")
        b = invoices.create_progress_invoice(uow, job.id, percent="30")
        invoices.void_invoice(uow, b.id)
        c = invoices.create_progress_invoice(uow, job.id, percent="30")
        d = invoices.create_deposit_invoice(uow, job.id, amount="10")
        uow.commit()
    assert [a.number, b.number, c.number, d.number] == ["1003-1", "1003-2", "1003-3", "1003-4"]


def test_renumber_job_renumbers_invoices_and_segments(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match", job_start=1003)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        job = make_job(uow, customer)
        seg = make_job(uow, customer, parent=job)
        dep = invoices.create_deposit_invoice(uow, job.id, amount="50")
        main = invoices.create_invoice(uow, job.id)
        seg_inv = invoices.create_invoice(uow, seg.id)
        result = numbering.renumber_job(uow, job.id, "2003")
        uow.commit()
    assert result.old_number == "1003" and result.new_number == "2003"
    with db.reader() as uow:
        assert uow.session.get(Job, seg.id).number == "2003-1"  # type: ignore[union-attr]
        numbers = {i.id: i.number for i in uow.session.scalars(select(Invoice))}
        assert numbers == {dep.id: "D-2003", main.id: "2003", seg_inv.id: "2003-1"}
        events = uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.name == "job.renumbered")
        ).all()
        assert len(events) == 2
        assert (
            uow.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "renumber")
            )
            == 5
        )


def test_renumber_job_refuses_duplicate_and_too_long(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        a = make_job(uow, customer)
        make_job(uow, customer)
        with pytest.raises(ValidationError, match="already used"):
            numbering.renumber_job(uow, a.id, "1001")
        with pytest.raises(ValidationError, match="D-1234567890") as err:
            numbering.renumber_job(uow, a.id, "1234567890")
        assert "at most 9" in str(err.value)
        assert a.number == "1000"


def test_settings_refuse_numbers_longer_than_quickbooks_allows(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.invoice_prefix", "INV-")
        with pytest.raises(ValidationError, match="at most 11") as err:
            set_setting(uow, "numbering.invoice_start", 12345678)
        assert err.value.field == "numbering.invoice_start"
        set_setting(uow, "numbering.invoice_start", 1234567)
        set_setting(uow, "numbering.job_start", 123456789)
        # In match mode a deposit adds "D-": a 9-digit job number still fits, a 10-digit one not.
        set_setting(uow, "numbering.mode", "match")
        with pytest.raises(ValidationError, match=r"D-|at most 9"):
            set_setting(uow, "numbering.job_prefix", "J")
        with pytest.raises(ValidationError, match="progress"):
            set_setting(uow, "numbering.progress", True)
        uow.commit()
    with db.reader() as uow:
        assert get_setting(uow, "numbering.job_prefix") == ""
        assert get_setting(uow, "numbering.progress") is False


def test_progress_mode_leaves_room_for_suffix(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.job_start", 123456789)
        with pytest.raises(ValidationError, match="progress"):
            set_setting(uow, "numbering.progress", True)


def test_numbering_settings_admin_only(db: Database, office: Actor) -> None:
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        set_setting(uow, "numbering.job_prefix", "J")
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        counter_reset.set_next_number(uow, "job", 5000)


def test_counter_moves_forward_and_back_to_just_above_the_highest_used(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make_job(uow, make_customer(uow))
        forward = counter_reset.set_next_number(uow, "job", 2000)
        assert forward.next_numbers.job == "2000"
        assert forward.skipped == counter_reset.NumberSpan("1001", "1999", 999) and forward.reused is None
        back = counter_reset.set_next_number(uow, "job", 1999)
        assert back.reused == counter_reset.NumberSpan("1999", "1999", 1)
        with pytest.raises(ValidationError, match="at most 11"):
            counter_reset.set_next_number(uow, "invoice", 10**11)
        assert numbering.next_job_number(uow) == "1999"
        assert counter_reset.set_next_number(uow, "invoice", 9000).next_numbers.invoice == "9000"
        uow.commit()
    with db.reader() as uow:
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "numbering")).all()
        assert [json.loads(e.changes) for e in entries] == [
            {"job": [1001, 2000]},
            {"job": [2000, 1999]},
            {"invoice": [1000, 9000]},
        ]
        assert [e.summary for e in entries] == [
            "Next job number 1001 → 2000: 1001–1999 (999 numbers) skipped, never handed out.",
            "Next job number 2000 → 1999: 1999 handed out again (never used, here or in QuickBooks).",
            "Next invoice number 1000 → 9000: 1000–8999 (8,000 numbers) skipped, never handed out.",
        ]


def test_switch_to_match_preview_and_renumber(db: Database, admin: Actor) -> None:
    _set(db, admin, invoice_start=500, job_start=1003)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        j1 = make_job(uow, customer)
        j2 = make_job(uow, customer)
        j3 = make_job(uow, customer)
        dep = invoices.create_deposit_invoice(uow, j1.id, amount="10")
        i1 = invoices.create_invoice(uow, j1.id)
        i2 = invoices.create_invoice(uow, j2.id)
        i3 = invoices.create_invoice(uow, j3.id)
        uow.session.add(QbLink(entity_type="invoice", entity_id=i3.id, qb_id="TXN-1"))
        uow.commit()
    with db.reader() as uow:
        preview = numbering.preview_match_switch(uow)
    assert {(c.old_number, c.new_number) for c in preview.changes} == {
        (dep.number, "D-1003"),
        (i1.number, "1003"),
        (i2.number, "1004"),
    }
    assert [(s.number, s.reason) for s in preview.skipped] == [(i3.number, "already in QuickBooks")]
    with db.uow(admin) as uow:
        numbering.switch_to_match(uow, renumber_existing=True)
        uow.commit()
    with db.reader() as uow:
        assert get_setting(uow, "numbering.mode") == "match"
        assert invoices.get_invoice(uow, i1.id).number == "1003"
        assert invoices.get_invoice(uow, i3.id).number == i3.number
        summaries = uow.session.scalars(
            select(AuditEntry.summary).where(AuditEntry.action == "numbering")
        ).all()
        assert any("3 invoices renumbered" in s for s in summaries)


def test_switch_to_match_future_only_changes_no_invoice(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        inv = invoices.create_invoice(uow, job.id)
        preview = numbering.switch_to_match(uow, renumber_existing=False)
        uow.commit()
    assert preview.changes == ()
    with db.reader() as uow:
        assert invoices.get_invoice(uow, inv.id).number == inv.number


def test_switch_to_match_admin_only_and_refused_with_progress(
    db: Database, admin: Actor, office: Actor
) -> None:
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        numbering.switch_to_match(uow, renumber_existing=True)
    _set(db, admin, progress=True)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="progress"):
        numbering.switch_to_match(uow, renumber_existing=False)
