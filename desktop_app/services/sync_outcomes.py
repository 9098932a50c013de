"""What a sync did to each record since a moment, in the words of its preview.

The preview of a sync (``qbwc_server.sync.preview``) says per record kind how many will be
linked, created, updated, skipped or in conflict; this reads the same five outcomes back
from the queue once the sync has run, so the two can be laid side by side:

* ``create``   done by an Add;
* ``link``     done by finding QuickBooks' record of the same name (a lookup, or the
               claim after QuickBooks refused an Add with "name in use");
* ``update``   done by a Mod, a void or a delete;
* ``skip``     done with nothing sent (QuickBooks had it as it is), or still waiting;
* ``conflict`` waiting for a person (an alert), or for a decision on a possible match.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import or_, select

from desktop_app.db.connection_models import MatchProposal
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.services.queue_states import NEEDS_ATTENTION, PENDING, Phase, QueueState

_DONE_BY_PHASE: dict[str, str] = {
    Phase.ADD: "create",
    Phase.CLAIM: "link",
    Phase.VERIFY: "link",
    Phase.LINKS: "link",
    Phase.MOD: "update",
    Phase.VOID: "update",
    Phase.DELETE: "update",
    Phase.DELETE_DUPLICATE: "update",
}


def outcome_of(item: SyncItem, undecided: frozenset[tuple[str, int]] = frozenset()) -> str:
    """One queue item's outcome, as the preview would have named it."""
    if item.state == QueueState.DONE:
        if item.sent_at is None:
            return "skip"
        if item.linked_existing:
            return "link"
        return _DONE_BY_PHASE.get(item.phase, "skip")
    if item.state in NEEDS_ATTENTION:
        return "conflict"
    if item.entity_id is not None and (item.entity_type, item.entity_id) in undecided:
        return "conflict"
    return "skip"


def outcomes_since(uow: UnitOfWork, since: datetime) -> dict[str, dict[str, int]]:
    """Per record kind, how many records the sync linked, created, updated, skipped or left in
    conflict: each queue item touched at or after ``since`` or still pending (imports excluded)."""
    session = uow.session
    undecided = frozenset(
        (row.entity_type, row.entity_id)
        for row in session.execute(
            select(MatchProposal.entity_type, MatchProposal.entity_id).where(MatchProposal.decision == "")
        )
    )
    counts: dict[str, Counter[str]] = {}
    for item in session.scalars(
        select(SyncItem)
        .where(
            SyncItem.entity_type != "import",
            SyncItem.state != QueueState.CANCELLED,
            # Still pending counts too: what waits was in the preview, untouched or not.
            or_(SyncItem.updated_at >= since, SyncItem.state.in_(PENDING)),
        )
        .order_by(SyncItem.id)
    ):
        counts.setdefault(item.entity_type, Counter())[outcome_of(item, undecided)] += 1
    return {kind: dict(per) for kind, per in counts.items()}
