"""Recording that something happened (a job finished, an invoice sent …) and queueing its sync work."""

from __future__ import annotations

from desktop_app.db.models import DomainEvent
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.services.sync_queue import on_event


def record_event(uow: UnitOfWork, name: str, entity_type: str, entity_id: int) -> None:
    """Note that something happened and queue its sync work.

    The queue rules run in the same transaction as the change, so the two commit together.
    """
    uow.session.add(DomainEvent(name=name, entity_type=entity_type, entity_id=entity_id, handled_at=utcnow()))
    on_event(uow, name, entity_type, entity_id)
