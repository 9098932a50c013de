"""Bad input through every service: a typed error, and the database exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import JobDeskError, NotFound, ValidationError
from desktop_app.services import bids, customers, items, jobs, locations
from desktop_app.services.bids import BidFields
from desktop_app.services.customers import CustomerFields
from desktop_app.services.items import ItemFields
from desktop_app.services.jobs import JobFields
from desktop_app.services.lines import LineInput
from desktop_app.services.locations import LocationFields
from tests.integration import service_helpers as make

TEN_MB = "x" * 10_000_000


@dataclass(frozen=True)
class Seeded:
    customer_id: int
    customer_version: int
    job_id: int
    job_version: int
    item_id: int
    item_version: int
    bid_id: int
    bid_version: int
    location_id: int


def _line(**kw: object) -> tuple[LineInput, ...]:
    values: dict[str, object] = {"quantity": "1", "description": "Work", "rate": "10"}
    values.update(kw)
    return (LineInput(**values),)  # type: ignore[arg-type]


Case = Callable[[UnitOfWork, Seeded], object]

CASES: dict[str, tuple[Case, type[JobDeskError]]] = {
    "customer empty name": (lambda u, s: customers.create_customer(u, CustomerFields()), ValidationError),
    "customer 10 MB note": (
        lambda u, s: customers.create_customer(u, CustomerFields(display_name="N", notes=TEN_MB)),
        ValidationError,
    ),
    "customer NUL in name": (
        lambda u, s: customers.create_customer(u, CustomerFields(display_name="A\x00B")),
        ValidationError,
    ),
    "customer update unknown id": (
        lambda u, s: customers.update_customer(u, 9999, 1, CustomerFields(display_name="X")),
        NotFound,
    ),
    "customer update string id": (
        lambda u, s: customers.update_customer(u, "1", 1, CustomerFields(display_name="X")),  # type: ignore[arg-type]
        NotFound,
    ),
    "customer update 10 MB note": (
        lambda u, s: customers.update_customer(
            u, s.customer_id, s.customer_version, CustomerFields(display_name="Acme Roofing", notes=TEN_MB)
        ),
        ValidationError,
    ),
    "location empty": (
        lambda u, s: locations.add_location(u, s.customer_id, LocationFields()),
        ValidationError,
    ),
    "location unknown customer": (
        lambda u, s: locations.add_location(u, 9999, LocationFields(street="1 A St")),
        NotFound,
    ),
    "item empty name": (lambda u, s: items.create_item(u, ItemFields(name="  ")), ValidationError),
    "item non-numeric price": (
        lambda u, s: items.create_item(u, ItemFields(name="X", unit_price="twelve")),
        ValidationError,
    ),
    "item float price": (
        lambda u, s: items.create_item(u, ItemFields(name="X", unit_price=9.99)),
        ValidationError,
    ),
    "item huge price": (
        lambda u, s: items.create_item(u, ItemFields(name="X", unit_price="1e20")),
        ValidationError,
    ),
    "item unknown account": (
        lambda u, s: items.create_item(u, ItemFields(name="X", income_account_id=4242)),
        ValidationError,
    ),
    "item update unknown id": (lambda u, s: items.update_item(u, 9999, 1, ItemFields(name="X")), NotFound),
    "job empty name": (
        lambda u, s: jobs.create_job(u, JobFields(customer_id=s.customer_id, name="")),
        ValidationError,
    ),
    "job unknown customer": (
        lambda u, s: jobs.create_job(u, JobFields(customer_id=9999, name="J")),
        ValidationError,
    ),
    "job negative quantity": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(quantity="-3"))
        ),
        ValidationError,
    ),
    "job float quantity": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(quantity=2.0))
        ),
        ValidationError,
    ),
    "job non-numeric rate": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(rate="$abc"))
        ),
        ValidationError,
    ),
    "job float rate": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(rate=0.1))
        ),
        ValidationError,
    ),
    "job bool rate": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(rate=True))
        ),
        ValidationError,
    ),
    "job 10 MB note": (
        lambda u, s: jobs.create_job(u, JobFields(customer_id=s.customer_id, name="J", notes=TEN_MB)),
        ValidationError,
    ),
    "job 10 MB line description": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", lines=_line(description=TEN_MB))
        ),
        ValidationError,
    ),
    "job year 1800": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", scheduled_start=date(1800, 1, 1))
        ),
        ValidationError,
    ),
    "job year 3000": (
        lambda u, s: jobs.create_job(
            u, JobFields(customer_id=s.customer_id, name="J", scheduled_start=date(3000, 1, 1))
        ),
        ValidationError,
    ),
    "job update negative quantity": (
        lambda u, s: jobs.update_job(
            u,
            s.job_id,
            s.job_version,
            JobFields(customer_id=s.customer_id, name="J", lines=_line(quantity="-1")),
        ),
        ValidationError,
    ),
    "job update unknown item": (
        lambda u, s: jobs.update_job(
            u,
            s.job_id,
            s.job_version,
            JobFields(customer_id=s.customer_id, name="J", lines=(LineInput(item_id=77),)),
        ),
        ValidationError,
    ),
    "job start year 3000": (
        lambda u, s: jobs.start_job(u, s.job_id, s.job_version, on=date(3000, 1, 1)),
        ValidationError,
    ),
    "job start unknown id": (lambda u, s: jobs.start_job(u, 9999, 1), NotFound),
    "bid empty title": (
        lambda u, s: bids.create_bid(u, BidFields(customer_id=s.customer_id, title="")),
        ValidationError,
    ),
    "bid zero quantity": (
        lambda u, s: bids.create_bid(
            u, BidFields(customer_id=s.customer_id, title="B", lines=_line(quantity="0"))
        ),
        ValidationError,
    ),
    "bid year 1800": (
        lambda u, s: bids.create_bid(
            u, BidFields(customer_id=s.customer_id, title="B", valid_until=date(1800, 6, 1))
        ),
        ValidationError,
    ),
    "bid 10 MB note": (
        lambda u, s: bids.update_bid(
            u, s.bid_id, s.bid_version, BidFields(customer_id=s.customer_id, title="B", notes=TEN_MB)
        ),
        ValidationError,
    ),
    "bid unknown location": (
        lambda u, s: bids.create_bid(u, BidFields(customer_id=s.customer_id, title="B", location_id=9999)),
        ValidationError,
    ),
    "bid convert unknown id": (lambda u, s: bids.convert_to_job(u, 9999, 1), NotFound),
}


@pytest.fixture
def seeded(db: Database, admin: Actor) -> Seeded:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        place = make.location(uow, customer.id)
        job = make.job(uow, customer.id)
        item = make.item(uow)
        bid = bids.create_bid(uow, BidFields(customer_id=customer.id, title="Roof", lines=_line()))
        uow.commit()
    return Seeded(
        customer.id,
        customer.version,
        job.id,
        job.version,
        item.id,
        item.version,
        bid.id,
        bid.version,
        place.id,
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_and_changes_nothing(
    db: Database, admin: Actor, seeded: Seeded, name: str
) -> None:
    call, expected = CASES[name]
    before = make.snapshot(db)
    with db.uow(admin) as uow:
        with pytest.raises(expected) as info:
            call(uow, seeded)
        # A caller that commits anyway must still find nothing half-written.
        uow.commit()
    assert type(info.value) is expected
    assert str(info.value) and len(str(info.value)) < 300
    assert make.snapshot(db) == before


def test_money_stays_exact_after_bad_input(db: Database, admin: Actor, seeded: Seeded) -> None:
    with db.reader() as uow:
        before = jobs.get_job(uow, seeded.job_id).totals
    with db.uow(admin) as uow, pytest.raises(ValidationError):
        jobs.update_job(
            uow,
            seeded.job_id,
            seeded.job_version,
            JobFields(customer_id=seeded.customer_id, name="J", lines=_line(rate=Decimal("0.000001"))),
        )
    with db.reader() as uow:
        assert jobs.get_job(uow, seeded.job_id).totals == before
