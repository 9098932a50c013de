"""Deciding what one queue item sends next, and what it must wait for.

Phases of an item (``SyncItem.phase``), each one request:

* ``""``       first try: an Add when the record has no link, a Mod when it has one;
               invoices are first ``check``-ed for a clashing RefNumber.
* ``check``    InvoiceQuery by RefNumber before an InvoiceAdd (QuickBooks allows duplicates);
               usually done one message ahead instead, without a step (the probes
               module), and several numbers share one request (check_groups).
* ``verify``   a previous Add's answer was lost: look the record up before adding again.
* ``claim``    an Add got 3100 (name in use): look at the existing record to link to it.
* ``refresh``  a Mod got 3200 (stale EditSequence): re-read the record, then Mod again.
* ``add`` / ``mod`` / ``void`` / ``delete`` / ``import`` / ``pull``: as named.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.setting_specs import stored_value
from qbwc_server.sync import kinds
from qbwc_server.sync.built import Built as Built
from qbwc_server.sync.built import to_xml as to_xml
from qbwc_server.sync.kinds import Dep as Dep
from qbwc_server.sync.kinds import NothingToSend as NothingToSend


def setting(session: Session, key: str, default: str = "") -> str:
    """A setting's stored text, read once per transaction (the settings service's cache)."""
    value = stored_value(session, key)
    return value if value is not None else default


def dependencies(session: Session, item: SyncItem) -> tuple[list[Dep], list[Dep]]:
    """(list records that must be in QuickBooks first, transactions that must be linked first)."""
    if item.action != "upsert" or item.entity_id is None:
        return [], []
    return kinds.of(item.entity_type).dependencies(session, item.entity_id)


def build(session: Session, item: SyncItem, request_id: str, *, checked_key: str | None = None) -> Built:
    """The request for the item's current phase. Raises NothingToSend when in step."""
    return kinds.of(item.entity_type).build(session, item, request_id, checked_key=checked_key)
