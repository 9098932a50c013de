"""Alert resolutions that settle an item without sending it: a stuck queue moved on, and a
change a person made in QuickBooks itself (what the QuickBooks SDK cannot do)."""

from __future__ import annotations

import json

from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import InvalidTransition
from desktop_app.services.common import audit, require_admin
from desktop_app.services.qb_links import link_to
from desktop_app.services.queue_states import (
    NEEDS_ATTENTION,
    UNSENT,
    Action,
    Phase,
    QueueState,
    back_to_queue,
    cancel,
    looked_up_for_undo,
    now,
    requeue,
    taken_over,
)
from desktop_app.services.sync_queue import LOOKUP_GIVEN_UP, find_pending


def done_in_quickbooks(uow: UnitOfWork, item: SyncItem, alert: Alert) -> None:
    """A person made in QuickBooks the change the alert asked for (the SDK cannot make it):
    what QuickBooks now has, as the alert said (its ``values``), becomes the values the
    record's link agreed with QuickBooks (a link made under the alert's ``qb_id`` when there
    is none yet), and the item is done. The change is not asked for again; a later change here
    is compared with these values, as with any other. Audited with the values recorded."""
    require_admin(uow, "record a change made in QuickBooks")
    try:
        data = json.loads(alert.data or "{}")
        values = json.loads(data["values"])
    except (ValueError, KeyError, TypeError):
        values = None
    if not isinstance(values, dict) or item.entity_id is None:
        raise InvalidTransition(
            f"This alert about {alert.record_label} is not about a change made in QuickBooks."
        )
    if item.state not in (*NEEDS_ATTENTION, QueueState.QUEUED):
        raise InvalidTransition(
            f"{alert.record_label} was settled since this alert was raised: there is nothing to record. "
            "Dismiss the alert."
        )
    record = (QbLink.entity_type == item.entity_type, QbLink.entity_id == item.entity_id)
    link = uow.session.scalar(select(QbLink).where(*record))
    if link is None and data.get("qb_id"):
        link = link_to(uow.session, item.entity_type, item.entity_id, str(data["qb_id"]), edit_sequence="")
    if link is None:
        raise InvalidTransition(
            f"{alert.record_label} is not linked to QuickBooks, so nothing can be recorded there."
        )
    before = link.synced_values
    link.synced_values = json.dumps(values)
    link.synced_at = now()
    audit(
        uow,
        "update",
        item.entity_type,
        item.entity_id,
        summary=f"Recorded as made in QuickBooks by hand: {alert.record_label}"[:255],
        changes={"synced_values": [before, link.synced_values]},
    )
    # Compared with the record as it is now at the next sync: done if they agree; a change
    # saved meanwhile (merged into it, or made while the alert waited) goes, or is asked for.
    requeue(item, Phase.FIRST, f"Made in QuickBooks by {uow.actor.name}; recorded as what QuickBooks has.")


def unstick(uow: UnitOfWork, item: SyncItem | None, resolution: str) -> None:
    """A "sync is stuck" alert names the item at the head of the queue, which is queued (not
    waiting for a person): Retry sends it with the rest again, Dismiss takes it out of the
    queue so the rest can go, as the alert says. Either way the sessions without progress
    are counted afresh (else the next quiet session would raise the alert again at once)."""
    from desktop_app.services import settings

    if resolution == "dismiss":
        require_admin(uow, "dismiss a QuickBooks alert")
    # Queued as a rule; in attention again after a dismissal was undone.
    if item is not None and item.state in UNSENT:
        if resolution == "dismiss":
            cancel(item, f"Taken out of the queue by {uow.actor.name} (the sync was stuck on it).")
        else:
            back_to_queue(uow.session, item, "" if item.phase in ("add", "check", "claim") else item.phase)
    # A "sent" head is left to the engine: its answer may yet come, and it is looked up in
    # QuickBooks before it is sent again; an "attention" one has an alert of its own.
    settings.set_setting(uow, "sync.sessions_without_progress", 0)


def give_up_undo_if_it_waited(uow: UnitOfWork, item: SyncItem) -> None:
    """A dismissed lookup that was made again so that a void or deletion could follow it (its
    alert said so): the void or deletion is given up with it (JobDesk cannot find what to
    void); the person voids or deletes the record in QuickBooks if it is there."""
    if not looked_up_for_undo(uow.session, item):
        return
    for action in (Action.VOID, Action.DELETE):
        waiting = find_pending(uow, item.entity_type, item.entity_id, action)
        if waiting is not None:
            cancel(waiting, LOOKUP_GIVEN_UP.format(uow.actor.name))


def refuse_undo_if_taken_over(alert: Alert, item: SyncItem | None) -> None:
    """A dismissal is not undone once a newer item took the work of the alert's item over
    (a change or a void saved since, which looks the record up first): brought back, it
    would send that work twice, or drop the change."""
    newer = None if item is None else taken_over(item)
    if newer is not None:
        raise InvalidTransition(
            f"This alert cannot be brought back: {alert.record_label} was changed or voided since, and "
            f"queue item {newer} now takes care of it (it looks the record up in QuickBooks first)."
        )


def bring_back_given_up_undo(uow: UnitOfWork, item: SyncItem) -> None:
    """A dismissal undone that had given a void or deletion up (``give_up_undo_if_it_waited``):
    that void or deletion waits for the lookup again."""
    if not looked_up_for_undo(uow.session, item):
        return
    given_up = LOOKUP_GIVEN_UP.partition("{}")[0]
    for waiting in uow.session.scalars(
        select(SyncItem).where(
            SyncItem.entity_type == item.entity_type,
            SyncItem.entity_id == item.entity_id,
            SyncItem.action.in_((Action.VOID, Action.DELETE)),
            SyncItem.state == QueueState.CANCELLED,
            SyncItem.note.startswith(given_up),
        )
    ):
        back_to_queue(uow.session, waiting, "")
