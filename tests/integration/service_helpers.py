"""Builders that go through the services (not the ORM), for the service tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from desktop_app.db.base import Base
from desktop_app.db.models import Account
from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.services import customers, items, jobs, locations
from desktop_app.services.lines import LineInput


def customer(uow: UnitOfWork, name: str = "Acme Roofing", **fields: Any) -> customers.CustomerDetail:
    return customers.create_customer(uow, customers.CustomerFields(display_name=name, **fields))


def location(uow: UnitOfWork, customer_id: int, street: str = "12 Oak St") -> locations.LocationDetail:
    return locations.add_location(
        uow, customer_id, locations.LocationFields(street=street, city="Springfield", state="IL", zip="62701")
    )


def account(uow: UnitOfWork, full_name: str = "Sales:Labor", account_type: str = "Income") -> Account:
    record = Account(name=full_name.rsplit(":", 1)[-1], full_name=full_name, account_type=account_type)
    uow.session.add(record)
    uow.session.flush()
    return record


def item(uow: UnitOfWork, name: str = "Labor", price: str = "85.00", **fields: Any) -> items.ItemDetail:
    return items.create_item(uow, items.ItemFields(name=name, unit_price=price, **fields))


def job(
    uow: UnitOfWork,
    customer_id: int,
    name: str = "Kitchen remodel",
    lines: tuple[LineInput, ...] | None = None,
    **fields: Any,
) -> jobs.JobDetail:
    if lines is None:
        lines = (LineInput(quantity="2", description="Demolition", rate="150.00", taxable=False),)
    return jobs.create_job(uow, jobs.JobFields(customer_id=customer_id, name=name, lines=lines, **fields))


def snapshot(db: Database) -> dict[str, Any]:
    """Row count of every table plus every versioned row's version: any write shows up."""
    result: dict[str, Any] = {}
    with db.reader() as uow:
        for table in Base.metadata.sorted_tables:
            result[table.name] = uow.session.scalar(select(func.count()).select_from(table))
            if "version" in table.c:
                result[f"{table.name}.versions"] = tuple(
                    uow.session.execute(select(table.c.id, table.c.version).order_by(table.c.id))
                )
    return result


def money(text: str) -> Decimal:
    return Decimal(text)
