"""Phone, e-mail, state and ZIP are checked in the service; bad ones change nothing (issue 16, point 6)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Customer, ServiceLocation
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import ValidationError
from desktop_app.services import customers, locations
from desktop_app.services.customers import TEXT_LIMITS, CustomerFields


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("mobile_phone", "call me maybe", "is not a phone number"),
        ("work_phone", "555-12", "not a whole phone number"),
        ("home_phone", "775 555 12345", "not a whole phone number"),
        ("email", "maria@", "is not an e-mail address"),
        ("email", "maria@gmail", "is not an e-mail address"),
        ("email", "maria testerson@example.com", "is not an e-mail address"),
        ("bill_zip", "9581A", "is not a ZIP code"),
        ("bill_zip", "958", "is not a ZIP code"),
        ("bill_state", "XX", "is not a US state or Canadian province code"),
        ("bill_state", "N3", "two-letter code"),
    ],
)
def test_bad_contact_details_are_refused_at_their_field(
    db: Database, admin: Actor, field: str, typed: str, says: str
) -> None:
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError, match=says) as info:
            customers.create_customer(uow, CustomerFields(display_name="Maria Testerson", **{field: typed}))
        assert info.value.field == field
        assert typed in str(info.value)
        assert uow.session.scalar(select(func.count(Customer.id))) == 0


@pytest.mark.parametrize(
    ("field", "typed", "kept"),
    [
        ("mobile_phone", "(775) 555-0134", "(775) 555-0134"),
        ("mobile_phone", "775.555.0134 x12", "775.555.0134 x12"),
        ("work_phone", "+44 20 7946 0958", "+44 20 7946 0958"),
        ("home_phone", "555-123-4567", "555-123-4567"),
        ("email", "maria.t+jobs@example.com", "maria.t+jobs@example.com"),
        ("bill_zip", "95814", "95814"),
        ("bill_zip", "95814-1234", "95814-1234"),
        ("bill_zip", "k1a 0b1", "K1A 0B1"),
        ("bill_state", "nv", "NV"),
        ("bill_state", "Nevada", "Nevada"),
        ("bill_state", "ON", "ON"),
    ],
)
def test_good_contact_details_are_kept(db: Database, admin: Actor, field: str, typed: str, kept: str) -> None:
    with db.uow(admin) as uow:
        made = customers.create_customer(
            uow, CustomerFields(display_name="Maria Testerson", **{field: typed})
        )
        assert getattr(made, field) == kept


def test_an_update_is_checked_the_same_way(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        made = customers.create_customer(uow, CustomerFields(display_name="Maria", email="m@example.com"))
        with pytest.raises(ValidationError) as info:
            customers.update_customer(
                uow, made.id, made.version, dataclasses.replace(made.to_fields(), email="maria@")
            )
        assert info.value.field == "email"
        assert customers.get_customer(uow, made.id).email == "m@example.com"


def test_location_state_and_zip_are_checked(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        made = customers.create_customer(uow, CustomerFields(display_name="Maria"))
        with pytest.raises(ValidationError, match="is not a ZIP code") as info:
            locations.add_location(uow, made.id, locations.LocationFields(street="1 Lake Rd", zip="9581A"))
        assert info.value.field == "zip"
        with pytest.raises(ValidationError, match="state or Canadian province") as info:
            locations.add_location(uow, made.id, locations.LocationFields(street="1 Lake Rd", state="ZZ"))
        assert info.value.field == "state"
        assert uow.session.scalar(select(func.count(ServiceLocation.id))) == 0
        kept = locations.add_location(
            uow, made.id, locations.LocationFields(street="1 Lake Rd", state="ca", zip="96150")
        )
        assert (kept.state, kept.zip) == ("CA", "96150")


def test_the_limits_are_quickbooks_lengths() -> None:
    """The form stops at these; they are QuickBooks' own (qbXML CustomerAdd field lengths)."""
    assert TEXT_LIMITS["first_name"] == TEXT_LIMITS["last_name"] == 25
    assert TEXT_LIMITS["company"] == TEXT_LIMITS["display_name"] == 41
    assert locations.LIMITS["city"] == 31 and locations.LIMITS["zip"] == 13
