"""The price book."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry, DomainEvent
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, NotFound, ValidationError
from desktop_app.services import accounts, items
from desktop_app.services.items import ItemFields
from tests.integration import service_helpers as make


def test_create_item_with_account(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        account = make.account(uow)
        item = items.create_item(
            uow,
            ItemFields(
                kind="material",
                name=" Copper  pipe ",
                description="1/2in, per ft",
                unit_price="3.12345",
                taxable=True,
                income_account_id=account.id,
            ),
        )
        uow.commit()
    assert item.name == "Copper pipe" and item.kind == "material"
    assert item.unit_price == Decimal("3.12345") and item.taxable
    assert item.income_account_name == "Sales:Labor"
    with db.reader() as uow:
        assert items.get_item(uow, item.id) == item
        assert uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.entity_type == "item")
        ).all() == ["item.created"]


def test_default_income_account_is_used_when_none_chosen(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        account = make.account(uow)
        assert make.item(uow, "Before default").income_account_id is None
        accounts.set_default_income_account(uow, account.id)
        assert make.item(uow, "After default").income_account_id == account.id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 32}, "name"),
        ({"name": "Labor:Overtime"}, "name"),
        ({"name": "Ok", "kind": "inventory"}, "kind"),
        ({"name": "Ok", "unit_price": "-1"}, "unit_price"),
        ({"name": "Ok", "unit_price": "1.123456"}, "unit_price"),
        ({"name": "Ok", "unit_price": 1.5}, "unit_price"),
        ({"name": "Ok", "unit_price": "abc"}, "unit_price"),
        ({"name": "Ok", "taxable": "no"}, "taxable"),
        ({"name": "Ok", "income_account_id": 999}, "income_account_id"),
        ({"name": "Ok", "description": "d" * 4001}, "description"),
    ],
)
def test_bad_item_fields(db: Database, admin: Actor, fields: dict[str, object], field: str) -> None:
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        items.create_item(uow, ItemFields(**fields))  # type: ignore[arg-type]
    assert info.value.field == field


def test_non_income_account_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bank = make.account(uow, "Checking", "Bank")
        with pytest.raises(ValidationError, match="not an income account"):
            make.item(uow, income_account_id=bank.id)


def test_thirty_one_characters_is_allowed(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        assert len(make.item(uow, "x" * 31).name) == 31


def test_item_name_unique_case_insensitive(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        first = make.item(uow, "Labor")
        with pytest.raises(ValidationError, match="already has an item") as info:
            make.item(uow, "LABOR ")
        assert info.value.field == "name"
        other = make.item(uow, "Travel")
        with pytest.raises(ValidationError, match="already has an item"):
            items.update_item(
                uow, other.id, other.version, dataclasses.replace(other.to_fields(), name="labor")
            )
        renamed = items.update_item(
            uow, first.id, first.version, dataclasses.replace(first.to_fields(), name="LABOR")
        )
        assert renamed.name == "LABOR"


def test_update_and_deactivate_item(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        item = make.item(uow)
        updated = items.update_item(
            uow, item.id, item.version, dataclasses.replace(item.to_fields(), unit_price=Decimal("90"))
        )
        assert updated.unit_price == Decimal("90.00000") and updated.version == item.version + 1
        with pytest.raises(Conflict):
            items.update_item(uow, item.id, item.version, item.to_fields())
        off = items.deactivate_item(uow, updated.id, updated.version)
        assert not off.active and items.list_items(uow).total == 0
        on = items.reactivate_item(uow, off.id, off.version)
        assert on.active
        actions = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "item")).all()
        assert actions == ["create", "update", "deactivate", "reactivate"]
        events = uow.session.scalars(select(DomainEvent.name).where(DomainEvent.entity_type == "item")).all()
        assert events == ["item.created", "item.updated", "item.updated", "item.updated"]
        with pytest.raises(NotFound):
            items.get_item(uow, 9999)


def test_list_items_search_kind_paging(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        account = make.account(uow)
        make.item(uow, "Labor", income_account_id=account.id)
        make.item(uow, "Pipe 1/2", kind="material", description="Copper")
        make.item(uow, "Pipe 3/4", kind="material", description="PVC 100%")
        page = items.list_items(uow)
        assert [r.name for r in page.rows] == ["Labor", "Pipe 1/2", "Pipe 3/4"]
        assert page.rows[0].income_account_name == "Sales:Labor"
        assert [r.name for r in items.list_items(uow, search="copper").rows] == ["Pipe 1/2"]
        assert [r.name for r in items.list_items(uow, search="100%").rows] == ["Pipe 3/4"]
        assert items.list_items(uow, kind="material").total == 2
        assert [r.name for r in items.list_items(uow, sort="name", descending=True, limit=1).rows] == [
            "Pipe 3/4"
        ]
        with pytest.raises(ValidationError):
            items.list_items(uow, kind="inventory")
        with pytest.raises(ValidationError):
            items.list_items(uow, sort="nope")
