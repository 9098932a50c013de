"""Reading the audit trail: browse by record, user and date; a record's own history.

The trail is written by ``common.audit`` in the same transaction as each change and is
append-only: no service changes or removes an entry (``desktop_app.db.append_only``
refuses it at flush time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from desktop_app.db.models import AuditEntry
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import ValidationError
from desktop_app.services.common import check_date, clean_text
from desktop_app.services.customers import check_paging
from desktop_app.services.paging import Page
from desktop_app.services.record_kinds import in_sending_order

#: Record kinds people browse by, with the words the GUI shows: every kind that goes to
#: QuickBooks (``record_kinds``), and the records that stay in JobDesk.
ENTITY_LABELS = {
    **{kind.name: kind.title for kind in in_sending_order()},
    "location": "Service location",
    "bid": "Bid",
    "account": "Account",
    "setting": "Setting",
    "numbering": "Numbering",
    "sync_alert": "QuickBooks alert",
    "user": "User",
}


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any

    @property
    def text(self) -> str:
        return f"{self.field}: {_shown(self.before)} → {_shown(self.after)}"


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user_name: str
    user_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    summary: str
    changes: tuple[Change, ...]

    @property
    def record(self) -> str:
        label = ENTITY_LABELS.get(self.entity_type, self.entity_type.replace("_", " ").capitalize())
        return label if self.entity_id is None else f"{label} #{self.entity_id}"

    @property
    def changes_text(self) -> str:
        return "; ".join(change.text for change in self.changes)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    return str(value)


def _changes(text: str) -> tuple[Change, ...]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    result = []
    for field, value in data.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            result.append(Change(str(field), value[0], value[1]))
        else:
            result.append(Change(str(field), None, value))
    return tuple(result)


def _row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        id=entry.id,
        at=entry.at,
        user_name=entry.user_name,
        user_id=entry.user_id,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        summary=entry.summary,
        changes=_changes(entry.changes),
    )


def _start_of(day: date) -> datetime:
    """Midnight local time of ``day``, in UTC (people pick dates on their own clock)."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def list_entries(
    uow: UnitOfWork,
    *,
    entity_type: str = "",
    entity_id: int | None = None,
    user: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 100,
    descending: bool = True,
    sort: str = "at",
) -> Page[AuditRow]:
    """One page of the trail, newest first; every filter is optional; dates are inclusive."""
    offset, limit = check_paging(offset, limit)
    entity_type = clean_text(entity_type, "entity_type", max_length=20)
    user = clean_text(user, "user", max_length=60)
    search = clean_text(search, "search", max_length=200)
    first = check_date(date_from, "date_from", label="From")
    last = check_date(date_to, "date_to", label="To")
    if first is not None and last is not None and first > last:
        raise ValidationError("date_to", "The “To” date is before the “From” date.")
    if sort != "at":
        raise ValidationError("sort", f"The audit trail cannot be sorted by “{sort}”.")
    if entity_id is not None and (not isinstance(entity_id, int) or isinstance(entity_id, bool)):
        raise ValidationError("entity_id", "The record number must be a whole number.")
    query: Select[Any] = select(AuditEntry)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if user:
        query = query.where(AuditEntry.user_name == user)
    if first is not None:
        query = query.where(AuditEntry.at >= _start_of(first))
    if last is not None:
        query = query.where(AuditEntry.at < _start_of(last + timedelta(days=1)))
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(AuditEntry.summary.ilike(pattern, escape="\\"))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (AuditEntry.at.desc(), AuditEntry.id.desc()) if descending else (AuditEntry.at, AuditEntry.id)
    rows = uow.session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return Page(rows=tuple(_row(entry) for entry in rows), total=total, offset=offset, limit=limit)


def history_for(
    uow: UnitOfWork, entity_type: str, entity_id: int, *, limit: int = 500
) -> tuple[AuditRow, ...]:
    """Everything that happened to one record, newest first."""
    return list_entries(uow, entity_type=entity_type, entity_id=entity_id, limit=limit).rows


def user_names(uow: UnitOfWork) -> tuple[str, ...]:
    """Everyone who appears in the trail (for the user filter), in name order."""
    return tuple(uow.session.scalars(select(AuditEntry.user_name).distinct().order_by(AuditEntry.user_name)))


def entity_types(uow: UnitOfWork) -> tuple[str, ...]:
    query = select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)
    return tuple(uow.session.scalars(query))
