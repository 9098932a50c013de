"""The QuickBooks queue as the app sees it: what to send, triggers, Sync now.

Everything here is database-only (no qbXML), so the GUI, the CLI and the services that
record events can use it; the engine in ``qbwc_server.sync`` turns items into qbXML.

Triggers run inside the transaction of the change that fired them (``on_event``), so a
saved change and its queue item are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from desktop_app.db.models import (
    Invoice,
    Job,
    PaymentApplication,
    QbLink,
)
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import PermissionDenied, ValidationError
from desktop_app.services import record_kinds, settings
from desktop_app.services.common import audit
from desktop_app.services.qb_links import in_quickbooks
from desktop_app.services.queue_states import (
    LOOKS_UP,
    MERGED_NOTE,
    PENDING,
    Action,
    Phase,
    QueueState,
    cancel,
    changed_while_looked_up,
    looks_up_first,
    pending_key,
    queue_again,
)

#: The kinds of record that go to QuickBooks (``record_kinds``): their order, names, models.
SYNCABLE = tuple(kind.name for kind in record_kinds.in_sending_order() if kind.sendable)


def rank_of(entity_type: str, action: str) -> int:
    """Where an item goes in sending order (a typed error for what cannot be sent)."""
    if entity_type == record_kinds.IMPORT:
        return record_kinds.PULL_RANK if action == "pull_payments" else record_kinds.IMPORT_RANK
    return record_kinds.kind_of(entity_type).rank(action)


def is_linked(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    return in_quickbooks(uow, entity_type, entity_id)


def find_pending(uow: UnitOfWork, entity_type: str, entity_id: int | None, action: str) -> SyncItem | None:
    return _find_pending(uow.session, entity_type, entity_id, action)


def _find_pending(session: Session, entity_type: str, entity_id: int | None, action: str) -> SyncItem | None:
    return session.scalar(
        select(SyncItem).where(SyncItem.pending_key == pending_key(entity_type, entity_id, action))
    )


def enqueue(
    uow: UnitOfWork,
    entity_type: str,
    entity_id: int | None,
    action: str = "upsert",
    *,
    urgent: bool = False,
    reset_attention: bool = True,
    changed: bool = True,
) -> SyncItem:
    """Queue work for a record; a record already queued keeps its one item.

    The item holds no data: the newest record is read when the batch is built.
    """
    return enqueue_in(
        uow.session,
        entity_type,
        entity_id,
        action,
        urgent=urgent,
        reset_attention=reset_attention,
        changed=changed,
    )


def enqueue_in(
    session: Session,
    entity_type: str,
    entity_id: int | None,
    action: str = "upsert",
    *,
    urgent: bool = False,
    reset_attention: bool = True,
    changed: bool = True,
    undoing: bool = False,
) -> SyncItem:
    """``enqueue`` for the sync engine, which works inside its own session.

    ``changed``: queued for a change of the record (not only asked to go, or going along
    with another): an item waiting to look the record up after a lost answer then sends it
    once the record is found (``changed_while_looked_up``). A new item of a record whose Add's
    fate is unknown (``_fate_unknown``) looks it up first and then sends what the record
    holds, unless ``undoing``: queued only so that a void or deletion follows the lookup."""
    rank = rank_of(entity_type, action)
    existing = _find_pending(session, entity_type, entity_id, action)
    if existing is not None:
        if existing.state != QueueState.QUEUED and (
            reset_attention or existing.state != QueueState.ATTENTION
        ):
            # A person fixed the record (or asked again): give it a fresh start.
            refused_lookup = existing.state == QueueState.ATTENTION and existing.phase in LOOKS_UP
            queue_again(existing)
            if refused_lookup:
                # Its lookup is asked again: the alert about the refused one has nothing left
                # to ask (refused again, a new one says so).
                for alert in session.scalars(select(Alert).where(*_open_alerts_of(existing))):
                    close_alert(UnitOfWork.joining(session), alert, ASKED_AGAIN, "Looked up again")
        if reset_attention and changed and action == Action.UPSERT:
            # A change saved while its last Add's fate is being looked up still goes once found.
            changed_while_looked_up(session, existing)
        existing.urgent = existing.urgent or urgent
        return existing
    item = SyncItem(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        state=QueueState.QUEUED,
        pending_key=pending_key(entity_type, entity_id, action),
        # Pulling payments runs last, after the session's own payments went out.
        rank=rank,
        urgent=urgent,
    )
    unknown = _fate_unknown(session, entity_type, entity_id) if action == Action.UPSERT else None
    session.add(item)
    session.flush()
    if unknown is not None:
        # Its last Add may be in QuickBooks (dismissed while it was to be looked up): this
        # one looks first too, knowing what that Add sent, so it never goes in twice.
        looks_up_first(item, unknown, changed=not undoing)
    return item


def fate_unknown(session: Session, entity_type: str, entity_id: int) -> bool:
    """Whether the record's last Add may be in QuickBooks though nothing will look it up: its
    item was dismissed while it was to be looked up, and the record is not linked."""
    return _fate_unknown(session, entity_type, entity_id) is not None


def _fate_unknown(session: Session, entity_type: str, entity_id: int | None) -> SyncItem | None:
    """The record's last add/change item, when it was cancelled (dismissed) while its Add was
    to be looked up in QuickBooks (VERIFY, LINKS) and the record is still not linked."""
    if entity_id is None:
        return None
    params = {"kind": entity_type, "id": entity_id}
    last = session.execute(_LAST_UPSERT, params).first()
    if last is None or last.state != QueueState.CANCELLED or last.phase not in LOOKS_UP:
        return None
    if session.scalar(_LINKED, params) is not None:
        return None
    return session.get(SyncItem, last.id)


# Built once (this runs for every record queued): the record's newest add/change item, and its link.
# An item cancelled as merged into another (a twin, or a change noted while a lookup waited)
# never went out on its own: the item it was merged into is the one whose Add may be there.
_LAST_UPSERT = (
    select(SyncItem.id, SyncItem.state, SyncItem.phase)
    .where(
        SyncItem.entity_type == bindparam("kind"),
        SyncItem.entity_id == bindparam("id"),
        SyncItem.action == Action.UPSERT,
        ~((SyncItem.state == QueueState.CANCELLED) & SyncItem.note.startswith(MERGED_NOTE.split("{")[0])),
    )
    .order_by(SyncItem.id.desc())
    .limit(1)
)
_LINKED = (
    select(QbLink.id)
    .where(QbLink.entity_type == bindparam("kind"), QbLink.entity_id == bindparam("id"))
    .limit(1)
)


#: An alert's resolution when its item was cancelled (the record changed so that nothing is to send).
NO_LONGER_NEEDED = "no_longer_needed"
#: An alert closed because QuickBooks' answer its item waited on came after all.
ANSWERED_LATE = "answered late"
#: An alert about a refused lookup closed because a change queued the lookup again.
ASKED_AGAIN = "asked again"
#: A void or deletion given up with the lookup it waited on (dismissed by a person).
LOOKUP_GIVEN_UP = (
    "Given up: {} dismissed the lookup it waited on. If the record is in QuickBooks, void or delete it there."
)
#: What a refused lookup's alert adds when a void or deletion of the record waits on it.
UNDO_WAITS = (
    "Its void or deletion waits for this lookup; dismissing the alert gives that up too (then void "
    "or delete the record in QuickBooks yourself if it is there)."
)


def cancel_pending(uow: UnitOfWork, entity_type: str, entity_id: int, action: str = "upsert") -> bool:
    item = find_pending(uow, entity_type, entity_id, action)
    if item is None:
        return False
    cancel(item, "Cancelled: no longer needed.")
    # Its alert (an item waiting for a person) has nothing left to decide.
    for alert in uow.session.scalars(select(Alert).where(*_open_alerts_of(item))):
        close_alert(uow, alert, NO_LONGER_NEEDED, "No longer needed")
    return True


def _open_alerts_of(item: SyncItem) -> tuple[ColumnElement[bool], ...]:
    """The item's open alerts (not the "sync is stuck" alert, which names the item only as
    the head of the queue)."""
    return (Alert.sync_item_id == item.id, Alert.state == "open", Alert.kind != "stuck")


def close_alert(uow: UnitOfWork, alert: Alert, resolution: str, label: str) -> None:
    """An alert closed, by a person's choice in the sync centre or by what they did to its
    record (``label`` says which, in words); the audit trail says who, when and why."""
    alert.state = "dismissed" if resolution == "dismiss" else "resolved"
    alert.resolution = resolution
    alert.resolved_by = uow.actor.name
    alert.resolved_at = datetime.now(UTC)
    audit(
        uow,
        "sync_resolution",
        alert.entity_type,
        alert.entity_id,
        summary=f"{label}: {alert.record_label}"[:255],
        changes={"alert": [alert.kind, resolution]},
    )


def _has_any(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    """Linked, or on its way (queued or in flight)."""
    return is_linked(uow, entity_type, entity_id) or has_pending_upsert(uow, entity_type, entity_id)


def has_pending_upsert(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    """The record has an add/change queued, in flight or waiting for a person."""
    return (
        uow.session.scalar(
            select(SyncItem.id).where(
                SyncItem.entity_type == entity_type,
                SyncItem.entity_id == entity_id,
                SyncItem.action == "upsert",
                SyncItem.state.in_(PENDING),
            )
        )
        is not None
    )


def on_event(uow: UnitOfWork, name: str, entity_type: str, entity_id: int) -> None:
    """What each event means for QuickBooks, per the company's sync settings."""
    rule = _RULES.get(name)
    if rule is not None:
        rule(uow, entity_type, entity_id)


def _update_if_known(uow: UnitOfWork, entity_type: str, entity_id: int) -> None:
    if _has_any(uow, entity_type, entity_id):
        enqueue(uow, entity_type, entity_id)


def _job_created(uow: UnitOfWork, _type: str, job_id: int) -> None:
    enqueue(uow, "job", job_id)


def enqueue_invoice(uow: UnitOfWork, invoice_id: int, *, urgent: bool = False, changed: bool = True) -> int:
    """Queue an invoice with the payments applied to it; returns how many records were queued.
    ``changed``: the invoice itself changed (``enqueue_in``), not only paid or asked to go.

    A payment must never stay behind its invoice: once the invoice goes, nothing else would
    ever send a payment recorded before it went.
    """
    enqueue(uow, "invoice", invoice_id, urgent=urgent, changed=changed)
    return 1 + _enqueue_companions(uow, record_kinds.kind_of("invoice"), invoice_id, urgent=urgent)


def _enqueue_companions(
    uow: UnitOfWork, kind: record_kinds.RecordKind, record_id: int, *, urgent: bool
) -> int:
    """Queue what goes along with the record (``RecordKind.goes_with``) and is not on its way."""
    if kind.goes_with is None:
        return 0
    count = 0
    for entity_type, entity_id in kind.goes_with(uow.session, record_id):
        if not _has_any(uow, entity_type, entity_id):
            enqueue(uow, entity_type, entity_id, urgent=urgent, changed=False)
            count += 1
    return count


def _job_finished(uow: UnitOfWork, _type: str, job_id: int) -> None:
    enqueue(uow, "job", job_id)
    if settings.get_setting(uow, "sync.on_job_finished"):
        for invoice_id in uow.session.scalars(
            select(Invoice.id).where(Invoice.job_id == job_id, Invoice.status != "void")
        ):
            enqueue_invoice(uow, invoice_id, urgent=True, changed=False)


def _invoice_created(uow: UnitOfWork, _type: str, invoice_id: int) -> None:
    """An invoice made for a job already finished goes as if it existed when the job finished."""
    if not settings.get_setting(uow, "sync.on_job_finished"):
        return
    job_status = uow.session.scalar(
        select(Job.status).join(Invoice, Invoice.job_id == Job.id).where(Invoice.id == invoice_id)
    )
    if job_status == "finished":
        enqueue_invoice(uow, invoice_id, urgent=True)


def _invoice_issued(uow: UnitOfWork, _type: str, invoice_id: int) -> None:
    if settings.get_setting(uow, "sync.on_invoice_sent"):
        enqueue_invoice(uow, invoice_id, urgent=True)
    else:
        _invoice_update_if_known(uow, "invoice", invoice_id)


def _invoice_update_if_known(uow: UnitOfWork, _type: str, invoice_id: int) -> None:
    if _has_any(uow, "invoice", invoice_id):
        enqueue_invoice(uow, invoice_id)


def _invoice_paid(uow: UnitOfWork, _type: str, invoice_id: int) -> None:
    if not settings.get_setting(uow, "sync.on_invoice_paid"):
        return
    if is_linked(uow, "invoice", invoice_id):
        _enqueue_companions(uow, record_kinds.kind_of("invoice"), invoice_id, urgent=True)
    else:
        enqueue_invoice(uow, invoice_id, urgent=True, changed=False)


def _invoice_voided(uow: UnitOfWork, _type: str, invoice_id: int) -> None:
    in_flight = _has_any(uow, "invoice", invoice_id)
    # An Add whose answer was lost waits to look the invoice up: QuickBooks may have it. The
    # lookup stays, and the void follows it (as for a payment deleted then).
    looking = looking_up(uow, "invoice", invoice_id)
    if not looking:
        cancel_pending(uow, "invoice", invoice_id)
    if looking or is_linked(uow, "invoice", invoice_id) or (in_flight and _sent(uow, "invoice", invoice_id)):
        # The reference products leave voiding in QuickBooks to the user; we queue it.
        enqueue(uow, "invoice", invoice_id, "void", urgent=True)


def _sent(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    return (
        uow.session.scalar(
            select(SyncItem.id).where(
                SyncItem.entity_type == entity_type,
                SyncItem.entity_id == entity_id,
                SyncItem.state == QueueState.SENT,
            )
        )
        is not None
    )


def _payment_changed(uow: UnitOfWork, _type: str, payment_id: int) -> None:
    """A payment goes once any invoice it is applied to goes (whatever the trigger settings)."""
    if _has_any(uow, "payment", payment_id):
        enqueue(uow, "payment", payment_id)
        return
    invoice_ids = uow.session.scalars(
        select(PaymentApplication.invoice_id).where(PaymentApplication.payment_id == payment_id)
    )
    if any(_has_any(uow, "invoice", invoice_id) for invoice_id in invoice_ids):
        enqueue(uow, "payment", payment_id)


def _payment_deleted(uow: UnitOfWork, _type: str, payment_id: int) -> None:
    # An Add whose answer was lost waits to look the payment up: QuickBooks may have it. The
    # lookup stays (its change then has nothing to send), and the deletion follows it.
    looking = looking_up(uow, "payment", payment_id)
    if not looking:
        cancel_pending(uow, "payment", payment_id)
    if looking or is_linked(uow, "payment", payment_id) or _sent(uow, "payment", payment_id):
        enqueue(uow, "payment", payment_id, "delete", urgent=True)


def looking_up(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    """The record's add/change waits to look it up in QuickBooks (its Add may be there).

    Its last add/change dismissed while it was to be looked up (``_fate_unknown``), the
    lookup is queued again: a void or deletion queued now then follows what it finds (the
    record is voided or deleted in QuickBooks too, or there is nothing there to undo)."""
    item = find_pending(uow, entity_type, entity_id, "upsert")
    if item is None and _fate_unknown(uow.session, entity_type, entity_id) is not None:
        item = enqueue_in(uow.session, entity_type, entity_id, urgent=True, changed=False, undoing=True)
    return item is not None and item.phase in (Phase.VERIFY, Phase.CLAIM, Phase.LINKS)


_RULES = {
    "customer.updated": _update_if_known,
    "job.created": _job_created,
    "job.updated": _update_if_known,
    "job.started": _update_if_known,
    "job.cancelled": _update_if_known,
    "job.renumbered": _update_if_known,
    "job.finished": _job_finished,
    "item.updated": _update_if_known,
    "invoice.created": _invoice_created,
    "invoice.issued": _invoice_issued,
    "invoice.updated": _invoice_update_if_known,
    "invoice.paid": _invoice_paid,
    "invoice.voided": _invoice_voided,
    "payment.recorded": _payment_changed,
    "payment.applied": _payment_changed,
    "payment.unapplied": _payment_changed,
    "payment.updated": _payment_changed,
    "payment.deleted": _payment_deleted,
}


# -- what people ask for --------------------------------------------------------------------------


def send_records(uow: UnitOfWork, records: Iterable[tuple[str, int]]) -> int:
    """ "Send to QuickBooks" for chosen records (invoices, payments, …); returns how many queued.

    Each kind says what it passes over and what goes along with a record
    (``RecordKind.nothing_to_send`` / ``goes_with``: an invoice takes the payments applied
    to it, and they are counted too).
    """
    count = 0
    for entity_type, entity_id in records:
        if entity_type not in SYNCABLE:
            raise ValidationError("entity_type", f"{entity_type} records cannot be sent to QuickBooks.")
        kind = record_kinds.kind_of(entity_type)
        if kind.nothing_to_send is not None:
            record = uow.session.get(kind.model, entity_id)
            if record is not None and kind.nothing_to_send(record, is_linked(uow, entity_type, entity_id)):
                continue
        # (Asked to go, not changed: a change saved while the record is looked up is queued
        # when it is saved.)
        enqueue(uow, entity_type, entity_id, urgent=True, changed=False)
        count += 1 + _enqueue_companions(uow, kind, entity_id, urgent=True)
    return count


def send_everything_pending(uow: UnitOfWork) -> int:
    """Queue every record not yet in QuickBooks (and every linked one changed since)."""
    linked: dict[str, set[int]] = {}
    for link in uow.session.execute(select(QbLink.entity_type, QbLink.entity_id)):
        linked.setdefault(link.entity_type, set()).add(link.entity_id)
    records = [
        (kind.name, record_id)
        for kind in record_kinds.in_sending_order()
        if kind.pending is not None
        for record_id in kind.pending(uow.session)
    ]
    count = 0
    for entity_type, entity_id in records:
        if entity_id in linked.get(entity_type, set()) and not _changed_since_sync(
            uow, entity_type, entity_id
        ):
            continue
        # An item waiting on a person's decision stays so: a bulk send must not loop it.
        enqueue(uow, entity_type, entity_id, reset_attention=False)
        count += 1
    return count


def _changed_since_sync(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    kind = record_kinds.KINDS.get(entity_type)
    if kind is None:
        return False
    model = kind.model
    link = uow.session.scalar(
        select(QbLink).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id)
    )
    record = uow.session.get(model, entity_id)
    updated = getattr(record, "updated_at", None)
    return bool(link and updated and updated > link.synced_at)


def request_sync_now(uow: UnitOfWork) -> None:
    """ "Sync now": the next Web Connector poll runs a session even in responsive mode."""
    if not uow.actor.is_admin and not settings.get_setting(uow, "sync.office_may_sync_now"):
        raise PermissionDenied("start a sync with QuickBooks (an admin can allow this in Settings)")
    settings.set_setting(uow, "sync.requested_at", datetime.now(UTC).isoformat())


def queue_counts(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.execute(select(SyncItem.state, func.count()).group_by(SyncItem.state))
    return {state: count for state, count in rows}


def label_of(session: Session, entity_type: str, entity_id: int | None) -> str:
    """How a person recognises the record; "#id" when it no longer exists."""
    return record_kinds.describe(session, entity_type, entity_id)
