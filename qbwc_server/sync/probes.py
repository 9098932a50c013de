"""Looking invoice numbers up one message ahead, without a step of their own in the queue.

An invoice's number is looked up in QuickBooks before its first Add (``check``). Done as
a step of its queue item, every new invoice is planned, sent, answered and written twice.
Here, each message also carries one grouped lookup (``SyncKind.group_lookup``) of the
numbers of the next queued invoices, those after the last item the message sends; the
items themselves are not touched. When the answer comes:

* a number QuickBooks does not have is remembered as free, for the next message only:
  the planner then builds that invoice's Add at once (``SyncKind.build``'s
  ``checked_key``). Between the lookup and the Add there is one round trip, as there is
  between a ``check`` step and its Add (two when the next message is planned ahead,
  ``ahead``: the one planned while the lookup was out skips those invoices);
* a number QuickBooks has stops its invoice with the number-conflict alert, exactly as a
  ``check`` step finding it does (``SyncKind.on_lookup``).

Anything else (an error, a lost answer, an invoice renumbered or already sent meanwhile, a
restart) leaves the invoices to their ``check`` step as before: the look-ahead only ever
saves work, it never decides differently.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Integer, Row, Select, bindparam, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.types import UTCDateTime
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import DatabaseUnavailable
from desktop_app.services.queue_states import Action, Phase, QueueState, now
from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.sync import kinds, reads
from qbwc_server.sync.check_groups import GROUP_MAX
from qbwc_server.sync.kinds import SyncKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """One look-ahead lookup: its requestID, the request, and (item id, key) of each number."""

    request_id: str
    element: q.Request
    kind: str
    keys: tuple[tuple[int, str], ...]


@dataclass
class Probes:
    """A session's look-ahead: the lookups out, and the numbers found free by the last answer."""

    out: dict[str, Probe] = field(default_factory=dict)
    #: Items a look-ahead could not answer for (QuickBooks refused it): they look their key
    #: up in a step of their own from now on, which handles the refusal as any answer.
    refused: set[int] = field(default_factory=set)
    #: Item id → the key QuickBooks did not have, as of the last message's answer: good for
    #: the next message only.
    free: dict[int, str] = field(default_factory=dict)
    _answered: dict[int, str] = field(default_factory=dict)

    def take_in(self, session: Session, uow: UnitOfWork, answers: dict[str, q.Result]) -> None:
        """Take in a message's look-ahead answers (after its other answers are committed); a
        failure costs only the look-ahead (each invoice then looks its number up in its own
        step), never the message's other answers. (A message without any leaves its other
        answers to the message's own commit: one commit fewer a message.)"""
        if answers:
            uow.commit()
        for request_id, result in answers.items():
            try:
                self.answered(session, request_id, result)
                uow.commit()
            except (DatabaseUnavailable, OperationalError):
                session.rollback()
                raise
            except Exception:
                session.rollback()
                log.exception("the look-ahead of invoice numbers could not be used")
        self.message_answered()

    def message_answered(self) -> None:
        """A message's answers are applied: what its look-ahead found free is good for the next
        message, and nothing older is."""
        self.free, self._answered = self._answered, {}

    def forget(self, batch_id: int | None = None) -> None:
        """A message went unanswered or was refused whole: nothing found before is fresh, and
        its lookups (all those out, or those of batch ``batch_id``) will not be answered."""
        for request_id, probe in list(self.out.items()):
            if batch_id is None or request_id.startswith(f"p{batch_id}-"):
                self.refused.update(item_id for item_id, _key in probe.keys)
                del self.out[request_id]
        self.free, self._answered = {}, {}

    def drop(self, request_ids: Iterable[str]) -> None:
        """Lookups of a message that never went (planned ahead, then put back): not refused,
        just not out."""
        for request_id in request_ids:
            self.out.pop(request_id, None)

    def items_out(self) -> frozenset[int]:
        """Items whose key a lookup out with QuickBooks is looking up: they wait for its answer
        (a message planned ahead neither looks them up again nor sends them)."""
        # A copy first (one step under the GIL): the server stopping puts a planned message
        # back from another thread, dropping its lookups meanwhile.
        return frozenset(item_id for probe in list(self.out.values()) for item_id, _key in probe.keys)

    def wanted(self, session: Session, window: int) -> bool:
        """Whether the next message may carry a look-ahead: a first Add of a kind that looks
        its key up is among the first ``window`` items due (the message keeps a request for
        it then, and only then, so the batch size setting holds either way)."""
        registered = kinds.registered().values()
        checking = tuple(sorted(kind.name for kind in registered if kind.checks_before_adding))
        if not checking:
            return False
        values = {"now": now(), "rank": -1, "after_id": 0, "window": window}
        return reads.first(session, _any_upcoming(checking), values) is not None

    def ahead(
        self,
        session: Session,
        after: tuple[int, int],
        batch_id: int,
        taken: dict[str, list[tuple[int, str]]],
        capacity: int,
    ) -> list[Probe]:
        """Lookups of ``taken`` (kind → (item id, key): the planner's, for items it left to
        the look-ahead) and of the queued keys after ``after`` (rank, id), up to ``capacity``
        keys in requests of ``GROUP_MAX`` keys at most; [] when there are none."""
        rows: list[Row[tuple[int, str, int]]] | None = None
        for kind in kinds.registered().values():
            if not kind.checks_before_adding:
                continue
            keys = list(taken.get(kind.name, ()))[:capacity]
            if len(keys) < capacity:
                have = {item_id for item_id, _key in keys}
                if rows is None:
                    # Past what lookups still out cover (a message planned ahead: ``ahead``).
                    rows = _upcoming_first_adds(session, after, capacity + len(self.items_out()))
                upcoming = _keys_of(session, kind, rows)
                out = self.items_out()
                keys += [
                    (i, k) for i, k in upcoming if i not in have and i not in self.refused and i not in out
                ]
                keys = keys[:capacity]
            if keys:
                return [
                    self._probe(kind, f"p{batch_id}-{n}", keys[start : start + GROUP_MAX])
                    for n, start in enumerate(range(0, len(keys), GROUP_MAX), start=1)
                ]
        return []

    def _probe(self, kind: SyncKind, request_id: str, keys: list[tuple[int, str]]) -> Probe:
        element = kind.group_lookup(request_id, [key for _item, key in keys])
        probe = self.out[request_id] = Probe(request_id, element, kind.name, tuple(keys))
        return probe

    def answered(self, session: Session, request_id: str, result: q.Result) -> bool:
        """Take in a look-ahead's answer (False: the requestID is not a look-ahead's)."""
        probe = self.out.pop(request_id, None)
        if probe is None:
            return False
        if result.status.is_error:
            self.refused.update(item_id for item_id, _key in probe.keys)
            return True
        kind = kinds.of(probe.kind)
        found: dict[str, list[q.Record]] = {}
        for record in result.records:
            found.setdefault((kind.found_key(record) or "").casefold(), []).append(record)
        try:
            for item_id, key in probe.keys:
                records = found.get(key.casefold())
                if records is None or not _in_use(session, kind, item_id, key, records):
                    self._answered[item_id] = key
        except Exception:
            # What it wrote is rolled back (``take_in``): each of its items
            # looks its key up in a step of its own, where an answer that cannot be used
            # becomes an alert on that one item, instead of the same look-ahead failing in
            # every message.
            self.refused.update(item_id for item_id, _key in probe.keys)
            for item_id, _key in probe.keys:
                self._answered.pop(item_id, None)
            raise
        return True


def _upcoming_statement() -> Select[tuple[int, str, int]]:
    """The queued first Adds of unlinked records among the next ``window`` items due after
    (``rank``, ``after_id``) in sending order: built once, run with each message's values."""
    upcoming = (
        select(SyncItem.id, SyncItem.entity_type, SyncItem.entity_id, SyncItem.action, SyncItem.phase)
        .where(
            SyncItem.state == QueueState.QUEUED,
            SyncItem.isolation.is_(None),
            or_(
                SyncItem.next_attempt_at.is_(None),
                SyncItem.next_attempt_at <= bindparam("now", type_=UTCDateTime()),
            ),
            or_(
                SyncItem.rank > bindparam("rank", type_=Integer()),
                (SyncItem.rank == bindparam("rank", type_=Integer()))
                & (SyncItem.id > bindparam("after_id", type_=Integer())),
            ),
        )
        .order_by(SyncItem.rank, SyncItem.id)
        .limit(bindparam("window", type_=Integer()))
        .subquery()
    )
    return (
        select(upcoming.c.id, upcoming.c.entity_type, upcoming.c.entity_id)
        .outerjoin(
            QbLink,
            (QbLink.entity_type == upcoming.c.entity_type) & (QbLink.entity_id == upcoming.c.entity_id),
        )
        .where(
            upcoming.c.action == Action.UPSERT,
            upcoming.c.phase == Phase.FIRST,
            QbLink.id.is_(None),
        )
        .order_by(upcoming.c.id)
    )


# Built once: constructing a statement of this shape costs more than running it.
_UPCOMING = _upcoming_statement()


@functools.cache
def _any_upcoming(checking: tuple[str, ...]) -> Select[tuple[int, str, int]]:
    """Whether any of them is of these kinds (``wanted``: asked every message, answered in
    SQL, on SQLite's own connection: ``reads``). The kinds are the registry's, named in the
    statement (built once for them), not a list given on each run."""
    kind = _UPCOMING.selected_columns.entity_type
    return _UPCOMING.where(or_(*(kind == name for name in checking))).order_by(None).limit(1)


def _upcoming_first_adds(
    session: Session, after: tuple[int, int], window: int
) -> list[Row[tuple[int, str, int]]]:
    """(item id, kind, record id) of the queued first Adds (unlinked, due), of every kind,
    among the ``window`` items after ``after`` (rank, id) in sending order: only those of
    a kind that looks its key up are looked up, so numbers are not looked up long before
    they go."""
    rank, item_id = after
    values = {"now": now(), "rank": rank, "after_id": item_id, "window": window}
    return list(session.execute(_UPCOMING, values).all())


def _keys_of(
    session: Session, kind: SyncKind, rows: list[Row[tuple[int, str, int]]]
) -> tuple[tuple[int, str], ...]:
    """(item id, key) of the kind's rows (of ``_upcoming_first_adds``) that can be looked up."""
    mine = [row for row in rows if row.entity_type == kind.name]
    if not mine:
        return ()
    found = kind.lookup_keys(session, [row.entity_id for row in mine])
    keys = [(row.id, found[row.entity_id]) for row in mine if found.get(row.entity_id)]
    if keys and not _sendable(kind, [key for _item, key in keys]):
        keys = [(item_id, key) for item_id, key in keys if _sendable(kind, [key])]
    return tuple(keys)


def _sendable(kind: SyncKind, keys: list[str]) -> bool:
    """A key QuickBooks would refuse (too long …) is left to its item's own step and alert."""
    try:
        preflight.check(kind.group_lookup("p", keys))
    except preflight.PreflightError:
        return False
    return True


def _in_use(session: Session, kind: SyncKind, item_id: int, key: str, records: list[q.Record]) -> bool:
    """QuickBooks has the number: its invoice waits with the alert a ``check`` step raises.
    False when none of those records stands in its way (``SyncKind.found``: e.g. the one a
    person chose to send it next to): the number is free for it, as if none was found."""
    item = session.get(SyncItem, item_id)
    if item is None or item.state != QueueState.QUEUED or item.phase != Phase.FIRST or item.entity_id is None:
        return True  # sent, changed or gone meanwhile: its own step looks again
    if (kind.lookup_key(session, item.entity_id) or "").casefold() != key.casefold():
        return True  # renumbered since: the new number is looked up in its own step
    theirs = kind.found(session, item, records)
    if not theirs:
        return False
    kind.on_lookup(session, item, theirs)
    return True
