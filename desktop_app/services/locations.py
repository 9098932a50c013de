"""Service locations: the addresses where a customer's work is done (QuickBooks ship-to)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select

from desktop_app.db.models import Customer, ServiceLocation
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import Conflict, ValidationError
from desktop_app.services.common import audit, clean_text, diff, get, snapshot
from desktop_app.services.contact_checks import check_state, check_zip
from desktop_app.services.events import record_event

#: QuickBooks keeps at most 50 ship-to addresses per customer.
MAX_LOCATIONS = 50


@dataclass(frozen=True)
class LocationFields:
    name: str = ""
    street: str = ""
    unit: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""


@dataclass(frozen=True)
class LocationDetail:
    id: int
    customer_id: int
    name: str
    street: str
    unit: str
    city: str
    state: str
    zip: str
    active: bool
    version: int

    @property
    def one_line(self) -> str:
        """The address on one line, for pickers and lists."""
        street = f"{self.street} {self.unit}".strip()
        place = ", ".join(part for part in (street, self.city, f"{self.state} {self.zip}".strip()) if part)
        return f"{self.name}: {place}" if self.name and place else (self.name or place)

    def to_fields(self) -> LocationFields:
        return LocationFields(self.name, self.street, self.unit, self.city, self.state, self.zip)


_FIELDS = tuple(f.name for f in fields(LocationFields))
#: The most QuickBooks keeps in each ship-to address field.
LIMITS = {"name": 41, "street": 41, "unit": 41, "city": 31, "state": 21, "zip": 13}


def _checked(values: LocationFields) -> dict[str, str]:
    if not isinstance(values, LocationFields):
        raise ValidationError("location", "Location details are missing.")
    data = {name: clean_text(getattr(values, name), name, max_length=LIMITS[name]) for name in _FIELDS}
    data["state"] = check_state(data["state"], "state")
    data["zip"] = check_zip(data["zip"], "zip")
    if not data["name"] and not data["street"]:
        raise ValidationError("street", "Enter a street address or a name for the location.")
    return data


def to_detail(location: ServiceLocation) -> LocationDetail:
    return LocationDetail(
        id=location.id,
        customer_id=location.customer_id,
        name=location.name,
        street=location.street,
        unit=location.unit,
        city=location.city,
        state=location.state,
        zip=location.zip,
        active=location.active,
        version=location.version,
    )


def _check_version(location: ServiceLocation, expected_version: int) -> None:
    if location.version != expected_version:
        raise Conflict(
            "Another user changed this location after you opened it. Reload it to see their "
            "changes, then make yours again."
        )


def add_location(uow: UnitOfWork, customer_id: int, values: LocationFields) -> LocationDetail:
    customer = get(uow, Customer, customer_id, "Customer")
    data = _checked(values)
    count = len([loc for loc in customer.locations if loc.active])
    if count >= MAX_LOCATIONS:
        raise ValidationError("location", f"A customer can have at most {MAX_LOCATIONS} active locations.")
    location = ServiceLocation(customer_id=customer.id, active=True, **data)
    uow.session.add(location)
    uow.flush()
    audit(
        uow,
        "create",
        "location",
        location.id,
        summary=f"Location added for {customer.display_name}",
        changes=diff({}, data),
    )
    # Locations travel to QuickBooks as the customer's ship-to addresses.
    record_event(uow, "customer.updated", "customer", customer.id)
    return to_detail(location)


def update_location(
    uow: UnitOfWork, location_id: int, expected_version: int, values: LocationFields
) -> LocationDetail:
    location = get(uow, ServiceLocation, location_id, "Location")
    _check_version(location, expected_version)
    data = _checked(values)
    before = snapshot(location, _FIELDS)
    changes = diff(before, data)
    if changes:
        for name, value in data.items():
            setattr(location, name, value)
        uow.flush()
        audit(uow, "update", "location", location.id, summary="Location changed", changes=changes)
        record_event(uow, "customer.updated", "customer", location.customer_id)
    return to_detail(location)


def _set_active(uow: UnitOfWork, location_id: int, expected_version: int, active: bool) -> LocationDetail:
    location = get(uow, ServiceLocation, location_id, "Location")
    _check_version(location, expected_version)
    if location.active != active:
        location.active = active
        uow.flush()
        audit(
            uow,
            "reactivate" if active else "deactivate",
            "location",
            location.id,
            summary="Location reactivated" if active else "Location deactivated",
            changes={"active": [not active, active]},
        )
        record_event(uow, "customer.updated", "customer", location.customer_id)
    return to_detail(location)


def deactivate_location(uow: UnitOfWork, location_id: int, expected_version: int) -> LocationDetail:
    """Hidden from pickers; jobs and invoices that used it keep it."""
    return _set_active(uow, location_id, expected_version, False)


def reactivate_location(uow: UnitOfWork, location_id: int, expected_version: int) -> LocationDetail:
    return _set_active(uow, location_id, expected_version, True)


def get_location(uow: UnitOfWork, location_id: int) -> LocationDetail:
    return to_detail(get(uow, ServiceLocation, location_id, "Location"))


def list_locations(
    uow: UnitOfWork, customer_id: int, *, include_inactive: bool = False
) -> tuple[LocationDetail, ...]:
    get(uow, Customer, customer_id, "Customer")
    query = select(ServiceLocation).where(ServiceLocation.customer_id == customer_id)
    if not include_inactive:
        query = query.where(ServiceLocation.active.is_(True))
    return tuple(to_detail(loc) for loc in uow.session.scalars(query.order_by(ServiceLocation.id)))


def location_of_customer(
    uow: UnitOfWork, customer_id: int, location_id: int | None
) -> ServiceLocation | None:
    """The location for a bid or job, which must be one of that customer's."""
    if location_id is None:
        return None
    if not isinstance(location_id, int) or isinstance(location_id, bool):
        raise ValidationError("location_id", "The service location was not found.")
    location = uow.session.get(ServiceLocation, location_id)
    if location is None:
        raise ValidationError("location_id", "The service location was not found.")
    if location.customer_id != customer_id:
        raise ValidationError("location_id", "That service location belongs to a different customer.")
    return location
