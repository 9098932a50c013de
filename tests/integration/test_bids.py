"""Bids: lines from the price book, totals, status transitions, conversion to a job."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Bid, Job
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, InvalidTransition, NotFound, ValidationError
from desktop_app.services import bids, customers, jobs, settings
from desktop_app.services.bids import BidFields
from desktop_app.services.lines import LineInput
from tests.integration import service_helpers as make


def _bid(uow, customer_id: int, title: str = "New roof", **fields) -> bids.BidDetail:  # type: ignore[no-untyped-def]
    lines = fields.pop(
        "lines", (LineInput(quantity="2", description="Shingles", rate="199.99", taxable=True),)
    )
    return bids.create_bid(uow, BidFields(customer_id=customer_id, title=title, lines=lines, **fields))


def test_create_bid_copies_item_and_numbers(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", "7.5")
        customer = make.customer(uow)
        place = make.location(uow, customer.id)
        labor = make.item(uow, "Labor", "65.50", description="", taxable=False)
        first = _bid(
            uow,
            customer.id,
            location_id=place.id,
            valid_until=date(2024, 8, 1),
            notes="Valid 30 days",
            lines=(
                LineInput(quantity="3", item_id=labor.id),
                LineInput(
                    quantity="1", item_id=labor.id, description="Overtime labor", rate="98.25", taxable=True
                ),
            ),
        )
        second = _bid(uow, customer.id)
        uow.commit()
    assert (first.number, second.number) == ("B-1001", "B-1002")
    assert first.status == "draft" and first.location is not None and first.valid_until == date(2024, 8, 1)
    copied, overridden = first.lines
    assert (copied.description, copied.rate, copied.taxable, copied.amount) == (
        "Labor",
        Decimal("65.50000"),
        False,
        Decimal("196.50"),
    )
    assert (overridden.description, overridden.taxable, overridden.amount) == (
        "Overtime labor",
        True,
        Decimal("98.25"),
    )
    # 98.25 × 7.5% = 7.36875 → 7.37 (half-up).
    assert first.totals.tax == Decimal("7.37") and first.totals.total == Decimal("302.12")


def test_price_book_change_does_not_change_existing_bid(db: Database, admin: Actor) -> None:
    from desktop_app.services import items

    with db.uow(admin) as uow:
        customer = make.customer(uow)
        item = make.item(uow, "Labor", "50")
        bid = _bid(uow, customer.id, lines=(LineInput(item_id=item.id),))
        items.update_item(uow, item.id, item.version, dataclasses.replace(item.to_fields(), unit_price="60"))
        assert bids.get_bid(uow, bid.id).lines[0].rate == Decimal("50.00000")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "t" * 101}, "title"),
        ({"customer_id": 999}, "customer_id"),
        ({"customer_id": "1"}, "customer_id"),
        ({"location_id": 999}, "location_id"),
        ({"valid_until": date(1800, 1, 1)}, "valid_until"),
        ({"valid_until": date(3000, 1, 1)}, "valid_until"),
        ({"lines": (LineInput(quantity="-2", description="x", rate="1"),)}, "quantity"),
        ({"lines": (LineInput(quantity="0", description="x", rate="1"),)}, "quantity"),
        ({"lines": (LineInput(quantity="1", description="x", rate="-1"),)}, "rate"),
        ({"lines": (LineInput(quantity="1", description="x", rate="12.5.0"),)}, "rate"),
        ({"lines": (LineInput(quantity="1", description="x", rate=Decimal("NaN")),)}, "rate"),
        ({"lines": ("not a line",)}, "lines"),
        ({"lines": tuple(LineInput(description="x", rate="1") for _ in range(501))}, "lines"),
    ],
)
def test_bad_bid_input(db: Database, admin: Actor, changes: dict[str, object], field: str) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        uow.commit()
    before = make.snapshot(db)
    values = dataclasses.replace(BidFields(customer_id=customer.id, title="Roof"), **changes)  # type: ignore[arg-type]
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        bids.create_bid(uow, values)
        uow.commit()
    assert info.value.field == field
    assert make.snapshot(db) == before


def test_update_bid_and_conflict(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bid = _bid(uow, make.customer(uow).id)
        uow.commit()
    with db.uow(admin) as uow:
        changed = bids.update_bid(
            uow, bid.id, bid.version, dataclasses.replace(bid.to_fields(), title="Roof + gutters")
        )
        uow.commit()
    assert changed.title == "Roof + gutters" and changed.version == bid.version + 1
    with db.uow(admin) as uow, pytest.raises(Conflict):
        bids.update_bid(uow, bid.id, bid.version, bid.to_fields())
    with db.uow(admin) as uow:
        lines_only = bids.update_bid(
            uow,
            changed.id,
            changed.version,
            dataclasses.replace(changed.to_fields(), lines=(LineInput(description="Gutters", rate="400"),)),
        )
    assert lines_only.version == changed.version + 1 and lines_only.totals.total == Decimal("400.00")


def test_status_transitions(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bid = _bid(uow, make.customer(uow).id)
        sent = bids.set_bid_status(uow, bid.id, bid.version, "sent")
        declined = bids.set_bid_status(uow, sent.id, sent.version, "declined")
        with pytest.raises(InvalidTransition, match="declined, so it cannot be accepted"):
            bids.set_bid_status(uow, declined.id, declined.version, "accepted")
        with pytest.raises(InvalidTransition, match="cannot be marked as sent"):
            bids.set_bid_status(uow, declined.id, declined.version, "sent")
        draft = bids.set_bid_status(uow, declined.id, declined.version, "draft")
        accepted = bids.set_bid_status(uow, draft.id, draft.version, "accepted")
        assert accepted.status == "accepted" and accepted.status_label == "Accepted"
        for target in ("draft", "sent", "declined"):
            with pytest.raises(InvalidTransition):
                bids.set_bid_status(uow, accepted.id, accepted.version, target)
        with pytest.raises(InvalidTransition, match="can no longer be changed"):
            bids.update_bid(uow, accepted.id, accepted.version, accepted.to_fields())
        with pytest.raises(ValidationError):
            bids.set_bid_status(uow, accepted.id, accepted.version, "won")


def test_convert_draft_accepts_and_creates_job(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        place = make.location(uow, customer.id)
        bid = _bid(
            uow, customer.id, title="Re-roof: main house", location_id=place.id, notes="Use gray shingles"
        )
        job = bids.convert_to_job(uow, bid.id, bid.version)
        uow.commit()
    assert job.name == "Re-roof- main house" and job.bid_id == bid.id
    assert job.location is not None and job.location.id == place.id and job.notes == "Use gray shingles"
    assert [(ln.description, ln.quantity, ln.rate) for ln in job.lines] == [
        ("Shingles", Decimal("2.00000"), Decimal("199.99000"))
    ]
    assert job.totals == bid.totals
    with db.reader() as uow:
        after = bids.get_bid(uow, bid.id)
    assert after.status == "accepted" and after.job_id == job.id
    with db.uow(admin) as uow, pytest.raises(InvalidTransition, match="already converted to job"):
        bids.convert_to_job(uow, after.id, after.version)


def test_convert_declined_refused_and_nothing_created(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bid = _bid(uow, make.customer(uow).id)
        declined = bids.set_bid_status(uow, bid.id, bid.version, "declined")
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(InvalidTransition):
        bids.convert_to_job(uow, declined.id, declined.version)
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Job)) == 0
        assert uow.session.get(Bid, bid.id).status == "declined"  # type: ignore[union-attr]


def test_convert_with_name_and_inactive_customer(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        bid = _bid(uow, customer.id)
        with pytest.raises(ValidationError):
            bids.convert_to_job(uow, bid.id, bid.version, job_name="bad:name")
        off = customers.deactivate_customer(uow, customer.id, customer.version)
        with pytest.raises(ValidationError, match="inactive"):
            bids.convert_to_job(uow, bid.id, bid.version)
        customers.reactivate_customer(uow, off.id, off.version)
        job = bids.convert_to_job(uow, bid.id, bid.version, job_name="Roof 2024")
        assert job.name == "Roof 2024" and jobs.get_job(uow, job.id).bid_id == bid.id


def test_list_bids(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        acme = make.customer(uow, "Acme")
        zed = make.customer(uow, "Zed", tax_exempt=True)
        settings.set_setting(uow, "tax.default_rate", "10")
        _bid(uow, acme.id, "Roof")
        other = _bid(uow, zed.id, "Deck")
        bids.set_bid_status(uow, other.id, other.version, "sent")
        uow.commit()
    with db.reader() as uow:
        page = bids.list_bids(uow)
        assert [r.number for r in page.rows] == ["B-1002", "B-1001"] and page.total == 2
        assert {r.title: r.total for r in page.rows} == {"Roof": Decimal("439.98"), "Deck": Decimal("399.98")}
        assert [r.title for r in bids.list_bids(uow, search="zed").rows] == ["Deck"]
        assert [r.title for r in bids.list_bids(uow, search="b-1001").rows] == ["Roof"]
        assert [r.title for r in bids.list_bids(uow, status="sent").rows] == ["Deck"]
        assert [r.title for r in bids.list_bids(uow, customer_id=acme.id).rows] == ["Roof"]
        assert [r.title for r in bids.list_bids(uow, sort="title", descending=False).rows] == ["Deck", "Roof"]
        assert len(bids.list_bids(uow, limit=1).rows) == 1
        with pytest.raises(ValidationError):
            bids.list_bids(uow, status="won")


def test_unknown_bid(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        with pytest.raises(NotFound):
            bids.get_bid(uow, 77)
        with pytest.raises(NotFound):
            bids.convert_to_job(uow, 77, 1)
