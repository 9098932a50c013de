"""Price-book items: service or non-inventory items in QuickBooks, unique by name across types."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import Item, QbLink
from desktop_app.services.queue_states import Phase
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import NothingToSend, SyncKind, synced_values

#: The QuickBooks item type each kind of price-book item is.
RET_OF_KIND = {"service": "ItemServiceRet", "material": "ItemNonInventoryRet"}


def item(session: Session, record_id: int) -> Item:
    found = loaded.get(session, Item, record_id)
    if found is None:
        raise LookupError(f"item #{record_id} is gone")
    return found


class ItemKind(SyncKind):
    name = "item"
    query_tag = "ItemQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("Item", "ItemService", "ItemNonInventory")

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        record = item(session, record_id)
        values = m.item_values(session, record)
        if link is None:
            fields = m.item_fields(values, record.kind, set(values), mod=False)
            return Built(Phase.ADD, q.item_add(request_id, fields), values, {"kind": record.kind})
        only = m.changed_only(values, synced_values(link))
        if not only:
            raise NothingToSend
        fields = m.item_fields(values, record.kind, only | {"Name"}, mod=True)
        return Built(Phase.MOD, q.item_mod(request_id, link.qb_id, link.edit_sequence, fields), values)

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return item(session, record_id).name

    def values_now(self, session: Session, record_id: int) -> dict[str, str]:
        return m.item_values(session, item(session, record_id))

    def other_type(self, session: Session, record_id: int, found: q.Record) -> str:
        """QuickBooks' item of our name is of another type (a Mod would be refused): its type."""
        if found.kind == RET_OF_KIND.get(item(session, record_id).kind):
            return ""
        return found.kind.removesuffix("Ret")
