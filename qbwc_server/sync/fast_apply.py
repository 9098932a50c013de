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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.errors import QbxmlError
from desktop_app.services.queue_states import MERGED_NOTE, QueueState, now, pending_key
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.apply import answer_of
from qbwc_server.sync.decisions import Act, decide
from qbwc_server.sync.writes import writes_for

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


@dataclass
class Fast:
    """A common answer, decided, and the statements that write it (none run yet)."""

    item: SyncItem
    #: The item's own update: it must change exactly one row (else it was already applied).
    item_statement: Any
    item_params: dict[str, Any]
    #: What the item holds once written (the session's copy learns it).
    item_values: dict[str, Any]
    #: Further statements: the record's link.
    more: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    #: The link updated in place (the session's copy learns ``link_fields``).
    link: QbLink | None = None
    link_fields: dict[str, Any] = field(default_factory=dict)
    #: "forget": a link was added (the next lookup reads it); "none": it was removed.
    link_cache: str = ""
    #: A newer item of the record to merge into this one first (if there is one, the
    #: general path writes the answer).
    merge: dict[str, Any] | None = None


def apply_fast(
    session: Session, item: SyncItem, result: q.Result, sent_values: dict[str, str], response_xml: str
) -> bool:
    """Write a common answer's decision; False (nothing written) for the rest."""
    fast = prepare_fast(session, item, result, sent_values, response_xml)
    return fast is not None and write_one(session, fast)


def prepare_fast(
    session: Session,
    item: SyncItem,
    result: q.Result,
    sent_values: dict[str, str],
    response_xml: str,
    values_json: str | None = None,
    at: datetime | None = None,
) -> Fast | None:
    """Decide a common answer and say how to write it; None when the general path writes it.
    ``values_json``: ``sent_values`` as JSON text, when the caller has it (``in_flight.read_sent``);
    ``at``: when it is applied (a message's answers share one time: now, if not given).

    Only reads: what the decision needs is read before anything is written (a read may
    begin the session's transaction, and that decides where writes go).
    """
    if item.entity_type == "import" or item.entity_id is None:
        return None
    answer, _records = answer_of(session, item, result)
    decision = decide(answer)
    if decision.act not in FAST_ACTS:
        return None
    record = result.record
    if decision.act == Act.SAVED and (
        record is None
        or kinds.of(item.entity_type).needs_review_after_save(session, item, record, sent_values)
    ):
        return None
    when = at or now()
    if decision.act == Act.SAVED:
        fast = _item_done(item, result, response_xml, when, decision.note)
        _save_link(session, fast, item, result, sent_values, values_json, when)
        return fast
    if decision.act in (Act.DONE, Act.UNLINKED):
        fast = _item_done(item, result, response_xml, when, decision.note)
        if decision.act == Act.UNLINKED:
            fast.more.append((_UNLINK, {"entity_type": item.entity_type, "entity_id": item.entity_id}))
            fast.link_cache = "none"
        return fast
    # Not found: the Add goes next.
    note = kinds.of(item.entity_type).not_found_note
    key = pending_key(item.entity_type, item.entity_id, item.action)
    values = {"phase": decision.phase, "key": key, "note": note, "response_xml": response_xml}
    constants = {"state": QueueState.QUEUED, "pending_key": key, "next_attempt_at": None}
    fast = _item_write(item, result, _ITEM_REQUEUED, values, constants)
    if item.pending_key != key:
        # A newer item queued for the record meanwhile merges into this one, which knows
        # what was already sent (as queue_states.claim_pending_key does).
        fast.merge = {"key": key, "item_id": item.id, "note": MERGED_NOTE.format(item.id)}
    return fast


def write_one(session: Session, fast: Fast) -> bool:
    """Write one answer in a savepoint of its own; False (nothing written) when the general
    path must write it after all."""
    writes = writes_for(session)
    try:
        if fast.merge is not None and writes.run(_MERGE_TWIN, fast.merge):
            writes.rollback()
            return False  # rare: the general path does it with the ORM objects in step
        if writes.run(fast.item_statement, fast.item_params) != 1:
            raise _AlreadyApplied
        for statement, params in fast.more:
            writes.run(statement, params)
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
    writes.commit()
    learn(session, fast)
    return True


def learn(session: Session, fast: Fast) -> None:
    """The session's objects learn what was written, without being marked changed."""
    item = fast.item
    if fast.link_cache == "forget":
        # The next lookup reads the new row (a persistent object, not a copy of one).
        m.forget_link(session, item.entity_type, item.entity_id or 0)
    elif fast.link_cache == "none":
        m.cache_link(session, item.entity_type, item.entity_id or 0, None)
    if fast.link is not None:
        _remember(fast.link, fast.link_fields)
    _remember(item, fast.item_values)


def _save_link(
    session: Session,
    fast: Fast,
    item: SyncItem,
    result: q.Result,
    values: dict[str, str],
    values_json: str | None,
    at: datetime,
) -> None:
    record = result.record
    qb_id = "" if record is None else (record.list_id or record.txn_id or "")
    if record is None or not qb_id or item.entity_id is None:
        raise QbxmlError("QuickBooks' answer has no ListID or TxnID to link to.")
    fields: dict[str, Any] = {
        "qb_id": qb_id,
        "edit_sequence": record.edit_sequence or "",
        "qb_name": (record.full_name or record.ref_number or "")[:209],
        "synced_values": json.dumps(values) if values_json is None else values_json,
        "synced_at": at,
    }
    link = m.link_of(session, item.entity_type, item.entity_id)
    if link is None:
        record_key = {"entity_type": item.entity_type, "entity_id": item.entity_id}
        fast.more.append((_LINK_INSERT, {**record_key, **fields}))
        fast.link_cache = "forget"
    else:
        fast.more.append((_LINK_UPDATE, {"link_id": link.id, **fields}))
        fast.link, fast.link_fields = link, fields


def _item_done(item: SyncItem, result: q.Result, response_xml: str, at: datetime, note: str = "") -> Fast:
    values = {"done_at": at, "note": note, "response_xml": response_xml}
    constants = {"state": QueueState.DONE, "pending_key": None, "isolation": None}
    return _item_write(item, result, _ITEM_DONE, values, constants)


def _item_write(
    item: SyncItem, result: q.Result, statement: Any, values: dict[str, Any], constants: dict[str, Any]
) -> Fast:
    """The item's update, only while it is still "sent" under this answer's requestID."""
    params = {
        "item_id": item.id,
        "answered_id": item.request_id,
        "status_code": result.status.status_code,
        "status_message": result.status.status_message,
        **values,
    }
    held = {key: value for key, value in params.items() if key not in ("item_id", "answered_id", "key")}
    return Fast(item, statement, params, {**held, **constants})


def _remember(record: object, values: dict[str, Any]) -> None:
    """Keep the object in the session true to the row, without marking it changed.

    ``set_committed_value`` for each column at once: the values go in, and the state
    commits them together (one call, not one per column: this runs for every answer)."""
    state = instance_state(record)
    columns = state.mapper.columns
    if any(key not in columns for key in values):  # (only plain columns are written here)
        for key, value in values.items():
            set_committed_value(record, key, value)
        return
    state.dict.update(values)
    state._commit(state.dict, list(values))  # what set_committed_value does, key by key


def write_many(session: Session, fasts: list[Fast]) -> list[Fast]:
    """Write many answers together, one statement for all rows of each kind;
    those it leaves (all of them, when one of them cannot be written so) are written one
    by one (``write_one``) by the caller.

    Together or one by one, the rows written are the same: each item's update still
    changes its row only while it is "sent" under the answer's requestID, and if any did
    not (another process dealt with it) or a link clashes, nothing of the lot is kept and
    each answer goes its own way, as it would have alone.
    """
    writes = writes_for(session)
    if len(fasts) < 2:
        return fasts
    merges = [fast.merge for fast in fasts if fast.merge is not None]
    items: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
    more: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
    for fast in fasts:
        items.setdefault(id(fast.item_statement), (fast.item_statement, []))[1].append(fast.item_params)
        for statement, params in fast.more:
            more.setdefault(id(statement), (statement, []))[1].append(params)
    try:
        # A newer item of a record to merge is rare: then each goes alone (``write_one``).
        if merges and writes.run_many(_MERGE_TWIN, merges):
            raise _AlreadyApplied
        if sum(writes.run_many(statement, rows) for statement, rows in items.values()) != len(fasts):
            raise _AlreadyApplied
        for statement, rows in more.values():
            writes.run_many(statement, rows)
    except (_AlreadyApplied, IntegrityError):
        writes.rollback()
        return fasts
    except BaseException:
        writes.rollback()
        raise
    writes.commit()
    for fast in fasts:
        learn(session, fast)
    return []
