"""The QuickBooks sync center as services: the queue, history, alerts and their resolutions.

Database-only, like the rest of the core; the engine in ``qbwc_server.sync`` acts on
what these functions leave in the queue at the next Web Connector session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update

from desktop_app.db.models import Account, Customer, Invoice, Item, Job, QbLink
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain import qb_names
from desktop_app.errors import InvalidTransition, NotFound, ValidationError
from desktop_app.services import edit_conflicts, record_kinds
from desktop_app.services.common import audit, require_admin
from desktop_app.services.paging import Page
from desktop_app.services.qb_links import link_to
from desktop_app.services.queue_states import (
    NEEDS_ATTENTION,
    PENDING,
    QueueState,
    back_to_queue,
    cancel,
    finish,
    reopen,
)
from desktop_app.services.sync_queue import (
    ANSWERED_LATE,
    ASKED_AGAIN,
    NO_LONGER_NEEDED,
    close_alert,
    label_of,
)
from desktop_app.services.sync_resolutions import (
    bring_back_given_up_undo,
    done_in_quickbooks,
    give_up_undo_if_it_waited,
    refuse_undo_if_taken_over,
    unstick,
)

ACTION_LABEL = {
    "upsert": "Add or update",
    "void": "Void",
    "delete": "Delete",
    "import_accounts": "Import accounts",
    "import_terms": "Import terms",
    "import_sales_tax": "Import sales tax items",
    "import_items_service": "Import service items",
    "import_items_noninventory": "Import material items",
    "import_customers": "Import customers and jobs",
    "import_payment_methods": "Import payment methods",
    "import_sales_tax_codes": "Import sales-tax codes",
    "import_items": "Import items (every type)",
    "import_vendors": "Read vendor names",
    "import_employees": "Read employee names",
    "import_other_names": "Read other names",
    "import_invoice_numbers": "Read the invoice numbers QuickBooks uses",
    "pull_payments": "Bring in payments entered in QuickBooks",
}
STATE_LABEL: dict[str, str] = {
    QueueState.QUEUED: "Waiting to send",
    QueueState.SENT: "Sent, awaiting answer",
    QueueState.DONE: "Done",
    QueueState.ATTENTION: "Needs attention",
    QueueState.ERROR: "Error",
    QueueState.CANCELLED: "Cancelled",
}
RESOLUTION_LABEL = {
    "retry": "Retry",
    "link": "Link to the QuickBooks record",
    "renumber": "Renumber ours",
    "send_anyway": "Send anyway",
    "edit": "Edit the record",
    "dismiss": "Dismiss",
    "done_there": "Done in QuickBooks",
    "use_account": "Use a QuickBooks account",
    NO_LONGER_NEEDED: "No longer needed",
    "moving again": "The sync is moving again",
    "settled": "No longer in conflict (changed again in JobDesk, or both sides agree)",
    ANSWERED_LATE: "QuickBooks' answer came after all",
    ASKED_AGAIN: "Looked up again",
}


@dataclass(frozen=True)
class QueueRow:
    id: int
    entity_type: str
    entity_id: int | None
    label: str
    action: str
    action_label: str
    state: str
    state_label: str
    attempts: int
    note: str
    status_code: int | None
    status_message: str
    created_at: datetime
    sent_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class QueueItemDetail:
    row: QueueRow
    request_xml: str
    response_xml: str


@dataclass(frozen=True)
class AlertRow:
    id: int
    sync_item_id: int | None
    entity_type: str
    entity_id: int | None
    label: str
    kind: str
    message: str
    status_code: int | None
    qb_message: str
    tried: str
    resolutions: tuple[str, ...]
    state: str
    resolution: str
    resolved_by: str
    created_at: datetime
    has_clashes: bool = False  # an edit conflict listing fields changed on both sides


@dataclass(frozen=True)
class SyncCounts:
    pending: int
    sent: int
    errors: int
    alerts: int


@dataclass(frozen=True)
class RecordSyncStatus:
    linked: bool
    qb_id: str
    last_synced: datetime | None
    pending_state: str
    pending_note: str
    alerts: tuple[str, ...]
    #: What QuickBooks keeps differently from JobDesk (a job name it shortens …), in words.
    differences: tuple[str, ...] = ()


def _row(uow: UnitOfWork, item: SyncItem) -> QueueRow:
    return QueueRow(
        id=item.id,
        entity_type=item.entity_type,
        entity_id=item.entity_id,
        label=label_of(uow.session, item.entity_type, item.entity_id),
        action=item.action,
        action_label=ACTION_LABEL.get(item.action, item.action),
        state=item.state,
        state_label=STATE_LABEL.get(item.state, item.state),
        attempts=item.attempts,
        note=item.note,
        status_code=item.status_code,
        status_message=item.status_message,
        created_at=item.created_at,
        sent_at=item.sent_at,
        done_at=item.done_at,
    )


def list_queue(uow: UnitOfWork, *, offset: int = 0, limit: int = 200) -> Page[QueueRow]:
    """What will be sent, in the order the engine sends it."""
    where = SyncItem.state.in_(PENDING)
    total = uow.session.scalar(select(func.count()).select_from(SyncItem).where(where)) or 0
    items = uow.session.scalars(
        select(SyncItem).where(where).order_by(SyncItem.rank, SyncItem.id).offset(offset).limit(limit)
    )
    return Page(rows=tuple(_row(uow, i) for i in items), total=total, offset=offset, limit=limit)


def list_history(uow: UnitOfWork, *, offset: int = 0, limit: int = 200, search: str = "") -> Page[QueueRow]:
    """What was sent and what QuickBooks answered, newest first."""
    where: ColumnElement[bool] = SyncItem.sent_at.is_not(None)
    if search.strip():
        pattern = f"%{search.strip()}%"
        where = where & or_(SyncItem.status_message.ilike(pattern), SyncItem.request_xml.ilike(pattern))
    total = uow.session.scalar(select(func.count()).select_from(SyncItem).where(where)) or 0
    items = uow.session.scalars(
        select(SyncItem)
        .where(where)
        .order_by(SyncItem.sent_at.desc(), SyncItem.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page(rows=tuple(_row(uow, i) for i in items), total=total, offset=offset, limit=limit)


def get_item(uow: UnitOfWork, item_id: int) -> QueueItemDetail:
    item = uow.session.get(SyncItem, item_id)
    if item is None:
        raise NotFound("Queue item", item_id)
    return QueueItemDetail(row=_row(uow, item), request_xml=item.request_xml, response_xml=item.response_xml)


def counts(uow: UnitOfWork) -> SyncCounts:
    rows = dict(uow.session.execute(select(SyncItem.state, func.count()).group_by(SyncItem.state)).all())
    alerts = uow.session.scalar(select(func.count()).select_from(Alert).where(Alert.state == "open")) or 0
    return SyncCounts(
        pending=int(rows.get(QueueState.QUEUED, 0)),
        sent=int(rows.get(QueueState.SENT, 0)),
        errors=int(sum(rows.get(state, 0) for state in NEEDS_ATTENTION)),
        alerts=int(alerts),
    )


def _alert_row(alert: Alert) -> AlertRow:
    return AlertRow(
        id=alert.id,
        sync_item_id=alert.sync_item_id,
        entity_type=alert.entity_type,
        entity_id=alert.entity_id,
        label=alert.record_label,
        kind=alert.kind,
        message=alert.message,
        status_code=alert.status_code,
        qb_message=alert.qb_message,
        tried=alert.tried,
        resolutions=tuple(r for r in alert.resolutions.split(",") if r),
        state=alert.state,
        resolution=alert.resolution,
        resolved_by=alert.resolved_by,
        created_at=alert.created_at,
        has_clashes=edit_conflicts.has_clashes(alert),
    )


def list_alerts(uow: UnitOfWork, *, include_closed: bool = False) -> tuple[AlertRow, ...]:
    query = select(Alert).order_by(Alert.id.desc())
    if not include_closed:
        query = query.where(Alert.state == "open")
    return tuple(_alert_row(a) for a in uow.session.scalars(query.limit(1000)))


def record_status(uow: UnitOfWork, entity_type: str, entity_id: int) -> RecordSyncStatus:
    """For a record's QuickBooks panel: link, last sync, pending work, open alerts."""
    link = uow.session.scalar(
        select(QbLink).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id)
    )
    pending = uow.session.scalar(
        select(SyncItem)
        .where(
            SyncItem.entity_type == entity_type,
            SyncItem.entity_id == entity_id,
            SyncItem.state.in_(PENDING),
        )
        .order_by(SyncItem.id.desc())
        .limit(1)
    )
    alerts = uow.session.scalars(
        select(Alert.message).where(
            Alert.entity_type == entity_type, Alert.entity_id == entity_id, Alert.state == "open"
        )
    )
    return RecordSyncStatus(
        linked=link is not None,
        qb_id=link.qb_id if link else "",
        last_synced=link.synced_at if link else None,
        pending_state=STATE_LABEL.get(pending.state, "") if pending else "",
        pending_note=pending.note if pending else "",
        alerts=tuple(alerts),
        differences=_differences(uow, entity_type, entity_id),
    )


def _differences(uow: UnitOfWork, entity_type: str, entity_id: int) -> tuple[str, ...]:
    notes: list[str] = []
    if entity_type == "job":
        job = uow.session.get(Job, entity_id)
        if job is not None:
            notes.append(qb_names.job_name_note(job.number, job.name))
    elif entity_type == "customer":
        customer = uow.session.get(Customer, entity_id)
        if customer is not None:
            notes.append(qb_names.notes_note(customer.notes))
    return tuple(note for note in notes if note)


# -- resolutions ---------------------------------------------------------------------------------


def _open_alert(uow: UnitOfWork, alert_id: int) -> tuple[Alert, SyncItem | None]:
    alert = uow.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("Alert", alert_id)
    if alert.state != "open":
        raise InvalidTransition("This alert is already closed.")
    item = uow.session.get(SyncItem, alert.sync_item_id) if alert.sync_item_id else None
    return alert, item


def _alert_item(item: SyncItem | None, alert: Alert) -> SyncItem:
    """The queue item the alert is about, for a resolution that acts on it."""
    if item is None:
        raise InvalidTransition(
            f"The queue item of this alert about {alert.record_label} is gone, so there is nothing "
            "to send or link. Dismiss the alert; if the record still needs to go, use Send to QuickBooks."
        )
    return item


def _back_to_queue(uow: UnitOfWork, item: SyncItem, phase: str) -> None:
    back_to_queue(uow.session, item, phase)


def wake_waiting(uow: UnitOfWork) -> None:
    """Items that waited on a dependency needing attention may go at the next session."""
    uow.session.execute(
        update(SyncItem)
        .where(SyncItem.state == QueueState.QUEUED, SyncItem.next_attempt_at.is_not(None))
        .values(next_attempt_at=None)
    )


def _close(uow: UnitOfWork, alert: Alert, resolution: str) -> None:
    close_alert(uow, alert, resolution, RESOLUTION_LABEL.get(resolution, resolution))


def resolve_alert(uow: UnitOfWork, alert_id: int, resolution: str) -> AlertRow:
    """Act on an alert with one of the resolutions it offers; recorded in the audit log."""
    alert, item = _open_alert(uow, alert_id)
    offered = alert.resolutions.split(",")
    if resolution not in offered and not (resolution == "retry" and "edit" in offered):
        raise ValidationError(
            "resolution", f"“{RESOLUTION_LABEL.get(resolution, resolution)}” does not apply here."
        )
    if alert.kind == "stuck":
        unstick(uow, item, resolution)
    elif resolution == "done_there":
        done_in_quickbooks(uow, _alert_item(item, alert), alert)
    elif resolution == "dismiss":
        require_admin(uow, "dismiss a QuickBooks alert")
        kept = edit_conflicts.keep_quickbooks_values(uow, alert)
        if item is not None and item.state in NEEDS_ATTENTION and kept:
            _back_to_queue(uow, item, item.phase)  # its other changes still go (re-read first)
        elif item is not None and item.state in NEEDS_ATTENTION:
            cancel(item, f"Dismissed by {uow.actor.name}.")
            give_up_undo_if_it_waited(uow, item)
    elif resolution in ("retry", "edit"):
        if item is not None:
            _back_to_queue(uow, item, "" if item.phase in ("add", "check", "claim") else item.phase)
    elif resolution == "send_anyway":
        _back_to_queue(uow, _alert_item(item, alert), "add")
    elif resolution == "link":
        item = _alert_item(item, alert)
        if item.entity_id is None:
            raise InvalidTransition(f"{alert.record_label} is not a record JobDesk can link.")
        data = json.loads(alert.data or "{}")
        if not data.get("qb_txn_id"):
            raise InvalidTransition("There is no QuickBooks record to link to.")
        link_to(
            uow.session,
            item.entity_type,
            item.entity_id,
            data["qb_txn_id"],
            edit_sequence=data.get("qb_edit_sequence") or "",
            qb_name=alert.record_label,
        )
        finish(item, f"Linked to the existing QuickBooks invoice by {uow.actor.name}.")
    elif resolution == "renumber":
        item = _alert_item(item, alert)
        if item.entity_type != "invoice" or item.entity_id is None:
            raise InvalidTransition(f"Only an invoice can be renumbered, not {alert.record_label}.")
        _renumber_invoice(uow, item.entity_id)
        _back_to_queue(uow, item, "")
    _close(uow, alert, resolution)
    wake_waiting(uow)
    return _alert_row(alert)


def use_account_for_alert(uow: UnitOfWork, alert_id: int, account_full_name: str) -> AlertRow:
    """Resolve "QuickBooks has no such account" with one it has (admin only).

    The record's income account becomes the QuickBooks account of that full name: an item's
    own when it has one; else (an item posting to the default, or any other record) the
    company's default income account, which mends every item posting to it at once.
    Audited; the record goes back in the queue and the alert closes, as Retry does.
    """
    require_admin(uow, "choose a QuickBooks account for a record")
    alert, item = _open_alert(uow, alert_id)
    data = json.loads(alert.data or "{}")
    if alert.kind != "missing_in_quickbooks" or data.get("missing_kind") != "Account":
        raise InvalidTransition("This alert is not about an account QuickBooks does not have.")
    missing = str(data.get("missing_name") or "")
    account = _quickbooks_income_account(uow, account_full_name)
    if account.full_name.casefold() == missing.casefold():
        raise ValidationError(
            "account", f"QuickBooks does not have “{account.full_name}” any more; choose another account."
        )
    record = (
        uow.session.get(Item, alert.entity_id) if alert.entity_type == "item" and alert.entity_id else None
    )
    if record is not None and record.income_account_id is not None:
        old = uow.session.get(Account, record.income_account_id)
        if record.income_account_id != account.id:
            record.income_account_id = account.id
            uow.session.flush()
            audit(
                uow,
                "update",
                "item",
                record.id,
                summary=f"Item {record.name} posts to {account.full_name} (QuickBooks has no “{missing}”)",
                changes={"income_account": [old.full_name if old else "", account.full_name]},
            )
    else:
        from desktop_app.services import accounts

        accounts.set_default_income_account(uow, account.id)  # audited as a settings change
    if item is not None:
        _back_to_queue(uow, item, "" if item.phase in ("add", "check", "claim") else item.phase)
    _close(uow, alert, "use_account")
    wake_waiting(uow)
    return _alert_row(alert)


def _quickbooks_income_account(uow: UnitOfWork, full_name: object) -> Account:
    """An active income account imported from QuickBooks, by full name (any case)."""
    from desktop_app.services.accounts import INCOME_TYPES

    if not isinstance(full_name, str) or not full_name.strip():
        raise ValidationError("account", "Choose the QuickBooks account to use.")
    wanted = full_name.strip()
    linked = select(QbLink.entity_id).where(QbLink.entity_type == "account")
    # Compared here, not in SQL: SQLite's lower() folds ASCII letters only ("Éclair").
    found = next(
        (
            account
            for account in uow.session.scalars(select(Account).where(Account.id.in_(linked)))
            if account.full_name.casefold() == wanted.casefold()
        ),
        None,
    )
    if found is None:
        raise ValidationError(
            "account",
            f"QuickBooks has no account “{wanted}” that JobDesk knows of. Choose one of the accounts "
            "imported from QuickBooks (Sync center → Import brings in new ones).",
        )
    if not found.active:
        raise ValidationError("account", f"The account “{found.full_name}” is inactive in QuickBooks.")
    if found.account_type not in INCOME_TYPES:
        raise ValidationError(
            "account", f"“{found.full_name}” is not an income account; sales must post to an income account."
        )
    return found


def _renumber_invoice(uow: UnitOfWork, invoice_id: int) -> None:
    """Give an invoice that never reached QuickBooks the next free number."""
    from desktop_app.services import numbering

    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("Invoice", invoice_id)
    if (
        uow.session.scalar(
            select(QbLink.id).where(QbLink.entity_type == "invoice", QbLink.entity_id == invoice_id)
        )
        is not None
    ):
        raise InvalidTransition(
            f"Invoice {invoice.number} is already in QuickBooks; it cannot be renumbered."
        )
    old = invoice.number
    invoice.number = numbering.next_invoice_number(uow)
    audit(
        uow,
        "renumber",
        "invoice",
        invoice.id,
        summary=f"Invoice {old} renumbered to {invoice.number}",
        changes={"number": [old, invoice.number]},
    )


def undo_dismiss(uow: UnitOfWork, alert_id: int) -> AlertRow:
    require_admin(uow, "undo the dismissal of a QuickBooks alert")
    alert = uow.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("Alert", alert_id)
    if alert.state != "dismissed":
        raise InvalidTransition("Only a dismissed alert can be brought back.")
    item = uow.session.get(SyncItem, alert.sync_item_id) if alert.sync_item_id else None
    refuse_undo_if_taken_over(alert, item)
    edit_conflicts.undo_keep(uow, alert, item)
    if item is not None and item.state == QueueState.CANCELLED:
        reopen(uow.session, item, alert.message)
        bring_back_given_up_undo(uow, item)
    alert.state = "open"
    alert.resolution = ""
    alert.resolved_by = ""
    alert.resolved_at = None
    audit(
        uow,
        "sync_resolution",
        alert.entity_type,
        alert.entity_id,
        summary=f"Dismissal undone: {alert.record_label}"[:255],
        changes={"alert": ["dismissed", "open"]},
    )
    return _alert_row(alert)


#: What the first-run import reads from QuickBooks, one queue item each.
FIRST_RUN_IMPORTS = (
    "import_accounts",
    "import_terms",
    "import_payment_methods",
    "import_sales_tax_codes",
    # Every item type in one read (sales-tax items and groups too), after the accounts
    # the price book's items name.
    "import_items",
    # Names only: a customer of ours may not take a name QuickBooks uses for one of these.
    "import_vendors",
    "import_employees",
    "import_other_names",
    "import_customers",
    "import_invoice_numbers",
)


def start_first_run_import(uow: UnitOfWork) -> int:
    """Queue the import of QuickBooks' lists (accounts, terms, payment methods, sales-tax codes,
    items of every type, vendor/employee/other names, customers and jobs) and invoice numbers."""
    require_admin(uow, "import from QuickBooks")
    from desktop_app.services.sync_queue import enqueue

    for action in FIRST_RUN_IMPORTS:
        enqueue(uow, "import", None, action, urgent=True)
    audit(uow, "sync_resolution", "import", None, summary="First-run import from QuickBooks queued")
    return len(FIRST_RUN_IMPORTS)


# -- what a session sent -------------------------------------------------------------------------


@dataclass(frozen=True)
class SentReport:
    """Records that reached QuickBooks since a moment (one definition for every count of "sent").

    ``added`` counts those queued after that moment, mostly by the engine: a job needs its
    customer, an invoice its items, a payment its invoices, so the queue shown before the
    sync was shorter than what went.
    """

    sent: int
    added: tuple[tuple[str, int], ...]

    @property
    def added_total(self) -> int:
        return sum(count for _, count in self.added)

    def text(self) -> str:
        """ "Sent 225 records to QuickBooks (47 of them needed first: 30 customers, 17 items)." """
        text = f"Sent {self.sent} record{'s' if self.sent != 1 else ''} to QuickBooks"
        if self.added_total:
            kinds = ", ".join(f"{count} {_kind_words(kind, count)}" for kind, count in self.added)
            text += f" ({self.added_total} of them needed first: {kinds})"
        return text + "."


def _kind_words(name: str, count: int) -> str:
    kind = record_kinds.KINDS.get(name)
    if kind is None:
        return name
    return kind.plural if count != 1 else kind.singular


def sent_since(uow: UnitOfWork, since: datetime) -> SentReport:
    """What reached QuickBooks at or after ``since`` (imports and payment pulls are not records)."""
    done = (
        SyncItem.state == QueueState.DONE,
        SyncItem.done_at >= since,
        SyncItem.entity_type != "import",
        SyncItem.sent_at.is_not(None),
    )
    sent = uow.session.scalar(select(func.count()).select_from(SyncItem).where(*done)) or 0
    added = uow.session.execute(
        select(SyncItem.entity_type, func.count())
        .where(*done, SyncItem.created_at >= since)
        .group_by(SyncItem.entity_type)
        .order_by(func.count().desc(), SyncItem.entity_type)
    ).all()
    return SentReport(sent=int(sent), added=tuple((kind, int(count)) for kind, count in added))
