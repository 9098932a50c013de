"""The audit trail is append-only through the application: a session refuses to change it.

A ``before_flush`` listener on every ORM session raises when an ``AuditEntry`` is about
to be updated or deleted; adding new entries is all the application ever does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from desktop_app.errors import JobDeskError


class AuditTrailReadOnlyError(JobDeskError):
    """Something tried to change or remove a written audit entry."""


def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    from desktop_app.db.models import AuditEntry

    for record in session.deleted:
        if isinstance(record, AuditEntry):
            raise AuditTrailReadOnlyError("Entries of the audit trail cannot be deleted.")
    for record in session.dirty:
        if isinstance(record, AuditEntry) and session.is_modified(record, include_collections=False):
            raise AuditTrailReadOnlyError("Entries of the audit trail cannot be changed.")


def install() -> None:
    """Guard every session (idempotent)."""
    if not event.contains(Session, "before_flush", _refuse_audit_changes):
        event.listen(Session, "before_flush", _refuse_audit_changes)
