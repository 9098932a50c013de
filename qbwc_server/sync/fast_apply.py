"""The common acts of ``decisions`` written with plain SQL statements: the same writer, faster.

Almost every answer is decided as one of: saved (link the record; the item is done),
done (a void), unlinked (a delete), or not found (a lookup found nothing: the Add goes
next). Through the ORM's unit of work each costs several times the one or two statements
it needs; here they are those statements, still in the item's own transaction. The
decision is ``decisions.decide``'s, the same the general writer (``apply.write``) gets:
this module decides nothing of its own. It only declines (returns False, nothing written)
an act it has no statements for, or a save the kind wants to look at first (an invoice's
total), and ``apply.write`` does those; tests sync a busy office both ways and compare
every row.

The ORM objects in the session are kept true (``set_committed_value``) without being
marked dirty, so the commit that follows has nothing left to flush.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.errors import QbxmlError
from desktop_app.services.queue_states import QueueState, now, pending_key
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.apply import answer_of
from qbwc_server.sync.decisions import Act, Decision, decide
from qbwc_server.sync.writes import Writes, writes_for

_ITEMS = cast(Table, SyncItem.__table__)
_LINKS = cast(Table, QbLink.__table__)
_STATUS: dict[str, Any] = {
    "status_code": bindparam("status_code"),
    "status_message": bindparam("status_message"),
}
# Built once: a statement made per call costs more than running it.
#: Only an item still "sent" under the answer's requestID: an answer applied twice, or to
#: an item another process has since re-sent, changes nothing.
_STILL_SENT = (
    _ITEMS.c.id == bindparam("item_id"),
    _ITEMS.c.state == QueueState.SENT,
    _ITEMS.c.request_id == bindparam("answered_id"),
)
_ITEM_DONE = (
    update(_ITEMS)
    .where(*_STILL_SENT)
    .values(
        state=QueueState.DONE,
        pending_key=None,
        isolation=None,
        done_at=bindparam("done_at"),
        note=bindparam("note"),
        response_xml=bindparam("response_xml"),
        **_STATUS,
    )
)
_ITEM_REQUEUED = (
    update(_ITEMS)
    .where(*_STILL_SENT)
    .values(
        state=QueueState.QUEUED,
        phase=bindparam("phase"),
        pending_key=bindparam("key"),
        note=bindparam("note"),
        next_attempt_at=None,
        response_xml=bindparam("response_xml"),
        **_STATUS,
    )
)
_MERGE_TWIN = (
    update(_ITEMS)
    .where(_ITEMS.c.pending_key == bindparam("key"), _ITEMS.c.id != bindparam("item_id"))
    .values(state=QueueState.CANCELLED, pending_key=None, isolation=None, note=bindparam("note"))
)
_LINK_FIELDS = ("qb_id", "edit_sequence", "qb_name", "synced_values", "synced_at")
_LINK_INSERT = insert(_LINKS).values(
    entity_type=bindparam("entity_type"),
    entity_id=bindparam("entity_id"),
    **{name: bindparam(name) for name in _LINK_FIELDS},
)
_LINK_UPDATE = (
    update(_LINKS)
    .where(_LINKS.c.id == bindparam("link_id"))
    .values(**{name: bindparam(name) for name in _LINK_FIELDS})
)
_UNLINK = _LINKS.delete().where(
    _LINKS.c.entity_type == bindparam("entity_type"), _LINKS.c.entity_id == bindparam("entity_id")
)


class _AlreadyApplied(Exception):
    """The item is no longer "sent" under this requestID: another process dealt with it."""


#: The acts written here; the rest go to ``apply.write``.
FAST_ACTS = frozenset({Act.SAVED, Act.DONE, Act.UNLINKED, Act.NOT_FOUND})


def apply_fast(
    session: Session, item: SyncItem, result: q.Result, sent_values: dict[str, str], response_xml: str
) -> bool:
    """Write a common answer's decision and commit it; False (nothing written) for the rest."""
    if item.entity_type == "import" or item.entity_id is None:
        return False
    # What the decision needs is read before anything is written: a read may begin the
    # session's transaction, and that decides where writes go.
    answer, _records = answer_of(session, item, result)
    decision = decide(answer)
    if decision.act not in FAST_ACTS:
        return False
    record = result.record
    if decision.act == Act.SAVED and (
        record is None
        or kinds.of(item.entity_type).needs_review_after_save(session, item, record, sent_values)
    ):
        return False
    link = m.link_of(session, item.entity_type, item.entity_id) if decision.act == Act.SAVED else None
    writes = writes_for(session)
    try:
        done = _apply(session, writes, item, result, decision, link, sent_values, response_xml)
    except _AlreadyApplied:
        writes.rollback()
        return True  # nothing left to do for it
    except IntegrityError:
        # A clash the general path explains (e.g. a QuickBooks id linked twice).
        writes.rollback()
        return False
    except BaseException:
        writes.rollback()
        raise
    if done:
        writes.commit()
    else:
        writes.rollback()
    return done


def _apply(
    session: Session,
    writes: Writes,
    item: SyncItem,
    result: q.Result,
    decision: Decision,
    link: QbLink | None,
    sent_values: dict[str, str],
    response_xml: str,
) -> bool:
    """Write the decision (no reads here); the session's objects learn it once all is written."""
    assert item.entity_id is not None
    if decision.act == Act.SAVED:
        done = _item_done(writes, item, result, response_xml, decision.note)
        _save_link(session, writes, item, result, link, sent_values)
        _remember(item, done)
        return True
    if decision.act in (Act.DONE, Act.UNLINKED):
        done = _item_done(writes, item, result, response_xml, decision.note)
        if decision.act == Act.UNLINKED:
            writes.run(_UNLINK, {"entity_type": item.entity_type, "entity_id": item.entity_id})
            m.cache_link(session, item.entity_type, item.entity_id, None)
        _remember(item, done)
        return True
    # Not found: the Add goes next.
    note = kinds.of(item.entity_type).not_found_note
    key = pending_key(item.entity_type, item.entity_id, item.action)
    if item.pending_key != key:
        # A newer item queued for the record meanwhile merges into this one, which knows
        # what was already sent (as queue_states.claim_pending_key does).
        note_merged = f"Merged into queue item {item.id}."
        if writes.run(_MERGE_TWIN, {"key": key, "item_id": item.id, "note": note_merged}):
            return False  # rare: the general path does it with the ORM objects in step
    values = {"phase": decision.phase, "key": key, "note": note, "response_xml": response_xml}
    constants = {"state": QueueState.QUEUED, "pending_key": key, "next_attempt_at": None}
    _remember(item, _write_item(writes, item, result, _ITEM_REQUEUED, values, constants))
    return True


def _save_link(
    session: Session,
    writes: Writes,
    item: SyncItem,
    result: q.Result,
    link: QbLink | None,
    values: dict[str, str],
) -> None:
    record = result.record
    # _saveable checked both before anything was written.
    qb_id = "" if record is None else (record.list_id or record.txn_id or "")
    if record is None or not qb_id or item.entity_id is None:
        raise QbxmlError("QuickBooks' answer has no ListID or TxnID to link to.")
    fields: dict[str, Any] = {
        "qb_id": qb_id,
        "edit_sequence": record.edit_sequence or "",
        "qb_name": (record.full_name or record.ref_number or "")[:209],
        "synced_values": json.dumps(values),
        "synced_at": now(),
    }
    if link is None:
        record_key = {"entity_type": item.entity_type, "entity_id": item.entity_id}
        writes.run(_LINK_INSERT, {**record_key, **fields})
        # The next lookup reads the new row (a persistent object, not a copy of one).
        m.forget_link(session, item.entity_type, item.entity_id)
    else:
        writes.run(_LINK_UPDATE, {"link_id": link.id, **fields})
        _remember(link, fields)


def _item_done(
    writes: Writes, item: SyncItem, result: q.Result, response_xml: str, note: str = ""
) -> dict[str, Any]:
    values = {"done_at": now(), "note": note, "response_xml": response_xml}
    constants = {"state": QueueState.DONE, "pending_key": None, "isolation": None}
    return _write_item(writes, item, result, _ITEM_DONE, values, constants)


def _write_item(
    writes: Writes,
    item: SyncItem,
    result: q.Result,
    statement: Any,
    values: dict[str, Any],
    constants: dict[str, Any],
) -> dict[str, Any]:
    """Update the item if it is still "sent" under this answer's requestID; what it now holds."""
    params = {
        "item_id": item.id,
        "answered_id": item.request_id,
        "status_code": result.status.status_code,
        "status_message": result.status.status_message,
        **values,
    }
    if writes.run(statement, params) != 1:
        raise _AlreadyApplied
    for key in ("item_id", "answered_id", "key"):
        params.pop(key, None)
    return {**params, **constants}


def _remember(record: object, values: dict[str, Any]) -> None:
    """Keep the object in the session true to the row, without marking it changed."""
    for key, value in values.items():
        set_committed_value(record, key, value)
