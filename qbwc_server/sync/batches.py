"""A message planned and written: its batch, its items marked sent, its qbXML.

The planner (``planner``) chooses what goes; here the choice is written as one batch, in
the unit of work it was planned in: each item marked ``sent`` with its exact request (what
makes a lost answer safe, ``in_flight``), the invoice numbers coming up looked up in the
same message (``probes``), and the caller's own bookkeeping (``also``) in the same commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, update

from desktop_app.db.sync_models import SyncBatch
from desktop_app.db.uow import UnitOfWork
from desktop_app.db.write_gate import WriteGate
from desktop_app.services import settings
from qbwc_server import qbxml as q
from qbwc_server.sync import ahead, due, in_flight
from qbwc_server.sync.ahead import Prepared
from qbwc_server.sync.built import to_xml
from qbwc_server.sync.check_groups import GROUP_MAX
from qbwc_server.sync.planner import BatchPlanner, Limits
from qbwc_server.sync.probes import Probes
from qbwc_server.sync.writes import insert_row, run_many

_BATCHES = cast(Table, SyncBatch.__table__)
#: A batch handed out (``insert_row``: built once, the row written without the unit of work).
NEW_BATCH = insert(_BATCHES).values(
    ticket=bindparam("ticket"),
    created_at=bindparam("created"),
    request_count=bindparam("requests"),
    size_bytes=bindparam("size"),
    error="",
)
#: Its requests once the look-ahead's lookups are added to them.
BATCH_REQUESTS = (
    update(_BATCHES).where(_BATCHES.c.id == bindparam("batch")).values(request_count=bindparam("requests"))
)

#: Messages of at least this many requests keep one for the look-ahead (``probes``).
LOOK_AHEAD_FROM = 10
#: How far ahead (in messages of items) the look-ahead looks for numbers to look up.
LOOK_AHEAD_WINDOW = 2


def plan_batch(
    uow: UnitOfWork,
    gate: WriteGate | None,
    ticket: str,
    qbxml_version: str,
    probes: Probes,
    *,
    out: int | None,
    also: Callable[[UnitOfWork], None] | None,
    snapshot: bool,
    planning_ahead: bool,
) -> Prepared:
    """The session's next message, committed ("" when nothing can go now). ``out``: the
    batch QuickBooks has while this one is planned ahead (its items are not lost);
    ``snapshot``: planned on a read snapshot, the write lock taken at the first write."""
    session = uow.session
    in_flight.recover_unanswered(session, ticket, keep=out)
    max_requests = int(settings.get_setting(uow, "sync.batch_max_requests"))
    # Lookups still out are awaited only for the message QuickBooks has while this one is
    # planned ahead; any other went unanswered (the Web Connector asked again without
    # bringing the answer): its numbers are looked up again, not waited for.
    probes.drop([rid for rid in probes.out if out is None or not rid.startswith(f"p{out}-")])
    # Requests of the message are kept for the look-ahead of invoice numbers when some
    # are coming up (``probes``).
    look_ahead = max_requests >= LOOK_AHEAD_FROM and probes.wanted(session, LOOK_AHEAD_WINDOW * max_requests)
    # Keys for as many Adds as the message can hold, GROUP_MAX a request.
    slots = -(-max_requests // GROUP_MAX)
    capacity = slots * GROUP_MAX
    limits = Limits(
        max_requests - slots if look_ahead else max_requests,
        int(settings.get_setting(uow, "sync.batch_max_bytes")),
    )
    planner = BatchPlanner(
        session,
        limits,
        checked=probes.free,
        look_ahead=capacity if look_ahead else 0,
        look_ahead_refused=probes.refused,
        probing=probes.items_out(),
        planning_ahead=planning_ahead,
    )
    chosen = planner.plan()
    full = len(chosen) >= limits.max_requests
    if not chosen and not planner.ahead:
        uow.commit()
        return Prepared("", full=full)
    # Items of a grouped lookup share one request (``check_groups``): it goes once.
    requests = {one.request_id: one.built for one in chosen}
    size = sum(len(built.xml) for built in requests.values())
    # Planning's own changes (rare: an import's iterator) are written first, then the batch.
    if gate is not None and snapshot:
        # The first write takes the lock: in turn with this process's other writers.
        with gate.turn():
            session.flush()
            sent_at = due.now()  # (once the lock is had: not the time spent waiting for it)
            batch_id = insert_row(session, NEW_BATCH, _batch(ticket, sent_at, len(requests), size))
    else:
        session.flush()
        sent_at = due.now()
        batch_id = insert_row(session, NEW_BATCH, _batch(ticket, sent_at, len(requests), size))
    rows = [
        {
            "item_id": one.item.id,
            "phase": one.built.phase,
            "batch": batch_id,
            "request": one.request_id,
            "xml": one.built.xml,
            "sent": sent_at,
            "context": in_flight.sent_context(one.built.values, one.built.extra, one.built.phase),
        }
        for one in chosen
    ]
    before = ahead.capture(session, {one.item.id: one.request_id for one in chosen}) if planning_ahead else []
    if rows:
        run_many(session, in_flight.MARK_SENT, rows)
    # Each request as the text its item keeps (serialised once, ``Built.xml``).
    texts = [(request_id, built.xml) for request_id, built in requests.items()]
    probe_ids: list[str] = []
    if look_ahead and not planner.isolating:
        last = max([planner.ahead_last, *((one.item.rank, one.item.id) for one in chosen)])
        for probe in probes.ahead(session, last, batch_id, planner.ahead, capacity):
            texts.append((probe.request_id, to_xml(probe.element)))
            probe_ids.append(probe.request_id)
    if not texts:
        uow.rollback()  # only lookups left to a look-ahead that found nothing to send
        return Prepared("")
    if probe_ids:
        run_many(session, BATCH_REQUESTS, [{"batch": batch_id, "requests": len(texts)}])
    message = q.build_message_from_text(texts, on_error="continueOnError", version=qbxml_version)
    if also is not None:
        also(uow)
    uow.commit()
    return Prepared(message, batch_id, before, tuple(probe_ids), full)


def _batch(ticket: str, created: datetime, requests: int, size: int) -> dict[str, object]:
    """``NEW_BATCH``'s values."""
    return {"ticket": ticket, "created": created, "requests": requests, "size": size}
