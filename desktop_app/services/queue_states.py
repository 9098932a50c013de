"""The states and phases of a QuickBooks queue item, and the functions that move an item between states.

A work item moves queued → sent → done, or to attention (a person must act) / error /
cancelled. The states are ``StrEnum`` members, equal to the text the database holds, so
``SyncItem.state == QueueState.DONE`` and the stored ``"done"`` are one and the same.

Who changes a state: the functions below (the engine's answer handling, alerts, the sync
centre's resolutions, the queue service); the engine's two bulk statements (marking a
batch sent, ``engine``) and the fast path's statements (``fast_apply``) write the same
values with SQL, as these functions would one item at a time.

The sets of states, defined once:

* ``PENDING``: not finished with: still to reach QuickBooks (waiting, in flight, or
  waiting for a person). A record has at most one pending item per action.
* ``UNSENT``: pending and not in flight: the item holds its record's ``pending_key``,
  and the sync centre can preview or resend it.
* ``MOVING``: the engine takes it further by itself (queued or sent); nobody has to act.
* ``NEEDS_ATTENTION``: waiting for a person (an alert says why).
* ``FINISHED``: answered for this session: done, or waiting for a person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.record_kinds import KINDS


class QueueState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DONE = "done"
    ATTENTION = "attention"
    ERROR = "error"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """What an item sends next (``SyncItem.phase``), one request each; see ``qbwc_server.sync.plan``."""

    #: First try: an Add when the record has no link, a Mod when it has one.
    FIRST = ""
    #: InvoiceQuery by RefNumber before an InvoiceAdd (QuickBooks allows duplicate numbers).
    CHECK = "check"
    #: A previous Add's answer was lost: look the record up before adding again.
    VERIFY = "verify"
    #: A lost Add that may have made only links (a credit applied, ``SyncKind.links_only``) and
    #: whose record a VERIFY did not find: read the links QuickBooks made before adding again.
    LINKS = "links"
    #: An Add got 3100 (name in use): look at the existing record to link to it.
    CLAIM = "claim"
    #: A Mod got 3200 (stale EditSequence): re-read the record, then Mod again.
    REFRESH = "refresh"
    ADD = "add"
    MOD = "mod"
    VOID = "void"
    DELETE = "delete"
    IMPORT = "import"
    PULL = "pull"
    #: Delete the second copy QuickBooks made of a record (``qb_target``).
    #: Deleting a second QuickBooks copy (its action is "delete_duplicate"; a phase is 12 at most).
    DELETE_DUPLICATE = "duplicate"


class Action(StrEnum):
    """What a queue item is for (``SyncItem.action``); imports name their list (``import_<list>``)."""

    #: Add the record, or change it where it is linked (decided when the request is built).
    UPSERT = "upsert"
    VOID = "void"
    DELETE = "delete"
    #: Delete the second copy QuickBooks made of a record (``SyncItem.qb_target``).
    DELETE_DUPLICATE = "delete_duplicate"
    PULL_PAYMENTS = "pull_payments"


# Tuples, not sets: they go into SQL ``IN`` lists, which should read the same every time.
PENDING: tuple[QueueState, ...] = (QueueState.QUEUED, QueueState.SENT, QueueState.ATTENTION, QueueState.ERROR)
UNSENT: tuple[QueueState, ...] = (QueueState.QUEUED, QueueState.ATTENTION, QueueState.ERROR)
MOVING: tuple[QueueState, ...] = (QueueState.QUEUED, QueueState.SENT)
NEEDS_ATTENTION: tuple[QueueState, ...] = (QueueState.ATTENTION, QueueState.ERROR)
FINISHED: tuple[QueueState, ...] = (QueueState.DONE, QueueState.ATTENTION, QueueState.ERROR)


def now() -> datetime:
    return datetime.now(UTC)


def pending_key(entity_type: str, entity_id: int | None, action: str) -> str:
    """The key only a record's one pending item (per action) holds: unique in the database."""
    return f"{entity_type}:{entity_id if entity_id is not None else '-'}:{action}"


#: The phases in which an item looks its record up after a lost answer (its Add may be there).
LOOKS_UP: tuple[Phase, ...] = (Phase.VERIFY, Phase.LINKS)
#: The note of a newer item merged into an older one of the same record (``claim_pending_key``).
MERGED_NOTE = "Merged into queue item {}."
#: The note of an item dismissed while it was to be looked up, whose lookup a newer item
#: (queued so that a void or deletion follows it) makes again (``looks_up_first``).
LOOKED_UP_AGAIN_NOTE = "Looked up again by queue item {}."
#: Found in QuickBooks after a lost answer, with a change saved here since (``merged_into``).
CHANGED_SINCE = "Found in QuickBooks after a lost answer, not added again; the change saved since goes now."


def merged_into(session: Session, item: SyncItem) -> bool:
    """Whether a newer item of the record (a change saved while this one was out) was merged
    into this one: found in QuickBooks after a lost answer, the record then still has that
    change to receive."""
    return _cancelled_into(session, item, MERGED_NOTE)


def _cancelled_into(session: Session, item: SyncItem, note: str) -> bool:
    """Whether an item of the record was cancelled with ``note`` naming this one."""
    found = session.scalar(
        select(SyncItem.id)
        .where(
            SyncItem.entity_type == item.entity_type,
            SyncItem.entity_id == item.entity_id,
            SyncItem.state == QueueState.CANCELLED,
            SyncItem.note == note.format(item.id),
        )
        .limit(1)
    )
    return found is not None


def finish_found(session: Session, item: SyncItem, note: str) -> None:
    """Found in QuickBooks by a lookup and linked: done, unless it was looked up after a lost
    answer and a change saved since was merged into it (``merged_into``), which goes now
    (not when the record is to be voided or deleted there next: nothing to change first)."""
    if item.phase in LOOKS_UP and merged_into(session, item) and not undone_next(session, item):
        requeue(item, Phase.FIRST, CHANGED_SINCE)
    else:
        finish(item, note)


def undone_next(session: Session, item: SyncItem, *, elsewhere: bool = False) -> bool:
    """Whether the item's record has a void or deletion pending (queued, out or waiting); with
    ``elsewhere``, the void of the record that undoes it instead (``RecordKind.undone_by_void_of``:
    a credit applied, by its credit memo's void), False if there is none."""
    kind = item.entity_type
    if elsewhere:
        kind = KINDS[kind].undone_by_void_of if kind in KINDS else ""
        if not kind:
            return False
    found = session.scalar(
        select(SyncItem.id)
        .where(
            SyncItem.entity_type == kind,
            SyncItem.entity_id == item.entity_id,
            SyncItem.action.in_((Action.VOID, Action.DELETE)),
            SyncItem.state.in_(PENDING),
        )
        .limit(1)
    )
    return found is not None


def claim_pending_key(session: Session, item: SyncItem) -> None:
    """Make the item the record's one pending item again (so a re-queue finds it, not a twin).

    A newer item queued for the same record meanwhile is merged into this one: this one
    knows what was already sent.
    """
    key = pending_key(item.entity_type, item.entity_id, item.action)
    if item.pending_key == key:
        return
    # The twin, if any, is another (committed) row: no flush is needed to find it.
    twin = session.scalar(select(SyncItem).where(SyncItem.pending_key == key))
    if twin is not None and twin.id != item.id:
        cancel(twin, MERGED_NOTE.format(item.id))
        session.flush()
    item.pending_key = key


def finish(item: SyncItem, note: str = "") -> None:
    """Done: QuickBooks has what the item was for."""
    item.isolation = None
    item.state = QueueState.DONE
    item.pending_key = None
    item.done_at = now()
    item.note = note


def requeue(item: SyncItem, phase: str, note: str = "", *, delay: timedelta | None = None) -> None:
    """Back to the queue for its next step (restoring its place as the record's one item)."""
    session = object_session(item)
    if session is None:
        raise ValueError("a queue item is requeued inside the session that loaded it")
    claim_pending_key(session, item)
    item.state = QueueState.QUEUED
    item.phase = phase
    item.note = note
    item.next_attempt_at = now() + delay if delay else None


def needs_attention(session: Session, item: SyncItem, note: str) -> None:
    """Waiting for a person (an alert says why); it stays the record's one pending item."""
    item.state = QueueState.ATTENTION
    item.isolation = None
    item.note = note
    claim_pending_key(session, item)


def back_to_queue(session: Session, item: SyncItem, phase: str) -> None:
    """A person decided (retry, send anyway …): queued again, urgently, counted afresh."""
    claim_pending_key(session, item)
    item.state = QueueState.QUEUED
    item.phase = phase
    item.next_attempt_at = None
    # A person acted: whole-message refusals are counted afresh, and it goes with the rest.
    item.message_failures = 0
    item.readded_references = ""
    item.restarted_in = ""
    item.isolation = None
    item.urgent = True
    item.note = "Queued again after a person's decision."
    if item.entity_type == "import":
        item.iterator_id = ""  # read from the first page: where QuickBooks was is not known


def cancel(item: SyncItem, note: str) -> None:
    """Out of the queue; the record may be queued afresh (its pending key is free)."""
    item.state = QueueState.CANCELLED
    item.pending_key = None
    item.isolation = None
    item.note = note


def reopen(session: Session, item: SyncItem, note: str, *, phase: str | None = None) -> None:
    """A cancelled item waits for a person again (a dismissal undone), in ``phase`` when given.

    It takes its record's pending key back only if no newer item holds it.
    """
    key = pending_key(item.entity_type, item.entity_id, item.action)
    if session.scalar(select(SyncItem.id).where(SyncItem.pending_key == key)) is None:
        item.pending_key = key
    item.state = QueueState.ATTENTION
    item.note = note
    if phase is not None:
        item.phase = phase


def look_first(item: SyncItem) -> None:
    """An Add QuickBooks may have saved (its answer could not be used): whatever happens to
    it next, it is looked up in QuickBooks before it is sent again (exactly once)."""
    if item.phase == Phase.ADD:
        item.phase = Phase.VERIFY


def goes_on_linked(item: SyncItem, note: str) -> None:
    """A queued item whose record was linked meanwhile (a late answer): it goes on as a change
    of the linked record, compared with what QuickBooks has, not as an Add."""
    item.phase = Phase.FIRST
    item.note = note


def changed_while_looked_up(session: Session, item: SyncItem) -> None:
    """A person saved a change to the record while its item waits to look it up after a
    lost answer (VERIFY, LINKS: queued again, or waiting for a person). The item keeps its
    place and looks first; the change is noted as a newer item merged into it (a cancelled
    row, ``merged_into``), so once the record is found in QuickBooks the change still goes
    (``finish_found``) instead of the item ending there."""
    if item.phase not in LOOKS_UP or merged_into(session, item):
        return
    session.add(
        SyncItem(
            entity_type=item.entity_type,
            entity_id=item.entity_id,
            action=item.action,
            state=QueueState.CANCELLED,
            pending_key=None,
            rank=item.rank,
            note=MERGED_NOTE.format(item.id),
        )
    )


def looks_up_first(item: SyncItem, earlier: SyncItem, *, changed: bool = True) -> None:
    """A new item (saved, with its id) of a record whose last Add may be in QuickBooks: the
    ``earlier`` item was dismissed while it was to be looked up. This one looks the record up
    first, knowing what that Add sent. ``changed``: it was queued for a change, and the
    earlier one counts as merged into it (``merged_into``), so once the record is found that
    change goes; else (queued only so that a void or deletion follows what the lookup finds)
    the item ends once the record is found."""
    item.phase = Phase.VERIFY
    item.sent_context = earlier.sent_context
    earlier.note = (MERGED_NOTE if changed else LOOKED_UP_AGAIN_NOTE).format(item.id)


def looked_up_for_undo(session: Session, item: SyncItem) -> bool:
    """Whether the item makes again the lookup of a dismissed one so that a void or deletion
    can follow it (``looks_up_first`` with ``changed`` False)."""
    return _cancelled_into(session, item, LOOKED_UP_AGAIN_NOTE)


def taken_over(item: SyncItem) -> int | None:
    """The newer item a cancelled one was merged into, or whose lookup took its place (its
    work goes on there): that item's id; None for any other."""
    if item.state != QueueState.CANCELLED:
        return None
    for note in (MERGED_NOTE, LOOKED_UP_AGAIN_NOTE):
        prefix, _, suffix = note.partition("{}")
        if item.note.startswith(prefix) and item.note.endswith(suffix):
            number = item.note[len(prefix) : len(item.note) - len(suffix)]
            if number.isdigit():
                return int(number)
    return None


def answer_came_late(item: SyncItem, phase: str) -> None:
    """A recovered item not yet sent again takes the answer to its last attempt as if it had
    come in time: it is "sent" in that attempt's phase again, for the answer to be applied."""
    item.state = QueueState.SENT
    item.phase = phase


def queue_again(item: SyncItem) -> None:
    """A record already pending is queued again afresh (a person fixed it, or asked again)."""
    item.state = QueueState.QUEUED
    item.next_attempt_at = None
    item.note = ""
    item.message_failures = 0
    item.readded_references = ""
    item.restarted_in = ""
