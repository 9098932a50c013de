"""What an alert card shows beyond its message: the request QuickBooks refused, the accounts
that may stand in for one it lacks, the record that blocks a stuck sync.

Read from each alert's ``data`` (what the engine knew when it raised it) and from the
records as they are now, in one unit of work for all the alerts a screen shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from desktop_app.db.models import Account, QbLink
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.services.accounts import INCOME_TYPES
from desktop_app.services.queue_states import QueueState
from desktop_app.services.sync_queue import label_of

#: Queue states in the words the queue tab uses (kept here: sync_center imports nothing of ours).
_STATE_WORDS: dict[str, str] = {
    QueueState.QUEUED: "waiting to send",
    QueueState.SENT: "sent, awaiting QuickBooks' answer",
    QueueState.ATTENTION: "needs attention",
    QueueState.ERROR: "error",
    QueueState.DONE: "done",
    QueueState.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class AlertDetail:
    alert_id: int
    #: message_refused: the qbXML request the record sent, as sent (cut at 4,000 characters).
    request_xml: str = ""
    hresult: str = ""
    #: missing_in_quickbooks: the QuickBooks list ("Account", "PaymentMethod"…) and name.
    missing_kind: str = ""
    missing_name: str = ""
    #: For a missing account: the active income accounts imported from QuickBooks, by full name.
    account_choices: tuple[str, ...] = ()
    #: Accounts QuickBooks has that are not offered (not income accounts, or inactive).
    accounts_not_offered: int = 0
    #: stuck: the record at the head of the queue and where it is, in plain words.
    blocking: str = ""

    @property
    def can_use_account(self) -> bool:
        return self.missing_kind == "Account"


def _income_accounts(uow: UnitOfWork, missing: str) -> tuple[tuple[str, ...], int]:
    """(offered, how many others QuickBooks has): its active income accounts, less the one it
    says it lacks (JobDesk may still hold a link to an account since deleted there)."""
    linked = select(QbLink.entity_id).where(QbLink.entity_type == "account")
    rows = uow.session.execute(
        select(Account.full_name, Account.account_type, Account.active)
        .where(Account.id.in_(linked))
        .order_by(Account.full_name)
    ).all()
    rows = [row for row in rows if row[0].casefold() != missing.casefold()]
    offered = tuple(name for name, kind, active in rows if active and kind in INCOME_TYPES)
    return offered, len(rows) - len(offered)


def _blocking(uow: UnitOfWork, alert: Alert) -> str:
    item = uow.session.get(SyncItem, alert.sync_item_id) if alert.sync_item_id else None
    if item is None:
        return f"Blocking the sync: {alert.record_label or 'a record no longer in the queue'}."
    label = label_of(uow.session, item.entity_type, item.entity_id)
    state = _STATE_WORDS.get(item.state, item.state)
    tries = f", tried {item.attempts} time{'s' if item.attempts != 1 else ''}" if item.attempts else ""
    note = f" {item.note}" if item.note else ""
    return f"Blocking the sync: {label} ({state}{tries}).{note}"


def alert_details(uow: UnitOfWork, alert_ids: Iterable[int]) -> dict[int, AlertDetail]:
    """The extra facts for each of these alerts (those that have none are left out)."""
    wanted = list(alert_ids)
    if not wanted:
        return {}
    found: dict[int, AlertDetail] = {}
    for alert in uow.session.scalars(select(Alert).where(Alert.id.in_(wanted))):
        try:
            data: Any = json.loads(alert.data or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if alert.kind == "message_refused" and data.get("request_xml"):
            found[alert.id] = AlertDetail(
                alert.id,
                request_xml=str(data["request_xml"]),
                hresult=str(data.get("hresult", "")),
            )
        elif alert.kind == "missing_in_quickbooks":
            kind = str(data.get("missing_kind", ""))
            missing = str(data.get("missing_name", ""))
            offered, others = _income_accounts(uow, missing) if kind == "Account" else ((), 0)
            found[alert.id] = AlertDetail(
                alert.id,
                missing_kind=kind,
                missing_name=missing,
                account_choices=offered,
                accounts_not_offered=others,
            )
        elif alert.kind == "stuck":
            found[alert.id] = AlertDetail(alert.id, blocking=_blocking(uow, alert))
    return found
