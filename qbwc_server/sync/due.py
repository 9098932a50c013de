"""What is due in the queue: the engine's questions of "is there work?" and "how much?".

Each is a query built once (they run before and after every message), answered from the
queue's order index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Database
from desktop_app.services import settings
from desktop_app.services.queue_states import QueueState
from qbwc_server.sync import reads
from qbwc_server.sync.imports import has_invoices_in_quickbooks

_NOW = bindparam("now", type_=SyncItem.next_attempt_at.type)
_IS_DUE = (
    SyncItem.state == QueueState.QUEUED,
    or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= _NOW),
)
_ANY_DUE = select(SyncItem.id).where(*_IS_DUE).limit(1)
_DUE_COUNT = select(func.count()).select_from(SyncItem).where(*_IS_DUE)
_IN_FLIGHT = select(func.count()).select_from(SyncItem).where(SyncItem.state == QueueState.SENT)
#: A pull of payments waiting for a person (an alert): not due again until they act on it.
_PULL_WAITS = (
    select(SyncItem.id)
    .where(SyncItem.action == "pull_payments", SyncItem.state == QueueState.ATTENTION)
    .limit(1)
)
_ANY_URGENT = (
    select(SyncItem.id).where(SyncItem.state == QueueState.QUEUED, SyncItem.urgent.is_(True)).limit(1)
)


def now() -> datetime:
    return datetime.now(UTC)


def any_due(session: Session) -> bool:
    """Is any queued item due now?"""
    return reads.first(session, _ANY_DUE, {"now": now()}) is not None


def due_count(session: Session) -> int:
    """Queued items due now (the progress bar's count: it reads the queue's index end to end)."""
    return session.scalar(_DUE_COUNT, {"now": now()}) or 0


def in_flight(session: Session) -> int:
    """Items out with QuickBooks (or planned ahead), answered or not."""
    return session.scalar(_IN_FLIGHT) or 0


def any_urgent(session: Session) -> bool:
    """Is a queued item marked urgent (a trigger asked for it to go at once)?"""
    return session.scalar(_ANY_URGENT) is not None


def pull_due(session: Session, values: dict[str, settings.SettingValue]) -> bool:
    """Is it time to bring in payments entered in QuickBooks (only once we have invoices there)?
    Not while the pull waits for a person: it would open QuickBooks at every poll, for ever,
    to send nothing (a person's Retry sends it)."""
    if not has_invoices_in_quickbooks(session):
        return False
    if session.scalar(_PULL_WAITS) is not None:
        return False
    last = parse_time(str(values["sync.payment_pull_done_at"]))
    every = timedelta(minutes=int(values["sync.payment_pull_minutes"]))
    return last is None or now() - last >= every


def parse_time(text: str) -> datetime | None:
    """A time the settings hold (ISO 8601), or None when there is none or it cannot be read."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def session_wanted(db: Database, values: dict[str, Any], *, has_items: bool, pull_due: bool) -> bool:
    """``SyncEngine.has_work``'s decision, once it knows whether an item can go
    (``has_items``) and whether bringing in payments is due; ``values``: the settings."""
    last = parse_time(values["sync.last_session_at"])
    interval = timedelta(minutes=int(values["sync.interval_minutes"]))
    interval_passed = last is None or now() - last >= interval
    requested = parse_time(values["sync.requested_at"])
    sync_now = requested is not None and (last is None or requested > last)
    if not values["sync.responsive"]:
        return has_items or sync_now or pull_due
    if sync_now:
        return True
    if not (has_items or pull_due) or interval_passed:
        return has_items or pull_due
    with db.reader() as uow:
        return any_urgent(uow.session)
