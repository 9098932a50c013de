"""Numbers already used, here or in QuickBooks: typed job numbers, counters, resets (issue 15, rules 3–4)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry, Job, QbLink
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import PermissionDenied, ValidationError
from desktop_app.services import counter_reset, invoices, numbering
from desktop_app.services.settings import get_setting, set_setting
from tests.factories import make_customer, make_job


def _set(db: Database, admin: Actor, **values: object) -> None:
    with db.uow(admin) as uow:
        for key, value in values.items():
            set_setting(uow, f"numbering.{key}", value)
        uow.commit()


def _job_number(db: Database, job_id: int) -> str:
    with db.reader() as uow:
        job = uow.session.get(Job, job_id)
        assert job is not None
        return job.number


def _invoice_numbered(uow: UnitOfWork, number: str, *, void: bool = False) -> None:
    """An invoice of another job carrying ``number`` (as a renumbered or imported one would)."""
    other = make_job(uow, make_customer(uow))
    invoice = invoices.create_invoice(uow, other.id)
    if void:
        invoices.void_invoice(uow, invoice.id, "mistake")
    numbering._apply_invoice_numbers(uow, [numbering.NumberChange(invoice.id, invoice.number, number)])


# --- rule 3: a typed job number whose invoice numbers are taken is refused at once -----------


@pytest.mark.parametrize(
    ("taken", "void"),
    [("5000", False), ("5000", True), ("D-5000", True), ("5000-1", True), ("D-5000-2", False)],
)
def test_match_numbering_refuses_a_job_number_an_invoice_already_has(
    db: Database, admin: Actor, taken: str, void: bool
) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        _invoice_numbered(uow, taken, void=void)
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError) as refused:
        numbering.renumber_job(uow, job.id, "5000")
    assert refused.value.field == "number"
    assert f"its invoices would be numbered {taken}, and an invoice here already has it" in str(refused.value)
    assert _job_number(db, job.id) == job.number


@pytest.mark.parametrize("where", ["recorded import", "linked invoice"])
def test_match_numbering_refuses_a_job_number_quickbooks_has_as_an_invoice(
    db: Database, admin: Actor, where: str
) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        if where == "recorded import":
            assert numbering.record_quickbooks_ref_numbers(uow, ["D-7000"]) == 1
        else:
            # Our invoice is in QuickBooks as 7000-1, though renumbered here since (not yet sent).
            other = make_job(uow, make_customer(uow))
            sent = invoices.create_invoice(uow, other.id)
            uow.session.add(QbLink(entity_type="invoice", entity_id=sent.id, qb_id="TX-1", qb_name="7000-1"))
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="QuickBooks already has an invoice"):
        numbering.check_job_number_free(uow, "7000", job_id=job.id)
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="QuickBooks already has"):
        numbering.renumber_job(uow, job.id, "7000")
    assert _job_number(db, job.id) == job.number


def test_numbers_that_only_look_alike_do_not_block(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        for number in ("50001", "5000-A", "5000-1-2-3", "D-50001"):
            _invoice_numbered(uow, number)
        numbering.renumber_job(uow, job.id, "5000")
        uow.commit()
    assert _job_number(db, job.id) == "5000"


def test_progress_numbering_refuses_a_job_number_whose_progress_numbers_are_taken(
    db: Database, admin: Actor
) -> None:
    _set(db, admin, progress=True)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        numbering.record_quickbooks_ref_numbers(uow, ["6000-3"])
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="6000-3"):
        numbering.renumber_job(uow, job.id, "6000")
    # A plain invoice number 6000 is no clash: progress invoices are 6000-1, 6000-2 ...
    with db.uow(admin) as uow:
        _invoice_numbered(uow, "6100")
        numbering.renumber_job(uow, job.id, "6100")
        uow.commit()
    assert _job_number(db, job.id) == "6100"


def test_simple_numbering_lets_a_job_share_a_number_with_an_invoice(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        _invoice_numbered(uow, "5000")
        numbering.renumber_job(uow, job.id, "5000")
        uow.commit()
    assert _job_number(db, job.id) == "5000"


def test_renumbering_a_job_keeps_its_own_invoices_out_of_the_way(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match", job_start=1003)
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        invoices.create_deposit_invoice(uow, job.id, amount="10")
        invoices.create_invoice(uow, job.id)
        numbering.renumber_job(uow, job.id, "2003")
        # …and back: the job's own live invoices follow it, so 1003 is free again.
        numbering.renumber_job(uow, job.id, "1003")
        uow.commit()
    assert _job_number(db, job.id) == "1003"


def test_counters_skip_numbers_quickbooks_has(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        numbering.record_quickbooks_ref_numbers(uow, ["1000", "D-1001", "1002-1"])
        assert numbering.next_job_number(uow) == "1003"
        # The invoice counter (multi-job invoices) skips QuickBooks' numbers and job numbers.
        numbering.record_quickbooks_ref_numbers(uow, ["1004"])
        make_job(uow, make_customer(uow), number="1005")
        assert [numbering.next_invoice_number(uow) for _ in range(4)] == ["1001", "1002", "1003", "1006"]


def test_recording_quickbooks_numbers_is_idempotent(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        assert (
            numbering.record_quickbooks_ref_numbers(uow, ["1001", " 1002 ", "", "TWELVE-CHARS", "1001"]) == 2
        )
        assert numbering.record_quickbooks_ref_numbers(uow, ["1002", "1003"]) == 1
        uow.session.add(QbLink(entity_type="invoice", entity_id=99, qb_id="TX-9", qb_name="1009"))
        uow.session.add(QbLink(entity_type="customer", entity_id=1, qb_id="80-1", qb_name="1010"))
        uow.commit()
    with db.reader() as uow:
        taken = numbering.quickbooks_ref_numbers_taken(uow, ["1001", "1002", "1003", "1004", "1009", "1010"])
    assert taken == {"1001", "1002", "1003", "1009"}


def test_two_sessions_recording_the_same_numbers_both_succeed(db: Database, admin: Actor) -> None:
    with db.uow(admin) as first:
        assert numbering.record_quickbooks_ref_numbers(first, ["3001", "3002"]) == 2
        first.commit()
    with db.uow(admin) as second:
        # A batch overlapping what is stored, recorded again: only the new one counts.
        assert numbering.record_quickbooks_ref_numbers(second, ["3002", "3003"]) == 1
        second.commit()
    with db.reader() as uow:
        assert numbering.quickbooks_ref_numbers_taken(uow, ["3001", "3002", "3003"]) == {
            "3001",
            "3002",
            "3003",
        }


# --- rule 4: the counter can be reset, to just above the highest number used --------------------


def _two_invoices(db: Database, admin: Actor) -> None:
    _set(db, admin, invoice_start=5000)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        for _ in range(2):
            invoices.create_invoice(uow, make_job(uow, customer).id)
        uow.commit()


def test_a_counter_moved_forward_by_mistake_goes_back_to_just_above_the_highest_used(
    db: Database, admin: Actor
) -> None:
    _two_invoices(db, admin)  # 5000 and 5001
    with db.uow(admin) as uow:
        counter_reset.set_next_number(uow, "invoice", 5100)
        uow.commit()
    with db.reader() as uow:
        preview = counter_reset.preview_next_number(uow, "invoice", 5002)
    assert preview.highest_used == "5001"
    assert preview.reused == counter_reset.NumberSpan("5002", "5099", 98) and preview.skipped is None
    assert "5002–5099 (98 numbers) handed out again" in preview.summary
    with db.reader() as uow:
        assert numbering.next_numbers(uow).invoice == "5100"  # the preview changed nothing
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError, match=r"up to 5001 are already used.*no further than 5002"):
            counter_reset.set_next_number(uow, "invoice", 5001)
        change = counter_reset.set_next_number(uow, "invoice", 5002)
        uow.commit()
    assert change.next_numbers.invoice == "5002"
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        assert invoices.create_invoice(uow, job.id).number == "5002"
        uow.commit()
    with db.reader() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "numbering").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.summary == change.summary and entry.user_name == admin.name
        assert json.loads(entry.changes) == {"invoice": [5100, 5002]}


def test_numbers_quickbooks_has_count_as_used(db: Database, admin: Actor) -> None:
    _two_invoices(db, admin)
    with db.uow(admin) as uow:
        counter_reset.set_next_number(uow, "invoice", 5100)
        numbering.record_quickbooks_ref_numbers(uow, ["5050", "INV-9999"])
        with pytest.raises(ValidationError, match="up to 5050"):
            counter_reset.preview_next_number(uow, "invoice", 5002)
        assert counter_reset.set_next_number(uow, "invoice", 5051).reused == counter_reset.NumberSpan(
            "5051", "5099", 49
        )


def test_the_job_counter_counts_segments_deposits_and_derived_invoice_numbers(
    db: Database, admin: Actor
) -> None:
    _set(db, admin, mode="match", job_start=2000)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        parent = make_job(uow, customer)  # 2000
        make_job(uow, customer, parent=parent)  # 2000-1
        numbering.record_quickbooks_ref_numbers(uow, ["D-2040", "2041-1"])
        counter_reset.set_next_number(uow, "job", 3000)
        with pytest.raises(ValidationError, match="up to 2041"):
            counter_reset.set_next_number(uow, "job", 2041)
        assert counter_reset.set_next_number(uow, "job", 2042).highest_used == "2041"


def test_counter_reset_is_for_admins(db: Database, admin: Actor, office: Actor) -> None:
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        counter_reset.set_next_number(uow, "invoice", 2000)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError, match="job counter or the invoice counter"):
            counter_reset.set_next_number(uow, "bids", 2000)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="at least 1"):
            counter_reset.preview_next_number(uow, "job", 0)


# --- issue 16, point 7: a first number below numbers already used ------------------------------


def test_a_first_invoice_number_at_or_below_numbers_used_is_refused(db: Database, admin: Actor) -> None:
    _two_invoices(db, admin)  # 5000, 5001
    with db.uow(admin) as uow:
        for value in (1000, 5001):
            with pytest.raises(ValidationError) as refused:
                set_setting(uow, "numbering.invoice_start", value)
            assert refused.value.field == "numbering.invoice_start"
            assert "Invoice numbers up to 5001 are already used" in str(refused.value)
            assert "must be more than 5001" in str(refused.value)
        set_setting(uow, "numbering.invoice_start", 5002)
        uow.commit()
    with db.reader() as uow:
        assert get_setting(uow, "numbering.invoice_start") == 5002


def test_a_first_job_number_at_or_below_numbers_used_is_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make_job(uow, make_customer(uow))  # 1000
        with pytest.raises(ValidationError, match="Job numbers up to 1000 are already used"):
            set_setting(uow, "numbering.job_start", 900)
        # Another prefix starts a fresh series: nothing with "J" is used yet, so the counter
        # may go back to 1 (the first-number setting alone never moves it back).
        set_setting(uow, "numbering.job_prefix", "J")
        set_setting(uow, "numbering.job_start", 1)
        assert numbering.next_numbers(uow).job == "J1001"
        assert counter_reset.set_next_number(uow, "job", 1).highest_used is None
        assert numbering.next_job_number(uow) == "J1"


def test_renumbering_a_job_is_for_admins(db: Database, admin: Actor, office: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        uow.commit()
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        numbering.renumber_job(uow, job.id, "7777")
    assert _job_number(db, job.id) == job.number


def test_a_job_whose_invoice_is_in_quickbooks_keeps_its_number(db: Database, admin: Actor) -> None:
    _set(db, admin, mode="match")
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        invoice = invoices.create_invoice(uow, job.id)
        uow.session.add(
            QbLink(entity_type="invoice", entity_id=invoice.id, qb_id="1A-1", qb_name=invoice.number)
        )
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="already in QuickBooks"):
        numbering.renumber_job(uow, job.id, "7777")
    assert _job_number(db, job.id) == job.number
