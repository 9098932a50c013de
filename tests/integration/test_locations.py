"""Service locations of a customer."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, NotFound, ValidationError
from desktop_app.services import locations
from desktop_app.services.locations import LocationFields
from tests.integration import service_helpers as make


def test_add_update_deactivate_reactivate(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        added = locations.add_location(
            uow,
            customer.id,
            LocationFields(
                name="Rental", street="9 Elm St", unit="Apt 2", city="Austin", state="TX", zip="78701"
            ),
        )
        assert added.one_line == "Rental: 9 Elm St Apt 2, Austin, TX 78701"
        changed = locations.update_location(
            uow, added.id, added.version, dataclasses.replace(added.to_fields(), street="10 Elm St")
        )
        assert changed.street == "10 Elm St" and changed.version == added.version + 1
        off = locations.deactivate_location(uow, changed.id, changed.version)
        assert not off.active
        assert locations.list_locations(uow, customer.id) == ()
        assert [loc.id for loc in locations.list_locations(uow, customer.id, include_inactive=True)] == [
            added.id
        ]
        on = locations.reactivate_location(uow, off.id, off.version)
        assert on.active and locations.get_location(uow, on.id) == on
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "location")
        ).all()
        assert actions == ["create", "update", "deactivate", "reactivate"]
        uow.commit()


def test_location_needs_street_or_name(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        with pytest.raises(ValidationError) as info:
            locations.add_location(uow, customer.id, LocationFields(city="Austin"))
        assert info.value.field == "street"
        assert (
            locations.add_location(uow, customer.id, LocationFields(name="Main office")).name == "Main office"
        )


def test_location_field_limits(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        with pytest.raises(ValidationError) as info:
            locations.add_location(uow, customer.id, LocationFields(street="x" * 42))
        assert info.value.field == "street"


def test_unknown_customer_or_location(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        with pytest.raises(NotFound):
            locations.add_location(uow, 404, LocationFields(street="1 A St"))
        with pytest.raises(NotFound):
            locations.update_location(uow, 404, 1, LocationFields(street="1 A St"))
        with pytest.raises(NotFound):
            locations.list_locations(uow, 404)


def test_stale_location_update_is_conflict(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        added = make.location(uow, customer.id)
        locations.update_location(uow, added.id, added.version, LocationFields(street="2 New St"))
        with pytest.raises(Conflict):
            locations.update_location(uow, added.id, added.version, LocationFields(street="3 Old St"))
        assert locations.get_location(uow, added.id).street == "2 New St"


def test_at_most_fifty_active_locations(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make.customer(uow)
        for n in range(locations.MAX_LOCATIONS):
            make.location(uow, customer.id, street=f"{n} Main St")
        with pytest.raises(ValidationError, match="at most 50"):
            make.location(uow, customer.id, street="51 Main St")
