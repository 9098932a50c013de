"""Dismissing an edit conflict keeps QuickBooks' values there, for good.

A field changed both in JobDesk and in QuickBooks raises an ``edit_conflict`` alert that
lists each clash (``{"jobdesk", "quickbooks", "before"}`` per field). Retry sends ours;
dismiss keeps theirs. Kept how: JobDesk's value of each clashing field becomes the value
agreed with QuickBooks for it, so no later change of the record sends it over theirs
(before, the next edit of any other field sent it too). The record's other changes, saved
with the clashing ones, still go: its queue item goes on rather than being cancelled. A
person who changes that field in JobDesk afterwards sends the new value: that is a new
choice. Undoing the dismissal puts the agreed values back as they were, so Retry sends ours
again.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import InvalidTransition
from desktop_app.services.common import audit
from desktop_app.services.queue_states import Phase, QueueState, reopen

#: The alert data key keeping each clashing field's agreed value from before the dismissal.
KEPT = "agreed_before_dismissal"


def _load(text: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _link(uow: UnitOfWork, alert: Alert) -> QbLink | None:
    if alert.entity_id is None:
        return None
    return uow.session.scalar(
        select(QbLink).where(QbLink.entity_type == alert.entity_type, QbLink.entity_id == alert.entity_id)
    )


def keep_quickbooks_values(uow: UnitOfWork, alert: Alert) -> bool:
    """The alert is dismissed: its clashing fields stop going to QuickBooks as they are.
    True when it was an edit conflict kept so: the record's other changes still go."""
    data = _load(alert.data)
    clashes = data.get("clashes")
    link = _link(uow, alert)
    if alert.kind != "edit_conflict" or not isinstance(clashes, dict) or link is None:
        return False
    synced = _load(link.synced_values)
    kept: dict[str, Any] = {}
    for key, clash in clashes.items():
        if isinstance(clash, dict) and isinstance(clash.get("jobdesk"), str):
            kept[key] = synced.get(key)
            synced[key] = clash["jobdesk"]
    link.synced_values = json.dumps(synced)
    data[KEPT] = kept
    alert.data = json.dumps(data)
    # The trail says which values each side keeps: {field: [JobDesk's, QuickBooks']}.
    both = {key: [clash["jobdesk"], clash.get("quickbooks")] for key, clash in clashes.items() if key in kept}
    audit(
        uow,
        "sync_resolution",
        alert.entity_type,
        alert.entity_id,
        summary=f"QuickBooks' values kept ({', '.join(sorted(both))}): {alert.record_label}"[:255],
        changes=both,
    )
    return True


def has_clashes(alert: Alert) -> bool:
    """An edit conflict that lists fields changed on both sides (not "keeps changing")."""
    return alert.kind == "edit_conflict" and bool(_load(alert.data).get("clashes"))


def undo_keep(uow: UnitOfWork, alert: Alert, item: SyncItem | None) -> None:
    """The dismissal is undone: the agreed values are as before it (Retry sends ours), and
    its item, queued by the dismissal for the record's other changes and not sent yet, waits
    for the person again, to re-read QuickBooks' copy first (the question then stands).
    Once it went, the other changes are in QuickBooks and QuickBooks' values were kept: the
    question cannot be put again on that item, so the undo is refused, saying what to do."""
    data = _load(alert.data)
    kept = data.get(KEPT)
    link = _link(uow, alert)
    if not isinstance(kept, dict) or link is None:
        return
    if item is not None and item.state not in (QueueState.QUEUED, QueueState.CANCELLED):
        raise InvalidTransition(
            f"This cannot be undone: QuickBooks' values were kept for {alert.record_label} and its other "
            "changes have gone to QuickBooks since. To send JobDesk's values, change them in JobDesk again."
        )
    if item is not None and item.state == QueueState.QUEUED:
        reopen(uow.session, item, alert.message, phase=Phase.REFRESH)
    synced = _load(link.synced_values)
    for key, value in kept.items():
        if value is None:
            synced.pop(key, None)
        else:
            synced[key] = value
    link.synced_values = json.dumps(synced)
    data.pop(KEPT)
    alert.data = json.dumps(data)
