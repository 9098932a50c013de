"""A record QuickBooks holds twice, because two sessions both added it, loses its copy.

The Web Connector runs one session of an application at a time, so a new session means
the old one is over and its unanswered items are looked up before anything is re-sent.
But an old session can still be on its way: its message reaches QuickBooks after the
new session's lookup found nothing and added the record again. QuickBooks accepts two
invoices (or payments) alike, so the answer that brings the second copy is the only
place it shows: that copy is deleted (TxnDel), the first one stays linked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import QueueState
from desktop_app.services.sync_queue import rank_of
from qbwc_server import qbxml as q

#: Kinds QuickBooks lets exist twice (names of list records are unique there: 3100).
TXN_TYPE = {"invoice": "Invoice", "payment": "ReceivePayment"}
ACTION = "delete_duplicate"


def remove_duplicate(session: Session, item: SyncItem, qb_id: str, shown: str) -> SyncItem | None:
    """Queue the deletion of ``qb_id``, a second QuickBooks copy of ``item``'s record."""
    if item.entity_type not in TXN_TYPE or item.entity_id is None:
        return None
    key = f"{item.entity_type}:{item.entity_id}:{ACTION}:{qb_id}"[:80]
    existing = session.scalar(select(SyncItem).where(SyncItem.pending_key == key))
    if existing is not None:
        return existing
    duplicate = SyncItem(
        entity_type=item.entity_type,
        entity_id=item.entity_id,
        action=ACTION,
        state=QueueState.QUEUED,
        pending_key=key,
        rank=rank_of(item.entity_type, ACTION),
        urgent=True,
        qb_target=qb_id,
        note=f"QuickBooks holds this record twice ({shown or qb_id}); deleting the second copy.",
    )
    session.add(duplicate)
    session.flush()
    return duplicate


def delete_request(item: SyncItem, request_id: str) -> q.Request:
    txn_type = TXN_TYPE[item.entity_type]
    return q.txn_del(request_id, item.qb_target, "Invoice" if txn_type == "Invoice" else "ReceivePayment")
