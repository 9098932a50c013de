"""Customers: a QuickBooks list record found by name; a Mod sends only what changed."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import Customer, QbLink
from desktop_app.services.queue_states import Phase
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import NothingToSend, SyncKind, synced_values


def customer(session: Session, record_id: int) -> Customer:
    found = loaded.get(session, Customer, record_id)
    if found is None:
        raise LookupError(f"customer #{record_id} is gone")
    return found


class CustomerKind(SyncKind):
    name = "customer"
    query_tag = "CustomerQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("Customer", "Parent")

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        values = m.customer_values(customer(session, record_id))
        if link is None:
            fields = m.customer_fields(values, set(values), mod=False)
            return Built(Phase.ADD, q.customer_add_flat(request_id, fields), values)
        only = m.changed_only(values, synced_values(link))
        if not only:
            raise NothingToSend
        fields = m.customer_fields(values, only | {"Name"}, mod=True)
        request = q.customer_mod_flat(request_id, link.qb_id, link.edit_sequence, fields)
        return Built(Phase.MOD, request, values)

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return m.customer_full_name(customer(session, record_id))

    def values_now(self, session: Session, record_id: int) -> dict[str, str]:
        return m.customer_values(customer(session, record_id))
