"""The price book: services and materials, with the limits QuickBooks puts on item names."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from desktop_app.db.models import Account, Item
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import QTY_PLACES, parse_decimal
from desktop_app.domain.status import ItemKind
from desktop_app.errors import Conflict, ValidationError
from desktop_app.services.accounts import get_default_income_account, income_account
from desktop_app.services.common import audit, clean_text, diff, get, snapshot
from desktop_app.services.customers import check_paging, name_key
from desktop_app.services.events import record_event
from desktop_app.services.paging import Page

#: QuickBooks item names are at most 31 characters.
MAX_ITEM_NAME = 31
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class ItemFields:
    kind: str = ItemKind.SERVICE.value
    name: str = ""
    description: str = ""
    unit_price: object = "0"
    taxable: bool = False
    #: None takes the default income account from Settings.
    income_account_id: int | None = None


@dataclass(frozen=True)
class ItemDetail:
    id: int
    kind: str
    name: str
    description: str
    unit_price: Decimal
    taxable: bool
    income_account_id: int | None
    income_account_name: str
    active: bool
    version: int

    def to_fields(self) -> ItemFields:
        return ItemFields(
            self.kind, self.name, self.description, self.unit_price, self.taxable, self.income_account_id
        )


_FIELDS = tuple(f.name for f in fields(ItemFields))
SORTS: dict[str, Any] = {
    "name": Item.name_key,
    "kind": Item.kind,
    "unit_price": Item.unit_price,
    "created": Item.id,
}


def _checked(uow: UnitOfWork, values: ItemFields, item_id: int | None) -> dict[str, Any]:
    if not isinstance(values, ItemFields):
        raise ValidationError("item", "Item details are missing.")
    kinds = {kind.value for kind in ItemKind}
    if values.kind not in kinds:
        raise ValidationError("kind", "Choose whether the item is a service or a material.")
    name = " ".join(clean_text(values.name, "name", max_length=200, required=True).split())
    if len(name) > MAX_ITEM_NAME:
        raise ValidationError(
            "name", f"Item names can be at most {MAX_ITEM_NAME} characters (a QuickBooks limit)."
        )
    if ":" in name:
        # QuickBooks reads ':' as Parent:Sub-item.
        raise ValidationError("name", "Item names cannot contain a colon (:).")
    price = parse_decimal(values.unit_price, "unit_price", places=QTY_PLACES)
    if price < 0:
        raise ValidationError("unit_price", "The unit price cannot be negative.")
    if not isinstance(values.taxable, bool):
        raise ValidationError("taxable", "Taxable must be yes or no.")
    account_id = values.income_account_id
    if account_id is None:
        default = get_default_income_account(uow)
        account_id = default.id if default is not None else None
    if account_id is not None:
        account_id = income_account(uow, account_id).id
    key = name_key(name)
    clash = uow.session.scalar(select(Item.id).where(Item.name_key == key))
    if clash is not None and clash != item_id:
        # Bad input, not someone else's edit: said at the name field.
        raise ValidationError(
            "name", f"The price book already has an item named “{name}”. Choose a different name."
        )
    return {
        "kind": values.kind,
        "name": name,
        "name_key": key,
        "description": clean_text(values.description, "description", max_length=MAX_DESCRIPTION),
        "unit_price": price,
        "taxable": values.taxable,
        "income_account_id": account_id,
    }


def _detail(uow: UnitOfWork, item: Item, names: dict[int, str] | None = None) -> ItemDetail:
    account_name = ""
    if names is not None:
        account_name = names.get(item.income_account_id or 0, "")
    elif item.income_account_id is not None:
        account_name = (
            uow.session.scalar(select(Account.full_name).where(Account.id == item.income_account_id)) or ""
        )
    return ItemDetail(
        id=item.id,
        kind=item.kind,
        name=item.name,
        description=item.description,
        unit_price=item.unit_price,
        taxable=item.taxable,
        income_account_id=item.income_account_id,
        income_account_name=account_name,
        active=item.active,
        version=item.version,
    )


def _check_version(item: Item, expected_version: int) -> None:
    if item.version != expected_version:
        raise Conflict(
            "Another user changed this item after you opened it. Reload it to see their changes, "
            "then make yours again."
        )


def create_item(uow: UnitOfWork, values: ItemFields) -> ItemDetail:
    data = _checked(uow, values, None)
    item = Item(active=True, **data)
    uow.session.add(item)
    uow.flush()
    data.pop("name_key")
    audit(uow, "create", "item", item.id, summary=f"Item {item.name} created", changes=diff({}, data))
    record_event(uow, "item.created", "item", item.id)
    return _detail(uow, item)


def update_item(uow: UnitOfWork, item_id: int, expected_version: int, values: ItemFields) -> ItemDetail:
    """Changing a price affects new lines only; bids and jobs keep the price they copied."""
    item = get(uow, Item, item_id, "Item")
    _check_version(item, expected_version)
    data = _checked(uow, values, item.id)
    changes = diff(snapshot(item, tuple(data)), data)
    changes.pop("name_key", None)
    if changes:
        for name, value in data.items():
            setattr(item, name, value)
        uow.flush()
        audit(uow, "update", "item", item.id, summary=f"Item {item.name} changed", changes=changes)
        record_event(uow, "item.updated", "item", item.id)
    return _detail(uow, item)


def _set_active(uow: UnitOfWork, item_id: int, expected_version: int, active: bool) -> ItemDetail:
    item = get(uow, Item, item_id, "Item")
    _check_version(item, expected_version)
    if item.active != active:
        item.active = active
        uow.flush()
        audit(
            uow,
            "reactivate" if active else "deactivate",
            "item",
            item.id,
            summary=f"Item {item.name} {'reactivated' if active else 'deactivated'}",
            changes={"active": [not active, active]},
        )
        record_event(uow, "item.updated", "item", item.id)
    return _detail(uow, item)


def deactivate_item(uow: UnitOfWork, item_id: int, expected_version: int) -> ItemDetail:
    """Hidden from new lines; existing lines keep pointing at it."""
    return _set_active(uow, item_id, expected_version, False)


def reactivate_item(uow: UnitOfWork, item_id: int, expected_version: int) -> ItemDetail:
    return _set_active(uow, item_id, expected_version, True)


def get_item(uow: UnitOfWork, item_id: int) -> ItemDetail:
    return _detail(uow, get(uow, Item, item_id, "Item"))


def list_items(
    uow: UnitOfWork,
    *,
    search: str = "",
    kind: str | None = None,
    active: bool | None = True,
    offset: int = 0,
    limit: int = 50,
    sort: str = "name",
    descending: bool = False,
) -> Page[ItemDetail]:
    offset, limit = check_paging(offset, limit)
    search = clean_text(search, "search", max_length=200)
    if sort not in SORTS:
        raise ValidationError("sort", f"Items cannot be sorted by “{sort}”.")
    if kind is not None and kind not in {k.value for k in ItemKind}:
        raise ValidationError("kind", "Choose service or material.")
    query: Select[Any] = select(Item)
    words = search.lower().split()
    if words:
        query = query.where(
            and_(
                *(
                    or_(
                        Item.name_key.contains(word, autoescape=True),
                        func.lower(Item.description).contains(word, autoescape=True),
                    )
                    for word in words
                )
            )
        )
    if kind is not None:
        query = query.where(Item.kind == kind)
    if active is not None:
        query = query.where(Item.active.is_(active))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    rows = list(uow.session.scalars(query.order_by(order, Item.id).offset(offset).limit(limit)))
    account_ids = {row.income_account_id for row in rows if row.income_account_id is not None}
    found = uow.session.execute(select(Account.id, Account.full_name).where(Account.id.in_(account_ids)))
    names = {row.id: row.full_name for row in found}
    return Page(tuple(_detail(uow, row, names) for row in rows), total, offset, limit)
