"""Items out with QuickBooks: the answer each waits for, and those whose answer never came.

An item is ``sent`` from the commit that hands its message out until its answer is
applied. Answers are matched to items by requestID (several items share one grouped
lookup's); an item still ``sent`` when its session is over never got its answer and is
looked up in QuickBooks before it goes again (``refusals.recover``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from desktop_app.db.qbwc_models import WC_ACTIVE, WcSession
from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.services.queue_states import FINISHED, Phase, QueueState
from qbwc_server import qbxml as q
from qbwc_server.sync import due, reads, refusals
from qbwc_server.sync.planner import DEFER_UNREAD

_ITEMS = cast(Table, SyncItem.__table__)
# Built once; run for every item of a batch in one executemany.
MARK_SENT = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(
        state=QueueState.SENT,
        phase=bindparam("phase"),
        pending_key=None,
        batch_id=bindparam("batch"),
        attempts=_ITEMS.c.attempts + 1,
        request_id=bindparam("request"),
        request_xml=bindparam("xml"),
        response_xml="",
        sent_at=bindparam("sent"),
        sent_context=bindparam("context"),
    )
)

#: How a sent item's context begins (``sent_context``): its values come first.
_VALUES_FIRST = '{"values": '
_DECODER = json.JSONDecoder()


#: ``json.dumps`` without its per-call checks (the values are plain: no cycles to look for).
_ENCODE = json.JSONEncoder(check_circular=False).encode
#: Each phase's JSON text (a phase is one of a few words: encoded once).
_PHASES = {str(phase): json.dumps(phase) for phase in Phase}


def sent_context(values: dict[str, str], extra: dict[str, Any], phase: str) -> str:
    """What an item carries while it is out (``SyncItem.sent_context``): the values sent,
    the answer handler's extras and the phase. The text is ``json.dumps`` of that dict; it
    is built in parts so the values' own text can be taken back as it is (``read_sent``)."""
    phase_text = _PHASES.get(phase) or json.dumps(phase)
    extra_text = _ENCODE(extra) if extra else "{}"
    return _VALUES_FIRST + _ENCODE(values) + ', "extra": ' + extra_text + ', "phase": ' + phase_text + "}"


def read_sent(context: str | None) -> tuple[dict[str, Any], str | None]:
    """``sent_context`` read back, with the values' JSON text when it can be taken as written
    (the link keeps it: encoding the same values again costs about as much as the rest of
    writing an answer); None for a context written otherwise (an older JobDesk)."""
    text = context or "{}"
    if text.startswith(_VALUES_FIRST):
        try:
            values, end = _DECODER.raw_decode(text, len(_VALUES_FIRST))
            if isinstance(values, dict) and text.startswith(", ", end):
                rest = json.loads("{" + text[end + 2 :])
                if isinstance(rest, dict) and "values" not in rest:  # (a second one would win)
                    return {"values": values, **rest}, text[len(_VALUES_FIRST) : end]
        except ValueError:
            pass
    return json.loads(text), None


#: A batch's items still waiting for their answer: (id, requestID) of each (``reads``: after
#: its answers are applied there is usually none, and an empty read through the session
#: costs more than a message's worth of the rest of ``_end_of_message``).
STILL_SENT = select(SyncItem.id, SyncItem.request_id).where(
    SyncItem.batch_id == bindparam("batch"), SyncItem.state == QueueState.SENT
)

_BATCHES = cast(Table, SyncBatch.__table__)
#: A batch's first answer is noted (a statement: loading the batch costs more than this).
ANSWERED = (
    update(_BATCHES)
    .where(_BATCHES.c.id == bindparam("batch"), _BATCHES.c.responded_at.is_(None))
    .values(responded_at=bindparam("responded_at"))
)


def recover_unanswered(session: Session, ticket: str, *, keep: int | None = None) -> None:
    """Re-queue items still ``sent`` by this session or by one that is over.

    Items out with another session that is still live (active and not expired) are
    left alone: a second server process may be waiting for their answer right now.
    So are those of batch ``keep``: the message QuickBooks has while the next one is
    planned ahead.
    """
    if reads.first(session, _ANY_SENT, {"keep": -1 if keep is None else keep}) is None:
        return  # the usual case between two messages: one look at the index, no join
    live = select(WcSession.ticket).where(
        WcSession.state == WC_ACTIVE, WcSession.expires_at >= due.now(), WcSession.ticket != ticket
    )
    query = (
        select(SyncItem)
        .outerjoin(SyncBatch, SyncItem.batch_id == SyncBatch.id)
        .where(
            SyncItem.state == QueueState.SENT,
            or_(SyncBatch.ticket.is_(None), SyncBatch.ticket.not_in(live)),
        )
    )
    if keep is not None:
        query = query.where(or_(SyncItem.batch_id.is_(None), SyncItem.batch_id != keep))
    for item in session.scalars(query):
        refusals.recover(
            session, item, "The answer to the last attempt never arrived; checking QuickBooks first."
        )


#: Is any item out with QuickBooks? (Built once; asked before every message.)
_ANY_SENT = (
    select(SyncItem.id)
    .where(
        SyncItem.state == QueueState.SENT,
        or_(SyncItem.batch_id.is_(None), SyncItem.batch_id != bindparam("keep")),
    )
    .limit(1)
)


def answered(
    results: dict[str, q.Result], sent: dict[str, list[SyncItem]]
) -> Iterator[tuple[str, SyncItem | None, q.Result]]:
    """(requestID, item waiting for it or None, the answer) for every item an answer concerns."""
    for request_id, result in results.items():
        items = sent.get(request_id)
        if not items:
            yield request_id, None, result
            continue
        for item in items:
            yield request_id, item, result


_WAITING = (
    select(SyncItem)
    .options(*DEFER_UNREAD)
    .where(SyncItem.request_id.in_(bindparam("ids", expanding=True)), SyncItem.state == QueueState.SENT)
    .order_by(SyncItem.id)
)


def waiting_for(session: Session, request_ids: list[str]) -> dict[str, list[SyncItem]]:
    """The items still waiting for each answer: one, or all those of a grouped lookup
    (``check_groups``), 500 requestIDs a query."""
    sent: dict[str, list[SyncItem]] = {}
    for start in range(0, len(request_ids), 500):
        for waiting in session.scalars(_WAITING, {"ids": request_ids[start : start + 500]}):
            sent.setdefault(waiting.request_id or "", []).append(waiting)
    return sent


def finished_in(session: Session, ticket: str) -> set[int]:
    """The items a session's messages finished (read once, after a restart)."""
    query = (
        select(SyncItem.id)
        .join(SyncBatch, SyncItem.batch_id == SyncBatch.id)
        .where(SyncBatch.ticket == ticket, SyncItem.state.in_(FINISHED))
    )
    return set(session.scalars(query))
