"""Helpers every service uses: loading records, checking text, the audit log, events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from desktop_app.db.base import Base
from desktop_app.db.models import AuditEntry
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import NotFound, PermissionDenied, ValidationError

M = TypeVar("M", bound=Base)

#: The longest free text we keep (notes, memos): well above anything typed, far below abuse.
MAX_NOTE = 20_000
#: Dates a contractor's books can sensibly hold (QuickBooks refuses dates outside ~1901–2099).
MIN_DATE = date(1901, 1, 1)
MAX_DATE = date(2099, 12, 31)


def get(uow: UnitOfWork, model: type[M], record_id: int, kind: str) -> M:
    """The record with that id, or ``NotFound`` naming it the way a person would."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise NotFound(kind, record_id)
    record = uow.session.get(model, record_id)
    if record is None:
        raise NotFound(kind, record_id)
    return record


def locked(uow: UnitOfWork, model: type[M], record_id: int, kind: str) -> M:
    """``get``, with the row locked until the transaction ends and read as it is once the lock
    is ours (PostgreSQL: two people changing what one record allows are checked one after
    the other, never both against what it was before either; SQLite's writers go one at a
    time anyway)."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise NotFound(kind, record_id)
    record = uow.session.get(model, record_id, with_for_update=True, populate_existing=True)
    if record is None:
        raise NotFound(kind, record_id)
    return record


def clean_text(
    value: object, field: str, *, max_length: int, required: bool = False, label: str | None = None
) -> str:
    """Trimmed text within a length, or a ``ValidationError`` that says what is wrong."""
    name = label or field.replace("_", " ").capitalize()
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, f"{name} must be text.")
    text = value.strip()
    if "\x00" in text:
        raise ValidationError(field, f"{name} contains a character that cannot be stored.")
    if required and not text:
        raise ValidationError(field, f"{name} is required.")
    if len(text) > max_length:
        raise ValidationError(
            field, f"{name} is {len(text):,} characters long; the most it can hold is {max_length:,}."
        )
    return text


def check_date(value: object, field: str, *, required: bool = False, label: str | None = None) -> date | None:
    name = label or field.replace("_", " ").capitalize()
    if value is None:
        if required:
            raise ValidationError(field, f"{name} is required.")
        return None
    if not isinstance(value, date):
        raise ValidationError(field, f"{name} must be a date.")
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(field, f"{name} must be between {MIN_DATE:%m/%d/%Y} and {MAX_DATE:%m/%d/%Y}.")
    return value


def require_admin(uow: UnitOfWork, action: str) -> None:
    """Admin-only actions are refused in the service, not only greyed out in the GUI."""
    if not uow.actor.is_admin:
        raise PermissionDenied(action, "Admin")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields that changed, as ``{field: [before, after]}``."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def snapshot(record: Base, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def audit(
    uow: UnitOfWork,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Append to the audit log, in the same transaction as the change it records."""
    uow.session.add(
        AuditEntry(
            user_name=uow.actor.name,
            user_id=uow.actor.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            summary=summary[:255],
            changes=json.dumps({k: v for k, v in (changes or {}).items()}, default=str),
        )
    )
