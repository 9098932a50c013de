"""Writing a record's QuickBooks link from an answer (the ORM way; ``fast_apply`` has the SQL way)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.errors import QbxmlError
from desktop_app.services.qb_links import link_to
from desktop_app.services.queue_states import now
from qbwc_server import mapping as m
from qbwc_server import qbxml as q


def link_without_record(session: Session, item: SyncItem, qb_id: str, values: dict[str, str]) -> QbLink:
    """Link the item's record under ``qb_id`` when QuickBooks made no record of its own for it
    (``SyncKind.links_only``), with the values QuickBooks now has."""
    if item.entity_id is None:
        raise QbxmlError("QuickBooks' answer concerns no record of ours.")
    known = m.link_of(session, item.entity_type, item.entity_id)
    link = link_to(session, item.entity_type, item.entity_id, qb_id, edit_sequence="", existing=known)
    if known is None:
        m.cache_link(session, item.entity_type, item.entity_id, link)
    link.synced_values = json.dumps(values)
    link.synced_at = now()
    return link


def set_link(
    session: Session, item: SyncItem, record: q.Record, values: dict[str, str], *, name: str = ""
) -> QbLink:
    """Link the item's record to QuickBooks' ``record``, with the values both now agree on."""
    qb_id = record.list_id or record.txn_id
    if item.entity_id is None or not qb_id:
        raise QbxmlError("QuickBooks' answer has no ListID or TxnID to link to.")
    known = m.link_of(session, item.entity_type, item.entity_id)
    link = link_to(
        session,
        item.entity_type,
        item.entity_id,
        qb_id,
        edit_sequence=record.edit_sequence or "",
        qb_name=name or record.full_name or record.ref_number or "",
        existing=known,
    )
    if known is None:
        m.cache_link(session, item.entity_type, item.entity_id, link)
    link.synced_values = json.dumps(values)
    link.synced_at = now()
    return link
