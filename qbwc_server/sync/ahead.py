"""The next message, planned while QuickBooks works on the last one (issue 18, Speed).

The Web Connector hands a message to QuickBooks, waits for the answer, brings it to
``receiveResponseXML`` and asks for the next message at once. Planning that next message
(reading the queue, building its requests, marking its items sent) used to start only
then, while the Web Connector waited. With the look-ahead the server plans it as soon as
the last message is handed out, during the time QuickBooks takes to answer; the
answer to the last message is then applied on the same thread, just before the one
after is planned: ``receiveResponseXML`` only keeps it (``Held``; read then too, unless
that planning is already over) and says how far the session is, when a message planned
ahead is waiting (so the session surely goes on); otherwise it applies the answer before
it returns, as before. The session row's
bookkeeping rides along (``Held.also``, and the message planned next): the callbacks
write nothing, and so never wait for the write lock the planning thread holds.

(Applying the answer as soon as it comes, on the planning thread, was measured slower:
it then runs during the HTTP exchange, which needs the same interpreter lock.)

What keeps this exactly-once:

* A message planned ahead is written as any batch is (its items ``sent``, each with its
  exact request) before it is handed out, so everything that protects an item in flight
  protects it: a record with an item out gets no second one in a message, a record that
  needs one still on its way waits for its answer (``planner``), an edit made meanwhile
  goes afterwards as a change of its own.
* It never holds what depends on the message QuickBooks is working on: those items are
  in flight, so the planner makes what needs them wait, and they go a message later.
* An answer held back is applied on the planning thread as soon as the next message is
  handed out, before the one after is planned: the planner sees what it sees planning in
  turn (every answer but that of the message QuickBooks has). Anything else the session
  does first applies what is held (``SyncEngine._settle``), and an answer the planning
  thread could not apply is applied again then, so a failure is reported as it always
  was. If the server stops first, its items are ``sent`` with no answer: looked up.
* A message planned but never handed out (the session ended first) is put back exactly
  as it was (``release``): nothing of it reached QuickBooks, so nothing is looked up.
  If the server stops before it can do that, its items are ``sent`` with no answer and
  are looked up in QuickBooks before they go again, as after any lost answer.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.services.queue_states import Action, Phase, QueueState, cancel, requeue
from qbwc_server import qbxml as q
from qbwc_server.sync import reads


class Before(NamedTuple):
    """What marking an item sent changed, as it was: put back if the message never goes.
    (A tuple: one is made for every item of every message, and a frozen dataclass's
    ``__init__`` costs several times a tuple's.)"""

    item_id: int
    request_id: str  # the request it was planned with (it is put back only if still that)
    phase: str
    attempts: int
    note: str
    batch_id: int | None
    last_request_id: str | None
    request_xml: str
    response_xml: str
    sent_at: datetime | None
    sent_context: str


@dataclass
class Prepared:
    """A message planned ahead: its text ("" when nothing could go yet) and how to undo it."""

    message: str
    batch_id: int | None = None
    before: list[Before] = field(default_factory=list)
    #: Requests of the look-ahead of invoice numbers it carries (``probes``).
    probe_ids: tuple[str, ...] = ()
    #: As many requests as a message holds: more is likely waiting (progress need not look).
    full: bool = False

    @property
    def items(self) -> int:
        return len(self.before)


@dataclass(frozen=True)
class Held:
    """QuickBooks' answer to a message, not yet applied."""

    response_xml: str
    #: What it says, read (None: read when it is applied, on the planning thread).
    results: Mapping[str, q.Result] | None
    #: The batch it answers (QuickBooks' message when it came in).
    batch_id: int | None
    #: The caller's own bookkeeping (the Web Connector session's row), written in the same
    #: transaction as the answer.
    also: Callable[[UnitOfWork], None] | None = None


class Planning:
    """The messages being planned ahead, one per session, on one thread of their own."""

    def __init__(self) -> None:
        self._next: dict[str, Future[Prepared]] = {}
        self._thread: ThreadPoolExecutor | None = None
        #: Stopped (the server stopped): nothing is planned ahead until a session starts.
        self._stopped = False
        self._lock = threading.Lock()
        #: Per session: answers kept and not yet applied, oldest first.
        self._held: dict[str, list[Held]] = {}

    def start(self, ticket: str, plan: Callable[[], Prepared]) -> bool:
        """Plan the session's next message now, in the background (``plan`` never raises);
        False when it is not started. Once stopped, not at all: a callback still running while
        the server stops must not plan a message nobody will ask for (its items would be
        looked up in QuickBooks)."""
        with self._lock:
            if self._stopped:
                return False
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobdesk-ahead")
            self._next[ticket] = self._thread.submit(plan)
            return True

    def result(self, ticket: str, *, take: bool) -> Prepared | None:
        """The session's message planned ahead, once its planning is over (None: none).
        ``take``: it is handed out or put back, and no longer the session's."""
        future = self._next.pop(ticket, None) if take else self._next.get(ticket)
        return None if future is None else future.result()

    def planned(self, ticket: str) -> bool:
        """Whether the session's next message is planned, with items, and waiting (its
        planning over): an answer then is held (``waiting`` counts the same items)."""
        future = self._next.get(ticket)
        if future is None or not future.done():
            return False
        prepared = future.result()
        return bool(prepared.message) and prepared.items > 0

    def waiting(self, ticket: str) -> int:
        """Items of the session's message planned ahead (not finished: waiting their turn),
        once every planning is over (another session's too: an answer is applied alone)."""
        for future in list(self._next.values()):
            future.result()
        prepared = self.result(ticket, take=False)
        return prepared.items if prepared is not None and prepared.message else 0

    def tickets(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys([*self._next, *self._held]))

    def hold(self, ticket: str, answer: Held, *, again: bool = False) -> bool:
        """Keep an answer to apply later (``unhold``), after any held before it; False when
        it is not kept: the server is stopping, and nobody might apply it (``again``: one
        taken back after a failure to apply it, kept even then for whoever winds the
        session up)."""
        with self._lock:
            if self._stopped and not again:
                return False
            self._held.setdefault(ticket, []).append(answer)
            return True

    def unhold(self, ticket: str) -> list[Held]:
        """The session's held answers, oldest first; they are no longer held."""
        with self._lock:
            return self._held.pop(ticket, [])

    def stop(self) -> None:
        """The planning thread ends (what it was doing first); nothing is planned ahead any
        more until ``reopen`` (a new session)."""
        with self._lock:
            self._stopped = True
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True)

    def reopen(self) -> None:
        """A session starts: planning ahead may start again (on a thread of its own)."""
        with self._lock:
            self._stopped = False


#: The columns ``Before`` keeps, read for a batch's items just before they are marked sent.
_BEFORE = select(
    SyncItem.id,
    SyncItem.phase,
    SyncItem.attempts,
    SyncItem.note,
    SyncItem.batch_id,
    SyncItem.request_id,
    SyncItem.request_xml,
    SyncItem.response_xml,
    SyncItem.sent_at,
    SyncItem.sent_context,
)
#: Items read at most in one statement (``capture``): a power of two (``_slots``).
CAPTURE_CHUNK = 512


@functools.cache
def _before_of(count: int) -> Select[*tuple[Any, ...]]:
    """``_BEFORE`` of up to ``count`` items named one by one (``id_0`` …), so that it runs on
    SQLite's own connection (``reads``: an IN list given anew on each run cannot); built once
    for each power of two (``_slots``): a few statements, whatever the batches' sizes."""
    return _BEFORE.where(SyncItem.id.in_([bindparam(f"id_{n}", type_=Integer()) for n in range(count)]))


def _slots(count: int) -> int:
    """The statement's size for ``count`` items: the power of two at or above it."""
    return 1 << max(0, count - 1).bit_length()


def capture(session: Session, planned: dict[int, str]) -> list[Before]:
    """``Before`` of each item about to be marked sent (item id → the request planned for it)."""
    ids = sorted(planned)
    found: list[Before] = []
    for start in range(0, len(ids), CAPTURE_CHUNK):
        chunk = ids[start : start + CAPTURE_CHUNK]
        slots = _slots(len(chunk))
        # (the slots past the chunk name its last item again: the same rows are read)
        values = {f"id_{n}": chunk[min(n, len(chunk) - 1)] for n in range(slots)}
        for item_id, *was in reads.rows(session, _before_of(slots), values):
            # (the columns read are ``Before``'s fields after its first two, in order)
            found.append(Before(item_id, planned[item_id], *was))
    return found


def release(session: Session, prepared: Prepared) -> int:
    """Put a message that was never handed out back as it was; returns the items put back.

    An item is put back only while it is still ``sent`` under the request planned for it
    (nothing else can have answered it, but nothing is assumed either). A newer item queued
    for the same record meanwhile merges into it, as when any item goes back to the queue.
    """
    before = {one.item_id: one for one in prepared.before}
    back: list[SyncItem] = []
    for item in session.scalars(
        select(SyncItem).where(SyncItem.id.in_(list(before)), SyncItem.state == QueueState.SENT)
    ):
        was = before[item.id]
        if item.request_id != was.request_id:
            continue
        requeue(item, was.phase)
        item.note = was.note
        item.attempts = was.attempts
        item.batch_id = was.batch_id
        item.request_id = was.last_request_id
        item.request_xml = was.request_xml
        item.response_xml = was.response_xml
        item.sent_at = was.sent_at
        item.sent_context = was.sent_context
        back.append(item)
    session.flush()
    for item in back:
        _undone_meanwhile(session, item)
    if prepared.batch_id is not None:
        # The batch never went: no trace of it is left in the history (unless something
        # of it was kept, which the count below rules out).
        left = session.scalar(
            select(func.count()).select_from(SyncItem).where(SyncItem.batch_id == prepared.batch_id)
        )
        if not left:
            session.execute(delete(SyncBatch).where(SyncBatch.id == prepared.batch_id))
    return len(back)


def _undone_meanwhile(session: Session, item: SyncItem) -> None:
    """A record voided or deleted while its Add waited in the message: as its item was
    "sent", a void or delete was queued to follow it. Nothing of it reached QuickBooks,
    so both go, as when it is voided or deleted while its Add is queued."""
    if item.action != Action.UPSERT or item.entity_id is None:
        return
    if item.phase not in (Phase.FIRST, Phase.CHECK, Phase.ADD):
        return  # a lookup after a lost answer (verify …): the record may be in QuickBooks
    record = (QbLink.entity_type == item.entity_type, QbLink.entity_id == item.entity_id)
    if session.scalar(select(QbLink.id).where(*record)) is not None:
        return  # in QuickBooks already: the item was a change, and the void or delete goes
    undo = list(
        session.scalars(
            select(SyncItem).where(
                SyncItem.entity_type == item.entity_type,
                SyncItem.entity_id == item.entity_id,
                SyncItem.action.in_((Action.VOID, Action.DELETE)),
                SyncItem.state == QueueState.QUEUED,
            )
        )
    )
    if not undo:
        return
    cancel(item, "Cancelled: voided or deleted here before it reached QuickBooks.")
    for other in undo:
        cancel(other, "Cancelled: the record never reached QuickBooks, so there is nothing to undo there.")
    session.flush()
