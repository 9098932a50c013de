"""Choosing the next batch: queue items in sending order, each ready or waiting, and why.

A walk through the queue in (rank, id) order, a page at a time, with each page's records
and links loaded in a few queries (``prefetch``). An item goes in the batch when every
record it refers to is in QuickBooks or goes earlier in the same batch; a dependency
nobody queued yet is queued here (a customer before its jobs, jobs and items before
invoices), and another walk lets it and what waits for it join this same batch.

Why an item waits is written on it only for the items the last walk looked at: an early
walk may find a thousand invoices waiting for the one item it has just queued, which the
next walk sends first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.orm import Session, defer

from desktop_app.db.connection_models import MatchProposal
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import NEEDS_ATTENTION, PENDING, Action, Phase, QueueState, finish
from desktop_app.services.sync_queue import NO_LONGER_NEEDED, enqueue_in, fate_unknown, label_of
from qbwc_server import mapping as m
from qbwc_server.sync import kinds, plan, reads
from qbwc_server.sync.alerts import close_open_alerts, raise_alert, unsendable
from qbwc_server.sync.check_groups import LookupGroups
from qbwc_server.sync.plan import Built, Dep, NothingToSend
from qbwc_server.sync.prefetch import prefetch

#: An item whose dependency waits on a person is looked at again after this long.
WAIT_FOR_PERSON = timedelta(minutes=5)
#: Items per batch, for each request it may hold: grouped lookups (``check_groups``) put
#: many items in one request, and a batch's items are loaded and written together.
MAX_ITEMS_PER_REQUEST = 3
#: Walks per batch: each may queue dependencies the next one sends.
MAX_WALKS = 3
#: Why a record of ours waits while a QuickBooks record may be the same one.
MATCH_NOTE = (
    "Waiting for a decision: QuickBooks has a record that may be this one "
    "(Sync centre → Connect → Review matches)."
)
#: Columns of a queue item that planning and applying do not read (the last request and
#: answer are large; the timestamps cost a conversion each): loaded only if asked for.
DEFER_UNREAD = tuple(
    defer(column)
    for column in (
        SyncItem.request_xml,
        SyncItem.response_xml,
        SyncItem.created_at,
        SyncItem.updated_at,
        SyncItem.sent_at,
        SyncItem.done_at,
    )
)
#: States in which a queue item still stands for work on its record.


# Asked for every batch: built once (building a statement costs about what running it does).
_ANY_ISOLATED = select(SyncItem.id).where(SyncItem.isolation.is_not(None)).limit(1)
_UNDECIDED = select(MatchProposal.entity_type, MatchProposal.entity_id).where(MatchProposal.decision == "")
_OUT = select(SyncItem.entity_type, SyncItem.entity_id).where(SyncItem.state == QueueState.SENT)
#: Due queued items in sending order, a page (``_candidates``). Built once: constructing a
#: statement of this shape (and its cache key) each message cost more than running it.
_DUE_PAGE = (
    select(SyncItem)
    .options(*DEFER_UNREAD)
    .where(
        SyncItem.state == QueueState.QUEUED,
        or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= bindparam("now")),
    )
    .order_by(SyncItem.rank, SyncItem.id)
    .limit(bindparam("page", type_=Integer()))
)


@dataclass(frozen=True)
class Limits:
    max_requests: int = 50
    max_bytes: int = 500_000


@dataclass
class Chosen:
    item: SyncItem
    built: Built
    request_id: str


@dataclass(frozen=True)
class _Pending:
    state: str
    note: str
    #: Queued but not due: it waits (for a person, or for what does) and will not go now.
    delayed: bool = False

    @property
    def waits_for_person(self) -> bool:
        return self.state in NEEDS_ATTENTION or self.delayed


@dataclass(frozen=True)
class _Wait:
    """Why an item waits: written on it if it is still waiting after the last walk."""

    dependency: Dep
    pending: _Pending | None
    for_person: bool


@dataclass
class BatchPlanner:
    session: Session
    limits: Limits
    #: Only find out whether anything could go: write nothing, stop at the first.
    dry_run: bool = False
    #: Dry run: an item a session would settle without sending it (already in step, or one
    #: that cannot be sent as it is and needs its alert): a session is due for it too.
    to_settle: bool = False
    #: A walk bounded by ``scan_limit`` stopped there with items left unread.
    stopped_at_limit: bool = False
    scan_limit: int | None = None
    chosen: list[Chosen] = field(default_factory=list)
    _chosen_ids: set[int] = field(default_factory=set)
    _in_batch: set[Dep] = field(default_factory=set)
    #: Items ready only because a list record they need is added earlier in this batch.
    _after_batch_adds: set[int] = field(default_factory=set)
    _busy: set[tuple[str, int | None]] = field(default_factory=set)
    #: Records found with nothing to send in this batch: nothing waits for them (``_goes_after``).
    _settled_records: set[tuple[str, int | None]] = field(default_factory=set)
    _pending: dict[Dep, _Pending | None] = field(default_factory=dict)
    _deps: dict[int, tuple[list[Dep], list[Dep]]] = field(default_factory=dict)
    _waits: dict[int, tuple[SyncItem, _Wait]] = field(default_factory=dict)
    _queued_dependency: bool = False
    #: Items looked at since this walk queued its first dependency.
    _since_queued: int = 0
    _size: int = 0
    #: Item id → key QuickBooks did not have as of the last answer (``probes``): its first
    #: Add goes without a lookup step of its own.
    checked: dict[int, str] = field(default_factory=dict)
    #: The look-ahead is on for this batch (``probes``): up to this many first lookups
    #: are left to it instead of going as steps of their own (0: off).
    look_ahead: int = 0
    #: Items the look-ahead does not take (it could not answer for them before).
    look_ahead_refused: frozenset[int] | set[int] = frozenset()
    #: Items whose key a look-ahead out with QuickBooks is looking up (this batch is planned
    #: ahead, ``ahead``): they wait for its answer, in this batch neither sent nor looked up.
    probing: frozenset[int] = frozenset()
    #: The batch is planned while QuickBooks works on the last (``ahead``): what waits for an
    #: item of that message is not written as waiting (its answer is a message away), and
    #: the walk stops once a message's worth of items have been found waiting for it.
    planning_ahead: bool = False
    _waiting_for_answer: int = 0
    #: What this batch left to the look-ahead: kind → (item id, key), and the last (rank, id).
    ahead: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    ahead_last: tuple[int, int] = (0, 0)
    #: Lookups by key (invoice numbers) sharing one request each (``check_groups``).
    _lookups: LookupGroups = field(default_factory=LookupGroups)
    _scanned: int = 0
    #: The isolation group this batch is made of (None: the queue as usual).
    _isolation: str | None = None
    #: Connecting to a company (``services.connection``): only imports go until Send.
    _imports_only: bool = False
    #: Records of ours a QuickBooks record may be (an undecided match): they do not go.
    _undecided: frozenset[Dep] = frozenset()

    def plan(self) -> list[Chosen]:
        """The next batch. Items of a message QuickBooks refused whole go first, one group at a
        time and on their own (``SyncItem.isolation``), until the request it refuses is found."""
        if not self.dry_run:
            self._isolation = self._next_isolation_group()
            if self._isolation is not None:
                chosen = self._plan()
                self._release_isolation(chosen)
                if chosen:
                    return chosen
                self._isolation = None  # the whole group waits: it goes with the rest
                self.chosen, self._chosen_ids, self._in_batch = [], set(), set()
                self._settled_records.clear()
                self._lookups.clear()
                self.ahead.clear()
                self._size = self._scanned = 0
        return self._plan()

    def _next_isolation_group(self) -> str | None:
        # Usually there is none: one look at the isolation index (rows with a group only)
        # answers that, where the ordered query below would walk the queued items.
        if reads.first(self.session, _ANY_ISOLATED) is None:
            return None
        return self.session.scalar(
            select(SyncItem.isolation)
            .where(SyncItem.state == QueueState.QUEUED, SyncItem.isolation.is_not(None))
            .order_by(SyncItem.rank, SyncItem.id)
            .limit(1)
        )

    def _release_isolation(self, chosen: list[Chosen]) -> None:
        """Items of the group that cannot go now (they wait for something) rejoin the rest."""
        taken = {one.item.id for one in chosen}
        for item in self.session.scalars(
            select(SyncItem).where(SyncItem.state == QueueState.QUEUED, SyncItem.isolation == self._isolation)
        ):
            if item.id not in taken:
                item.isolation = None

    def _plan(self) -> list[Chosen]:
        m.remember_links(self.session)
        self._imports_only = plan.setting(self.session, "connection.writes_held") == "true"
        self._undecided = frozenset(
            (entity_type, entity_id) for entity_type, entity_id in reads.rows(self.session, _UNDECIDED)
        )
        with self.session.no_autoflush:
            self._busy = {
                (entity_type, entity_id) for entity_type, entity_id in reads.rows(self.session, _OUT)
            }
            for walk in range(MAX_WALKS):
                self._queued_dependency = False
                self._since_queued = 0
                self._waits.clear()
                # The last walk reads on to the end: stopping early there could end a
                # session with nothing sent while sendable items wait further down.
                full = self._walk(stop_early=walk < MAX_WALKS - 1)
                if self.dry_run and self.chosen:
                    break
                if full or not self._queued_dependency:
                    break
            if not self.dry_run:
                for item, wait in self._waits.values():
                    self._write_wait(item, wait)
                self.chosen.extend(Chosen(*grouped) for grouped in self._lookups.built())
                self._lookups.clear()
        return self.chosen

    @property
    def isolating(self) -> bool:
        """The batch is part of a refused message sent again in halves (no look-ahead then)."""
        return self._isolation is not None

    def _checked_key(self, item: SyncItem) -> str | None:
        """The key the look-ahead found free, when the item may use it: not when a record it
        needs is added in this same batch (that Add may meet a record of its name, and what
        this one refers to is known only then), as with a lookup step of its own."""
        if item.id in self._after_batch_adds:
            return None
        return self.checked.get(item.id)

    def _leave_to_look_ahead(self, item: SyncItem, key: str, built: Built) -> bool:
        """A first lookup goes with the message's look-ahead instead of as a step of its own
        (the item stays as it is, and its Add goes next message if the number is free)."""
        if not self.look_ahead or self._isolation is not None or built.phase != Phase.CHECK:
            return False
        if item.phase != Phase.FIRST or item.id in self.look_ahead_refused:
            return False
        self._chosen_ids.add(item.id)  # counted with the batch's items; skipped if seen again
        taken = self.ahead.setdefault(item.entity_type, [])
        if len(taken) < self.look_ahead:
            taken.append((item.id, key))
            self.ahead_last = max(self.ahead_last, (item.rank, item.id))
        return True  # beyond what one look-ahead holds: it waits for the next message

    def _requests(self) -> int:
        """Requests in the batch so far (a grouped lookup counts once for all its items)."""
        return len(self.chosen) + self._lookups.requests

    # -- one walk ----------------------------------------------------------------------------

    def _walk(self, *, stop_early: bool) -> bool:
        """One walk through the queue in order; True when the batch is full."""
        limits = self.limits
        for item in self._candidates():
            if (
                self._requests() >= limits.max_requests
                or len(self._chosen_ids) >= MAX_ITEMS_PER_REQUEST * limits.max_requests
            ):
                return True
            if self.scan_limit is not None and self._scanned >= self.scan_limit:
                self.stopped_at_limit = True
                return True
            self._scanned += 1
            if self._queued_dependency and stop_early:
                # What follows mostly waits for what was just queued (a thousand invoices
                # for one new item): walk again rather than read the whole queue first.
                self._since_queued += 1
                if self._since_queued > limits.max_requests:
                    return False
            if item.id in self._chosen_ids or item.id in self.probing:
                continue  # chosen by an earlier walk (still "queued" until the batch goes)
            key_of_record = (item.entity_type, item.entity_id)
            # Imports share one key (no record); each is its own list, so several may go.
            if key_of_record in self._busy and item.entity_type != "import":
                continue
            if self._nothing_to_undo(item):
                if self.dry_run:
                    self.to_settle = True  # a session settles it (done)
                    return True
                continue
            wait = self._blocked(item)
            if wait is not None and self._waits_for_answer(wait):
                self._waiting_for_answer += 1
                if self._waiting_for_answer > limits.max_requests:
                    return False  # the rest mostly waits for it too: planned after its answer
                continue
            if wait is not None:
                self._waits[item.id] = (item, wait)
                continue
            request_id = f"{item.id}-{item.attempts + 1}"
            try:
                built = plan.build(self.session, item, request_id, checked_key=self._checked_key(item))
                built.check()
            except NothingToSend:
                if self.dry_run:
                    self.to_settle = True  # a session settles it (done), or it would stay queued
                    return True
                finish(item, "Already up to date in QuickBooks.")
                # An alert it raised before (changed back since …) asks nothing any more.
                close_open_alerts(self.session, item, NO_LONGER_NEEDED, "No longer needed")
                self._settled_records.add(key_of_record)  # dealt with: nothing waits for it
                continue
            except Exception as error:
                if self.dry_run:
                    self.to_settle = True  # a session raises its alert: a person must hear of it
                    return True
                unsendable(self.session, item, error)
                continue
            if self.dry_run:
                self.chosen.append(Chosen(item, built, request_id))
                return True
            key = self._lookups.key_for(self.session, item, built)
            if key is not None and self._leave_to_look_ahead(item, key, built):
                continue
            if key is not None:
                # Looked up with the batch's other keys of its kind, in one request.
                self._size += self._lookups.add(item, key, built.phase)
                self._chosen_ids.add(item.id)
                self._busy.add(key_of_record)
                continue
            xml_size = len(built.xml)
            if self._requests() and self._size + xml_size > limits.max_bytes:
                return True
            self._size += xml_size
            self.chosen.append(Chosen(item, built, request_id))
            self._chosen_ids.add(item.id)
            self._busy.add(key_of_record)
            record_id = item.entity_id
            if built.phase == Phase.ADD and record_id is not None and kinds.is_list_kind(item.entity_type):
                self._in_batch.add((item.entity_type, record_id))
        return False

    def _waits_for_answer(self, wait: _Wait) -> bool:
        """Planning ahead, the item waits only for the answer to the message QuickBooks has."""
        return self.planning_ahead and wait.pending is not None and wait.pending.state == QueueState.SENT

    def _candidates(self) -> Iterator[SyncItem]:
        """Due queued items in sending order, a page at a time (a long queue is never loaded whole)."""
        session = self.session
        after: tuple[int, int] | None = None
        now = datetime.now(UTC)
        while True:
            # A page a little larger than what the batch can still take (a few items wait or
            # are busy): every item read is loaded with its record, and those left over are
            # loaded again for the next batch.
            room = max(0, self.limits.max_requests - self._requests())
            page = max(20, min(500, room + room // 8 + 2))
            query = _DUE_PAGE
            if self._isolation is not None:
                query = query.where(SyncItem.isolation == self._isolation)
            if self._imports_only:
                query = query.where(SyncItem.entity_type == "import")
            if self.probing:
                # Items a look-ahead out with QuickBooks is looking up are not even read.
                query = query.where(SyncItem.id.not_in(sorted(self.probing)))
            if after is not None:
                query = query.where(
                    or_(SyncItem.rank > after[0], (SyncItem.rank == after[0]) & (SyncItem.id > after[1]))
                )
            if not self.dry_run and session.bind is not None and session.bind.dialect.name == "postgresql":
                # Two server processes never hand out the same item (a dry run hands out none).
                query = query.with_for_update(skip_locked=True)
            page_rows = list(session.scalars(query, {"now": now, "page": page}))
            rows = [item for item in page_rows if self._known_kind(item)]
            prefetch(session, rows)
            self._prefetch_pending(rows)
            yield from rows
            if len(page_rows) < page:
                return
            after = (page_rows[-1].rank, page_rows[-1].id)

    def _known_kind(self, item: SyncItem) -> bool:
        """An item of a kind this JobDesk cannot sync (written by a newer version, or a damaged
        file) is set aside with an alert saying so; the rest of the queue goes on."""
        if item.entity_type in kinds.registered():
            return True
        if self.dry_run:
            self.to_settle = True  # a session raises its alert: a person must hear of it
            return False
        label = label_of(self.session, item.entity_type, item.entity_id)
        raise_alert(
            self.session,
            item,
            kind="unknown_kind",
            label=label,
            message=(
                f"{label} cannot be sent to QuickBooks: this version of JobDesk does not know records "
                f"of the kind “{item.entity_type}” (the queue item may come from a newer JobDesk on "
                "another computer). Update JobDesk here, then retry; or dismiss it."
            ),
            tried="Nothing was sent; everything else in the queue went on.",
            resolutions=("retry", "dismiss"),
        )
        return False

    # -- waiting -----------------------------------------------------------------------------

    def _nothing_to_undo(self, item: SyncItem) -> bool:
        """A void or delete of a record that is not in QuickBooks and never will be (nothing of
        it is queued or on its way, e.g. its Add was refused and it was voided meanwhile) is
        finished here: waiting for its link would wait forever."""
        if item.action not in (Action.VOID, Action.DELETE) or item.entity_id is None:
            return False
        record = (item.entity_type, item.entity_id)
        if m.link_of(self.session, *record) is not None or self._pending_of(record) is not None:
            return False
        if fate_unknown(self.session, *record):
            # Its last Add may be in QuickBooks (its lookup was dismissed after the void was
            # saved): looked up again first, and the void follows what that finds.
            if self.dry_run:
                return True  # (a session has something to do: queue that lookup)
            enqueue_in(self.session, *record, urgent=True, changed=False, undoing=True)
            self._pending.pop(record, None)
            self._queued_dependency = True  # (walked again: the lookup goes in this batch)
            return False
        if not self.dry_run:
            finish(item, "Never reached QuickBooks: nothing there to undo.")
        return True

    def _blocked(self, item: SyncItem) -> _Wait | None:
        """What the item must wait for; None when it can go now."""
        session = self.session
        if item.entity_id is not None and (item.entity_type, item.entity_id) in self._undecided:
            held = _Pending(QueueState.QUEUED, MATCH_NOTE, delayed=True)
            return _Wait((item.entity_type, item.entity_id), held, for_person=True)
        if item.action in (Action.VOID, Action.DELETE):
            assert item.entity_id is not None
            if m.link_of(session, item.entity_type, item.entity_id) is None:
                return _Wait((item.entity_type, item.entity_id), None, for_person=False)
            return self._goes_after(item)
        lists, txns = self._dependencies(item)
        for dep in lists + txns:
            if m.link_of(session, dep[0], dep[1]) is not None:
                continue
            if dep in lists and dep in self._in_batch:
                self._after_batch_adds.add(item.id)
                continue
            pending = self._pending_of(dep)
            if pending is None and dep in self._undecided:
                # Queued so the queue shows it, held there until a person decides.
                if not self.dry_run:
                    held_item = enqueue_in(session, dep[0], dep[1])
                    held_item.note = MATCH_NOTE
                    held_item.next_attempt_at = datetime.now(UTC) + WAIT_FOR_PERSON
                pending = self._pending[dep] = _Pending(QueueState.QUEUED, MATCH_NOTE, delayed=True)
            elif pending is None and not self.dry_run:
                enqueue_in(session, dep[0], dep[1])
                self._pending[dep] = _Pending(QueueState.QUEUED, "")
                self._queued_dependency = True
            if self.dry_run and (pending is None or not pending.waits_for_person):
                return None  # it (and then this item) will go in this session
            # What waits for a person makes what depends on it wait too (and not count as work).
            for_person = pending is not None and pending.waits_for_person
            return _Wait(dep, pending, for_person)
        return self._goes_after(item)

    def _goes_after(self, item: SyncItem) -> _Wait | None:
        """A change that QuickBooks takes only after another record's queued change (a credit
        lowered once unapplied: ``SyncKind.goes_after``) waits for that change's answer, also
        when it goes in this same message: were it refused there (a stale EditSequence …),
        QuickBooks would refuse this one too, and a person would have to step in."""
        for dep in kinds.of(item.entity_type).goes_after(self.session, item):
            if dep in self._settled_records:
                continue
            pending = self._pending_of(dep) or self._deletion_pending(dep)
            if pending is None:
                continue
            if self.dry_run and not pending.waits_for_person:
                return None  # it (and then this item) will go in this session
            return _Wait(dep, pending, pending.waits_for_person)
        return None

    def _deletion_pending(self, dep: Dep) -> _Pending | None:
        """The record's own deletion still to reach QuickBooks (a payment's: a credit applied
        where it was waits for it), if any."""
        row = self.session.execute(
            select(SyncItem.state, SyncItem.note)
            .where(
                SyncItem.entity_type == dep[0],
                SyncItem.entity_id == dep[1],
                SyncItem.action == Action.DELETE,
                SyncItem.state.in_(PENDING),
            )
            .limit(1)
        ).first()
        return None if row is None else _Pending(row.state, row.note)

    def _dependencies(self, item: SyncItem) -> tuple[list[Dep], list[Dep]]:
        if item.id not in self._deps:
            self._deps[item.id] = plan.dependencies(self.session, item)
        return self._deps[item.id]

    def _prefetch_pending(self, items: list[SyncItem]) -> None:
        """The queue items of a page's missing dependencies, in one query per kind of record."""
        missing: dict[str, set[int]] = {}
        for item in items:
            if item.action in (Action.VOID, Action.DELETE) or item.entity_type == "import":
                continue
            lists, txns = self._dependencies(item)
            for dep in lists + txns:
                if dep not in self._pending and m.link_of(self.session, dep[0], dep[1]) is None:
                    missing.setdefault(dep[0], set()).add(dep[1])
        for kind, ids in missing.items():
            self._load_pending(kind, ids)

    def _load_pending(self, kind: str, ids: set[int]) -> None:
        """Note each record's own pending queue item (or that it has none), 500 ids a query."""
        ordered = sorted(ids)
        found: dict[int, _Pending] = {}
        now = datetime.now(UTC)
        for start in range(0, len(ordered), 500):
            for row in self.session.execute(
                select(SyncItem.entity_id, SyncItem.state, SyncItem.note, SyncItem.next_attempt_at).where(
                    SyncItem.entity_type == kind,
                    SyncItem.entity_id.in_(ordered[start : start + 500]),
                    SyncItem.action == Action.UPSERT,
                    SyncItem.state.in_(PENDING),
                )
            ):
                later = row.next_attempt_at
                if later is not None and later.tzinfo is None:
                    later = later.replace(tzinfo=UTC)
                delayed = row.state == QueueState.QUEUED and later is not None and later > now
                found[row.entity_id] = _Pending(row.state, row.note, delayed)
        for record_id in ordered:
            if (kind, record_id) in self._undecided and record_id in found:
                # It will not go before a person decides, so neither will what needs it.
                found[record_id] = _Pending(found[record_id].state, MATCH_NOTE, delayed=True)
            self._pending[(kind, record_id)] = found.get(record_id)

    def _pending_of(self, dep: Dep) -> _Pending | None:
        """The dependency's own queue item, if any (looked up once per batch)."""
        if dep not in self._pending:
            self._load_pending(dep[0], {dep[1]})
        return self._pending[dep]

    def _write_wait(self, item: SyncItem, wait: _Wait) -> None:
        session = self.session
        dep = wait.dependency
        if (item.entity_type, item.entity_id) == dep and wait.for_person and wait.pending is not None:
            item.next_attempt_at = datetime.now(UTC) + WAIT_FOR_PERSON
            note = wait.pending.note
        elif (item.entity_type, item.entity_id) == dep:
            note = "Waiting until the record itself has reached QuickBooks."
        else:
            waits_for = json.dumps([list(dep)])
            if item.depends_on != waits_for:
                item.depends_on = waits_for
            label = label_of(session, dep[0], dep[1])
            if wait.for_person:
                # Nothing will change until a person acts on the dependency; look again later
                # (resolving an alert wakes every waiting item at once).
                item.next_attempt_at = datetime.now(UTC) + WAIT_FOR_PERSON
                why = "" if wait.pending is None else wait.pending.note
                pending = wait.pending
                if pending is None or pending.state in NEEDS_ATTENTION or pending.note == MATCH_NOTE:
                    note = f"Waiting for {label}, which needs attention: {why}"
                else:
                    # Not due yet (a lock in QuickBooks, a retry time …): its note says why.
                    note = f"Waiting for {label}, which cannot go yet: {why}"
            else:
                note = f"Waiting for {label} to reach QuickBooks first."
        if item.note != note:
            item.note = note
