"""Alerts: what went wrong, in plain words, what was tried, and the ways out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import QbxmlError, QbxmlLimitError
from desktop_app.services.queue_states import QueueState, needs_attention
from desktop_app.services.sync_center import ACTION_LABEL
from desktop_app.services.sync_queue import close_alert, label_of
from qbwc_server.qbxml import preflight
from qbwc_server.sync.imports import QUICKBOOKS

#: QuickBooks status codes, explained for office staff.
EXPLAIN: dict[int, str] = {
    3100: "QuickBooks already has a record with this name.",
    3120: "QuickBooks could not find a record this one refers to (it may have been deleted there).",
    3140: "This record refers to something QuickBooks does not have yet (a customer, job, item or terms).",
    3170: "QuickBooks could not save the change.",
    3175: "The record is open or locked by someone in QuickBooks.",
    3176: "The record is being edited by another QuickBooks user.",
    3180: "QuickBooks was busy saving another change to this record.",
    3200: "The record was changed in QuickBooks since JobDesk last saw it.",
    3210: (
        "QuickBooks refused an amount or a change it does not allow here (for example more paid or "
        "credited than an invoice still owes, or a credit memo lowered below what is applied from it)."
    ),
    3250: "This feature is turned off in the QuickBooks company's preferences.",
    3391: "QuickBooks lost its place in the list JobDesk was reading (it does so when its session ends).",
}


class ByHand(QbxmlError):
    """A change the QuickBooks SDK cannot make, for a person to make in QuickBooks (the message
    says exactly what); ``values``: what QuickBooks has once they did, recorded as its values
    when they say so (the alert's "Done in QuickBooks"), so the change is not asked for again."""

    def __init__(
        self,
        message: str,
        values: dict[str, str],
        *,
        resolutions: tuple[str, ...] = ("done_there", "retry", "dismiss"),
        data: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.values = values
        self.resolutions = resolutions
        #: More for the resolution: ``qb_id``, the link to make when there is none yet.
        self.data = data or {}


def item_label(session: Session, item: SyncItem) -> str:
    """The record, or for a step of no record (an import, the pull of payments) what it does."""
    if item.entity_type == "import":
        return f"“{ACTION_LABEL.get(item.action, item.action)}”"
    return label_of(session, item.entity_type, item.entity_id)


def explain(code: int | None, qb_message: str) -> str:
    text = EXPLAIN.get(code or 0, "QuickBooks refused the change.")
    return f"{text} (QuickBooks said: {qb_message.strip()})" if qb_message else text


def raise_alert(
    session: Session,
    item: SyncItem,
    *,
    kind: str,
    label: str,
    message: str,
    code: int | None = None,
    qb_message: str = "",
    tried: str = "",
    resolutions: tuple[str, ...] = ("retry", "edit", "dismiss"),
    data: dict[str, Any] | None = None,
) -> Alert:
    """Open (or refresh) the alert for this queue item; the item waits for a person."""
    alert = session.scalar(select(Alert).where(Alert.sync_item_id == item.id, Alert.state == "open"))
    if alert is None:
        alert = Alert(sync_item_id=item.id, entity_type=item.entity_type, entity_id=item.entity_id)
        session.add(alert)
    alert.record_label = label[:120]
    alert.kind = kind
    alert.status_code = code
    alert.qb_message = qb_message
    alert.message = message
    alert.tried = tried
    alert.resolutions = ",".join(resolutions)
    alert.data = json.dumps(data or {}, default=str)
    needs_attention(session, item, message)
    # What waits for this record says so at once (not only when next looked at).
    waits_for = json.dumps([[item.entity_type, item.entity_id]])
    for waiting in session.scalars(
        select(SyncItem).where(SyncItem.depends_on == waits_for, SyncItem.state == QueueState.QUEUED)
    ):
        waiting.note = f"Waiting for {label}, which needs attention: {message}"
    return alert


def close_open_alerts(session: Session, item: SyncItem, resolution: str, label: str) -> None:
    """The item's open alerts, closed by the sync itself (nothing is left for a person to answer)."""
    uow = UnitOfWork.joining(session, QUICKBOOKS)
    # (A "stuck" alert is about the queue, not the item: the sessions' progress closes it.)
    mine = (Alert.sync_item_id == item.id, Alert.state == "open", Alert.kind != "stuck")
    for alert in session.scalars(select(Alert).where(*mine)):
        close_alert(uow, alert, resolution, label)


def unsendable(session: Session, item: SyncItem, error: Exception) -> None:
    """The item's request cannot be built or would be refused (``preflight``): a person edits
    the record; or does in QuickBooks what the SDK cannot (``kinds.ByHand``)."""
    label = label_of(session, item.entity_type, item.entity_id)
    if isinstance(error, ByHand):
        # What QuickBooks has once a person made the change there (``sync_center``'s
        # "done_there" records it as its values).
        raise_alert(
            session,
            item,
            kind="by_hand",
            label=label,
            message=f"{label} needs a change in QuickBooks itself: {error}",
            tried="Nothing was sent: the QuickBooks SDK cannot make this change.",
            resolutions=error.resolutions,
            data={"values": json.dumps(error.values), **error.data},
        )
        return
    detail = error.detail if isinstance(error, QbxmlLimitError) else str(error)
    fix = "" if detail.rstrip().endswith("retry.") else " Edit it, then retry."
    data: dict[str, str] = {}
    if isinstance(error, QbxmlLimitError):
        data["field"] = error.field
    if isinstance(error, preflight.PreflightError):
        data["value"] = error.value
    raise_alert(
        session,
        item,
        kind="invalid",
        label=label,
        message=f"{label} cannot be sent to QuickBooks as it is: {detail}{fix}",
        tried="Checked the request against what QuickBooks Desktop accepts; nothing was sent.",
        resolutions=("edit", "retry", "dismiss"),
        data=data,
    )
