"""Customers: a QuickBooks list record found by name; a Mod sends only what changed."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import Customer, QbLink
from qbwc_server import mapping as m
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import SyncKind, customer_upsert


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
        return customer_upsert(
            request_id, link, values, lambda keys, mod: m.customer_fields(values, keys, mod=mod)
        )

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return m.customer_full_name(customer(session, record_id))

    def values_now(self, session: Session, record_id: int) -> dict[str, str]:
        return m.customer_values(customer(session, record_id))
