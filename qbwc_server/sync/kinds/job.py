"""Jobs: sub-customers in QuickBooks (``Customer:Job``), after their customer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import Job, QbLink
from qbwc_server import mapping as m
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import Dep, SyncKind, customer_upsert


def job(session: Session, record_id: int) -> Job:
    found = loaded.get(session, Job, record_id)
    if found is None:
        raise LookupError(f"job #{record_id} is gone")
    return found


class JobKind(SyncKind):
    name = "job"
    query_tag = "CustomerQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("Customer",)

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        found = loaded.get(session, Job, record_id)
        return ([("customer", found.customer_id)] if found is not None else []), []

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        return [("customer", record.customer_id)]

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        record = job(session, record_id)
        values = m.job_values(session, record)
        return customer_upsert(
            request_id, link, values, lambda keys, mod: m.job_fields(session, record, values, keys, mod=mod)
        )

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return m.job_full_name(session, job(session, record_id))

    def sent_full_name(self, values: dict[str, str]) -> str:
        name, parent = values.get("Name", ""), values.get("ParentRef/FullName", "")
        return f"{parent}:{name}" if name and parent else ""

    def values_now(self, session: Session, record_id: int) -> dict[str, str]:
        return m.job_values(session, job(session, record_id))
