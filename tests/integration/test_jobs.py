"""Jobs: create, edit, lines and totals, status actions, segments, listing, concurrency."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import AuditEntry, DomainEvent, Invoice, Job
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, InvalidTransition, NotFound, ValidationError
from desktop_app.services import jobs, settings
from desktop_app.services.job_segments import SegmentPart, split_into_segments
from desktop_app.services.jobs import JobFields
from desktop_app.services.lines import LineInput
from tests.integration import service_helpers as make


def _events(db: Database, job_id: int) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.session.scalars(
                select(DomainEvent.name).where(
                    DomainEvent.entity_type == "job", DomainEvent.entity_id == job_id
                )
            )
        )


def test_create_job_with_item_and_ad_hoc_lines(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", "8.25")
        customer = make.customer(uow)
        place = make.location(uow, customer.id)
        labor = make.item(uow, "Labor", "85.00", description="Skilled labor", taxable=False)
        tile = make.item(uow, "Tile", "4.99", kind="material", taxable=True)
        created = jobs.create_job(
            uow,
            JobFields(
                customer_id=customer.id,
                name="Bathroom remodel",
                location_id=place.id,
                scheduled_start=date(2024, 6, 3),
                notes="Side door",
                lines=(
                    LineInput(quantity="10", item_id=labor.id),
                    LineInput(quantity="120.5", item_id=tile.id),
                    LineInput(quantity="1", description="Dumpster", rate="350", taxable=False),
                ),
            ),
        )
        uow.commit()
    assert created.number == "1000" and created.customer_name == "Acme Roofing"
    assert created.status == "scheduled" and created.location is not None and created.location.id == place.id
    first, second, third = created.lines
    assert (first.description, first.rate, first.amount, first.item_name) == (
        "Skilled labor",
        Decimal("85.00000"),
        Decimal("850.00"),
        "Labor",
    )
    assert (second.description, second.taxable, second.amount) == ("Tile", True, Decimal("601.30"))
    assert third.item_id is None and third.amount == Decimal("350.00")
    # Tax on the taxable subtotal only: 601.30 × 8.25% = 49.607 → 49.61.
    assert created.totals.subtotal == Decimal("1801.30")
    assert created.totals.tax == Decimal("49.61") and created.totals.total == Decimal("1850.91")
    assert _events(db, created.id) == ["job.created"]


def test_tax_exempt_customer_pays_no_tax(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", "10")
        customer = make.customer(uow, tax_exempt=True)
        created = make.job(uow, customer.id, lines=(LineInput(description="Tile", rate="100", taxable=True),))
    assert created.totals.tax == Decimal("0.00") and created.totals.total == Decimal("100.00")


def test_unscheduled_job_is_open(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        assert created.status == "open" and created.status_label == "Open"
        scheduled = jobs.update_job(
            uow,
            created.id,
            created.version,
            dataclasses.replace(created.to_fields(), scheduled_start=date(2024, 7, 1)),
        )
        assert scheduled.status == "scheduled"
        back = jobs.update_job(
            uow,
            scheduled.id,
            scheduled.version,
            dataclasses.replace(scheduled.to_fields(), scheduled_start=None),
        )
        assert back.status == "open"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 42}, "name"),
        ({"name": "Phase:1"}, "name"),
        ({"customer_id": 999}, "customer_id"),
        ({"location_id": 999}, "location_id"),
        ({"scheduled_start": date(1800, 1, 1)}, "scheduled_start"),
        ({"scheduled_start": date(3000, 1, 1)}, "scheduled_start"),
        ({"scheduled_start": "2024-01-01"}, "scheduled_start"),
        ({"notes": "n" * 10_000_000}, "notes"),
        ({"lines": (LineInput(quantity="-1", description="x", rate="1"),)}, "quantity"),
        ({"lines": (LineInput(quantity="0", description="x", rate="1"),)}, "quantity"),
        ({"lines": (LineInput(quantity="1", description="x", rate="-5"),)}, "rate"),
        ({"lines": (LineInput(quantity="1", description="x", rate=2.5),)}, "rate"),
        ({"lines": (LineInput(quantity=1.0, description="x", rate="1"),)}, "quantity"),
        ({"lines": (LineInput(quantity="1", description="x", rate="ten"),)}, "rate"),
        ({"lines": (LineInput(quantity="1", description="x"),)}, "rate"),
        ({"lines": (LineInput(quantity="1", rate="5"),)}, "description"),
        ({"lines": (LineInput(quantity="1", item_id=999),)}, "item_id"),
        ({"lines": (LineInput(quantity="1", description="x", rate="1", id=999),)}, "lines"),
        ({"lines": (LineInput(quantity="100000000", description="x", rate="100000"),)}, "amount"),
    ],
)
def test_bad_job_input_refused(db: Database, admin: Actor, changes: dict[str, object], field: str) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        uow.commit()
    before = make.snapshot(db)
    values = dataclasses.replace(JobFields(customer_id=customer.id, name="Deck"), **changes)  # type: ignore[arg-type]
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        jobs.create_job(uow, values)
        uow.commit()
    assert info.value.field == field
    assert make.snapshot(db) == before


def test_location_must_belong_to_the_customer(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        mine = make.customer(uow, "Mine")
        theirs = make.customer(uow, "Theirs")
        their_place = make.location(uow, theirs.id)
        with pytest.raises(ValidationError, match="different customer"):
            make.job(uow, mine.id, location_id=their_place.id)


def test_inactive_customer_or_item_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        from desktop_app.services import customers, items

        customer = make.customer(uow)
        item = make.item(uow)
        items.deactivate_item(uow, item.id, item.version)
        with pytest.raises(ValidationError, match="inactive"):
            make.job(uow, customer.id, lines=(LineInput(item_id=item.id),))
        customers.deactivate_customer(uow, customer.id, customer.version)
        with pytest.raises(ValidationError, match="inactive"):
            make.job(uow, customer.id)


def test_update_keeps_line_ids_and_bumps_version_for_line_only_edits(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        uow.commit()
    line = created.lines[0]
    with db.uow(admin) as uow:
        edited = jobs.update_job(
            uow,
            created.id,
            created.version,
            dataclasses.replace(
                created.to_fields(),
                lines=(
                    dataclasses.replace(
                        LineInput(), id=line.id, description=line.description, quantity="3", rate=line.rate
                    ),
                    LineInput(description="Haul away", rate="75"),
                ),
            ),
        )
        uow.commit()
    assert edited.lines[0].id == line.id and edited.lines[0].amount == Decimal("450.00")
    assert edited.totals.total == Decimal("525.00")
    assert edited.version == created.version + 1
    assert edited.number == created.number
    with db.reader() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert "lines" in json.loads(entry.changes)
    assert _events(db, created.id) == ["job.created", "job.updated"]


def test_optimistic_lock_second_save_conflicts_and_nothing_is_lost(
    db: Database, admin: Actor, office: Actor
) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        uow.commit()
    with db.reader(admin) as uow:
        seen_by_admin = jobs.get_job(uow, created.id)
    with db.reader(office) as uow:
        seen_by_office = jobs.get_job(uow, created.id)
    with db.uow(admin) as uow:
        jobs.update_job(
            uow,
            created.id,
            seen_by_admin.version,
            dataclasses.replace(seen_by_admin.to_fields(), notes="Admin's note"),
        )
        uow.commit()
    with db.uow(office) as uow, pytest.raises(Conflict, match="Another user"):
        jobs.update_job(
            uow,
            created.id,
            seen_by_office.version,
            dataclasses.replace(seen_by_office.to_fields(), name="Office rename"),
        )
    with db.uow(office) as uow, pytest.raises(Conflict):
        jobs.start_job(uow, created.id, seen_by_office.version)
    with db.reader() as uow:
        final = jobs.get_job(uow, created.id)
    assert (final.notes, final.name, final.status) == ("Admin's note", "Kitchen remodel", "open")


def test_stale_data_from_the_database_lock_is_a_conflict(db: Database, admin: Actor) -> None:
    """Even when the version check passes in Python, the UPDATE's version guard wins."""
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        uow.commit()
    with db.uow(admin) as uow:
        job = uow.session.get(Job, created.id)
        assert job is not None
        # Another writer bumps the row behind this session's back.
        uow.session.execute(
            Job.__table__.update().where(Job.id == created.id).values(version=job.version + 1)
        )
        job.notes = "late"
        with pytest.raises(Conflict):
            uow.flush()


def test_status_actions(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        started = jobs.start_job(uow, created.id, created.version, on=date(2024, 5, 1))
        assert (started.status, started.started_on) == ("in_progress", date(2024, 5, 1))
        with pytest.raises(ValidationError, match="before the start date"):
            jobs.finish_job(uow, started.id, started.version, on=date(2024, 4, 30))
        finished = jobs.finish_job(uow, started.id, started.version, on=date(2024, 5, 9))
        assert (finished.status, finished.finished_on) == ("finished", date(2024, 5, 9))
        with pytest.raises(InvalidTransition, match="reopen it instead"):
            jobs.start_job(uow, finished.id, finished.version)
        with pytest.raises(InvalidTransition, match="cannot be cancelled"):
            jobs.cancel_job(uow, finished.id, finished.version)
        reopened = jobs.reopen_job(uow, finished.id, finished.version)
        assert (reopened.status, reopened.finished_on) == ("in_progress", None)
        cancelled = jobs.cancel_job(uow, reopened.id, reopened.version, reason="Customer moved")
        assert cancelled.status == "cancelled"
        with pytest.raises(InvalidTransition, match="cannot be finished"):
            jobs.finish_job(uow, cancelled.id, cancelled.version)
        again = jobs.reopen_job(uow, cancelled.id, cancelled.version)
        assert again.status == "open"
        with pytest.raises(InvalidTransition, match="only finished or cancelled"):
            jobs.reopen_job(uow, again.id, again.version)
        with pytest.raises(InvalidTransition, match="cannot be finished"):
            jobs.finish_job(uow, again.id, again.version)
        uow.commit()
    assert _events(db, created.id) == [
        "job.created",
        "job.started",
        "job.finished",
        "job.updated",
        "job.cancelled",
        "job.updated",
    ]
    with db.reader() as uow:
        summaries = uow.session.scalars(
            select(AuditEntry.summary).where(AuditEntry.entity_type == "job").order_by(AuditEntry.id)
        ).all()
    assert "Customer moved" in summaries[4]


def test_start_and_finish_default_to_today(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        started = jobs.start_job(uow, created.id, created.version)
        finished = jobs.finish_job(uow, started.id, started.version)
    assert started.started_on == date.today() and finished.finished_on == date.today()


def test_action_dates_out_of_range_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        with pytest.raises(ValidationError) as info:
            jobs.start_job(uow, created.id, created.version, on=date(1800, 1, 1))
        assert info.value.field == "started_on"
        assert jobs.get_job(uow, created.id).status == "open"


def test_cancel_refused_while_invoices_are_live(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        created = make.job(uow, customer.id)
        invoice = Invoice(
            number="5001", customer_id=customer.id, job_id=created.id, invoice_date=date(2024, 5, 1)
        )
        uow.session.add(invoice)
        uow.session.flush()
        with pytest.raises(InvalidTransition, match="void them"):
            jobs.cancel_job(uow, created.id, created.version)
        invoice.status = "void"
        uow.session.flush()
        assert jobs.cancel_job(uow, created.id, created.version).status == "cancelled"


def test_customer_change_refused_once_invoiced(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        other = make.customer(uow, "Other")
        created = make.job(uow, customer.id)
        moved = jobs.update_job(
            uow, created.id, created.version, dataclasses.replace(created.to_fields(), customer_id=other.id)
        )
        assert moved.customer_name == "Other"
        uow.session.add(
            Invoice(number="5002", customer_id=other.id, job_id=created.id, invoice_date=date(2024, 5, 1))
        )
        uow.session.flush()
        with pytest.raises(ValidationError, match="has invoices"):
            jobs.update_job(
                uow, moved.id, moved.version, dataclasses.replace(moved.to_fields(), customer_id=customer.id)
            )


def test_unknown_job(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        with pytest.raises(NotFound):
            jobs.get_job(uow, 4040)
        with pytest.raises(NotFound):
            jobs.start_job(uow, 4040, 1)
        with pytest.raises(NotFound):
            jobs.update_job(uow, 4040, 1, JobFields(customer_id=1, name="x"))


def test_list_jobs_search_filter_sort_page(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", "10")
        acme = make.customer(uow, "Acme Roofing")
        zed = make.customer(uow, "Zed Homes")
        roof = make.job(
            uow, acme.id, "Roof repair", lines=(LineInput(description="Shingles", rate="100", taxable=True),)
        )
        deck = make.job(uow, zed.id, "Deck")
        make.job(uow, zed.id, "Fence")
        jobs.start_job(uow, deck.id, deck.version, on=date(2024, 5, 1))
        uow.commit()
    with db.reader() as uow:
        everything = jobs.list_jobs(uow)
        assert [r.number for r in everything.rows] == ["1000", "1001", "1002"] and everything.total == 3
        assert everything.rows[0].total == Decimal("110.00")
        assert [r.name for r in jobs.list_jobs(uow, search="zed").rows] == ["Deck", "Fence"]
        assert [r.name for r in jobs.list_jobs(uow, search="1000").rows] == ["Roof repair"]
        assert [r.name for r in jobs.list_jobs(uow, search="zed fen").rows] == ["Fence"]
        assert [r.name for r in jobs.list_jobs(uow, status="in_progress").rows] == ["Deck"]
        assert jobs.list_jobs(uow, status=["open", "in_progress"]).total == 3
        assert [r.name for r in jobs.list_jobs(uow, customer_id=roof.customer_id).rows] == ["Roof repair"]
        assert [r.name for r in jobs.list_jobs(uow, sort="name").rows] == ["Deck", "Fence", "Roof repair"]
        assert jobs.list_jobs(uow, sort="customer", descending=True).rows[0].customer_name == "Zed Homes"
        page = jobs.list_jobs(uow, offset=2, limit=2)
        assert (page.total, len(page.rows), page.rows[0].number) == (3, 1, "1002")
        with pytest.raises(ValidationError):
            jobs.list_jobs(uow, status="bogus")
        with pytest.raises(ValidationError):
            jobs.list_jobs(uow, sort="bogus")


def test_split_into_segments_moves_lines(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        lines = tuple(LineInput(description=f"Phase {n}", rate=f"{n}00") for n in (1, 2, 3))
        parent = make.job(uow, make.customer(uow).id, "Whole house", lines=lines)
        ids = [line.id for line in parent.lines]
        segments = split_into_segments(
            uow,
            parent.id,
            parent.version,
            [
                SegmentPart(line_ids=[ids[0]]),
                SegmentPart(name="Upstairs", line_ids=[ids[2]]),
                SegmentPart(name="Extras"),
            ],
        )
        uow.commit()
    assert [s.number for s in segments] == ["1000-1", "1000-2", "1000-3"]
    assert [s.name for s in segments] == ["Whole house part 1", "Upstairs", "Extras"]
    assert [s.segment_index for s in segments] == [1, 2, 3]
    assert [s.totals.total for s in segments] == [Decimal("100.00"), Decimal("300.00"), Decimal("0.00")]
    assert all(s.parent_job_id == parent.id for s in segments)
    with db.reader() as uow:
        after = jobs.get_job(uow, parent.id)
        assert [line.description for line in after.lines] == ["Phase 2"]
        assert after.segment_ids == tuple(s.id for s in segments)
        assert after.version > parent.version
        assert [r.number for r in jobs.list_jobs(uow, include_segments=False).rows] == ["1000"]
    with db.uow(admin) as uow:
        more = split_into_segments(uow, after.id, after.version, [SegmentPart(name="Later")])
        assert more[0].number == "1000-4"
        with pytest.raises(InvalidTransition, match="itself a segment"):
            split_into_segments(uow, segments[0].id, segments[0].version, [SegmentPart(name="x")])


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [SegmentPart()],
        [SegmentPart(line_ids=[999])],
        [SegmentPart(name="x" * 42)],
        [SegmentPart(name="A:B")],
        "not a list",
    ],
)
def test_split_bad_parts_refused_and_nothing_changes(db: Database, admin: Actor, parts: object) -> None:
    with db.uow(admin) as uow:
        parent = make.job(uow, make.customer(uow).id)
        uow.commit()
    before = make.snapshot(db)
    with db.uow(admin) as uow, pytest.raises(ValidationError):
        split_into_segments(uow, parent.id, parent.version, parts)  # type: ignore[arg-type]
        uow.commit()
    assert make.snapshot(db) == before


def test_split_same_line_twice_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        parent = make.job(uow, make.customer(uow).id)
        line_id = parent.lines[0].id
        with pytest.raises(ValidationError, match="already in another segment"):
            split_into_segments(
                uow,
                parent.id,
                parent.version,
                [SegmentPart(line_ids=[line_id]), SegmentPart(line_ids=[line_id])],
            )
        assert uow.session.scalar(select(func.count()).select_from(Job)) == 1


def test_split_finished_job_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.job(uow, make.customer(uow).id)
        started = jobs.start_job(uow, created.id, created.version, on=date(2024, 1, 1))
        finished = jobs.finish_job(uow, started.id, started.version, on=date(2024, 1, 2))
        with pytest.raises(InvalidTransition, match="cannot be split"):
            split_into_segments(uow, finished.id, finished.version, [SegmentPart(name="Late")])
