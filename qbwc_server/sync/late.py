"""Answers the engine was no longer waiting for, and answers it could not apply.

A Web Connector session that a newer one took over (its PC stopped, then came back) may
still bring QuickBooks' answer to the message it had: that answer says what QuickBooks
did, so it is kept. An item recovered but not yet sent again takes it as if it had come
in time; an Add whose record a newer attempt already linked to another copy means
QuickBooks now holds the record twice, and the second copy is deleted.

An answer that cannot be applied (QuickBooks sent something unexpected) becomes an alert
on its item; it never stops the session.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import (
    CHANGED_SINCE,
    LOOKS_UP,
    NEEDS_ATTENTION,
    Phase,
    QueueState,
    answer_came_late,
    finish_found,
    goes_on_linked,
    merged_into,
    requeue,
    undone_next,
)
from desktop_app.services.sync_queue import ANSWERED_LATE
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.alerts import close_open_alerts
from qbwc_server.sync.apply import apply_result, unexpected_answer
from qbwc_server.sync.duplicates import remove_duplicate
from qbwc_server.sync.links import set_link

log = logging.getLogger(__name__)


def _item_of(session: Session, request_id: str) -> SyncItem | None:
    """Our requestIDs are ``<item id>-<attempt>``; anything else is not ours."""
    head, _, attempt = request_id.partition("-")
    if not head.isdigit() or not attempt.isdigit():
        return None
    return session.get(SyncItem, int(head))


def late_answer(session: Session, request_id: str, result: q.Result) -> None:
    """Keep what an answer nobody waits for anymore says QuickBooks did."""
    item = _item_of(session, request_id)
    if item is None or item.entity_id is None or result.status.is_error:
        return  # not ours, or QuickBooks did nothing
    context = json.loads(item.sent_context or "{}")
    if item.request_id == request_id and item.state == QueueState.QUEUED:
        # Recovered after its session was taken over, not yet sent again: as if in time. A
        # change saved meanwhile (merged into it while it waited to look the record up) then
        # still goes, as when a lookup finds the record (``finish_found``).
        changed = item.phase in LOOKS_UP and merged_into(session, item) and not undone_next(session, item)
        answer_came_late(item, str(context.get("phase") or item.phase))
        item.status_code = result.status.status_code
        apply_result(session, item, result, context.get("values", {}))
        if changed and item.state == QueueState.DONE:
            requeue(item, Phase.FIRST, CHANGED_SINCE)
        return
    record = result.record
    qb_id = None if record is None else (record.list_id or record.txn_id)
    if record is None or not qb_id or not result.status.rs_type.endswith("AddRs"):
        return  # a lookup or a change: the newer attempt does it again
    if not _copy_of_ours(session, item, request_id, record):
        # Not an answer to anything this item sent: neither linked nor deleted as a copy.
        log.warning("QuickBooks' answer %s names queue item %s but is not its record", request_id, item.id)
        return
    link = m.link_of(session, item.entity_type, item.entity_id)
    if link is None:
        # The newer attempt (a lookup, or an Add still on its way) finds it linked.
        values = context.get("values", {}) if item.request_id == request_id else {}
        set_link(session, item, record, values)
        if item.state == QueueState.QUEUED:
            # Queued again (recovered, or a change saved while it waited): it goes on as a
            # change of the linked record, compared with what QuickBooks has, not as an Add.
            goes_on_linked(item, "Found in QuickBooks through an earlier session's answer.")
            close_open_alerts(session, item, ANSWERED_LATE, "QuickBooks' answer came after all")
        elif item.state in NEEDS_ATTENTION:
            # It waited for a person because its fate was not known (a lookup refused …):
            # now it is, so nothing is left to answer (a change saved since still goes).
            finish_found(session, item, "Found in QuickBooks through an earlier session's answer.")
            close_open_alerts(session, item, ANSWERED_LATE, "QuickBooks' answer came after all")
        return
    if link.qb_id != qb_id:
        remove_duplicate(session, item, qb_id, record.ref_number or record.full_name or "")


def _copy_of_ours(session: Session, item: SyncItem, request_id: str, record: q.Record) -> bool:
    """Whether an Add's answer under this requestID can be the item's record: an attempt it
    made (not one it never sent) and a record of its kind and its key (an invoice's number),
    as a lookup would tell (``SyncKind.found``). Only then is it linked, or deleted as a
    second copy: never a record of someone else's that an odd answer put under our id."""
    attempt = request_id.partition("-")[2]
    if not attempt.isdigit() or not 1 <= int(attempt) <= item.attempts or item.entity_id is None:
        return False
    kind = kinds.of(item.entity_type)
    if kind.qb_list_names and record.kind.removesuffix("Ret") not in kind.qb_list_names:
        return False
    key = kind.lookup_key(session, item.entity_id)
    if key is not None and (kind.found_key(record) or "").casefold() != key.casefold():
        return False
    return bool(kind.found(session, item, [record]))


def answer_not_applied(session: Session, item_id: int, error: Exception) -> None:
    """The answer for one item could not be applied: a person looks; the session goes on."""
    log.error("could not apply QuickBooks' answer to queue item %s", item_id, exc_info=error)
    item = session.get(SyncItem, item_id)
    if item is not None:
        unexpected_answer(session, item, f"JobDesk could not use it ({error}); nothing else was affected")
