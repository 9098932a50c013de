"""What should be in QuickBooks and is not on its way: records the trigger settings hold back.

The one definition the app uses: every invoice that is not void and every payment that is
not deleted belongs in QuickBooks. The trigger settings (``sync.on_*``) only decide *when*
each goes. A record is

* **in QuickBooks** when it has a link to a QuickBooks record;
* **on its way** when the queue holds work for it (waiting, sent, or needing attention);
* **held back** otherwise, with the reason: what will send it (the invoice is sent, its
  job is finished, it is paid in full, its payment is applied) or that only a person will.

The sync center says "QuickBooks is up to date" only when nothing is on its way and
nothing is held back; "Send now" (``send_held_back``) queues everything held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select

from desktop_app.db.models import Customer, Invoice, Job, Payment, PaymentApplication
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.services import settings
from desktop_app.services.qb_links import in_quickbooks_clause
from desktop_app.services.queue_states import PENDING
from desktop_app.services.sync_queue import enqueue, enqueue_invoice, has_pending_upsert

#: Queue states in which a record is on its way to QuickBooks.
ON_ITS_WAY = PENDING

# What a held-back record waits for, said of a group of records ("they go …").
WHEN_SENT = "the invoice is sent"
WHEN_FINISHED = "the job is finished"
WHEN_PAID = "the invoice is paid in full"
WHEN_APPLIED = "the payment is applied to an invoice"
BY_HAND = "by hand: no sync setting sends them"
DISMISSED = "by hand: their QuickBooks alert was dismissed"


@dataclass(frozen=True)
class HeldBack:
    entity_type: str
    entity_id: int
    number: str
    customer_name: str
    on: date
    amount: Decimal
    #: Shared by every record held back for the same reason (see the WHEN_* phrases).
    waits_for: str
    #: This record's reason in a sentence, naming its invoice or job.
    reason: str


@dataclass(frozen=True)
class HeldBackSummary:
    invoices: int
    payments: int
    #: (waits_for, how many records) in a stable order, largest group first.
    groups: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return self.invoices + self.payments

    def message(self) -> str:
        """ "2 invoices and 1 payment are not in QuickBooks: they go when the invoice is sent." """
        if not self.total:
            return ""
        parts = [_n(self.invoices, "invoice"), _n(self.payments, "payment")]
        what = " and ".join(p for p in parts if p)
        verb = "is" if self.total == 1 else "are"
        if len(self.groups) == 1:
            subject = "it goes" if self.total == 1 else "they go"
            return f"{what} {verb} not in QuickBooks: {subject} {_clause(self.groups[0][0])}."
        clauses = ", ".join(f"{count} {_clause(waits)}" for waits, count in self.groups)
        return f"{what} {verb} not in QuickBooks: {clauses}."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}" if count else ""


def _clause(waits_for: str) -> str:
    return waits_for if waits_for.startswith("by hand") else f"when {waits_for}"


def _not_on_its_way(entity_type: str, id_column: Any) -> ColumnElement[bool]:
    linked = in_quickbooks_clause(entity_type, id_column)
    pending = exists().where(
        SyncItem.entity_type == entity_type,
        SyncItem.entity_id == id_column,
        SyncItem.action == "upsert",
        SyncItem.state.in_(ON_ITS_WAY),
    )
    return and_(~linked, ~pending)


@dataclass(frozen=True)
class _Triggers:
    on_sent: bool
    on_finished: bool
    on_paid: bool


def _triggers(uow: UnitOfWork) -> _Triggers:
    return _Triggers(
        on_sent=bool(settings.get_setting(uow, "sync.on_invoice_sent")),
        on_finished=bool(settings.get_setting(uow, "sync.on_job_finished")),
        on_paid=bool(settings.get_setting(uow, "sync.on_invoice_paid")),
    )


def _dismissed(uow: UnitOfWork, entity_type: str, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        found.update(
            i
            for i in uow.session.scalars(
                select(Alert.entity_id).where(
                    Alert.entity_type == entity_type,
                    Alert.entity_id.in_(ordered[start : start + 500]),
                    Alert.state == "dismissed",
                )
            )
            if i is not None
        )
    return found


def _invoice_waits(
    triggers: _Triggers, *, sent: bool, has_job: bool, job_finished: bool, paid: bool, dismissed: bool
) -> tuple[str, list[str]]:
    """(group phrase, this invoice's conditions) from the settings and where the invoice is.

    Mirrors the triggers in ``sync_queue``: the invoice is sent (``on_invoice_sent``), the
    invoice's own job is finished (``on_job_finished``; an invoice of several jobs has none),
    the invoice is paid in full (``on_invoice_paid``).
    """
    if dismissed:
        return DISMISSED, []
    waits: list[str] = []
    if triggers.on_sent and not sent:
        waits.append(WHEN_SENT)
    if triggers.on_finished and has_job and not job_finished:
        waits.append(WHEN_FINISHED)
    if triggers.on_paid and not paid:
        waits.append(WHEN_PAID)
    if not waits:
        return BY_HAND, []
    return " or ".join(waits), waits


def list_held_back(uow: UnitOfWork, *, customer_id: int | None = None) -> tuple[HeldBack, ...]:
    """Every invoice and payment that should be in QuickBooks and is neither there nor queued
    (``customer_id``: only that customer's)."""
    triggers = _triggers(uow)
    invoice_where: list[ColumnElement[bool]] = [
        Invoice.status != "void",
        _not_on_its_way("invoice", Invoice.id),
    ]
    if customer_id is not None:
        invoice_where.append(Invoice.customer_id == customer_id)
    invoice_rows = uow.session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Customer.display_name,
            Invoice.invoice_date,
            Invoice.total,
            Invoice.status,
            Invoice.issued_at,
            Invoice.sent_at,
            Invoice.job_id,
            Job.number,
            Job.status,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(Job, Job.id == Invoice.job_id)
        .where(*invoice_where)
        .order_by(Invoice.id)
    ).all()
    dismissed = _dismissed(uow, "invoice", {r.id for r in invoice_rows})
    rows: list[HeldBack] = []
    #: Each held-back invoice's group phrase and sentence, for the payments applied to it.
    invoice_waits: dict[int, tuple[str, str]] = {}
    for r in invoice_rows:
        group, waits = _invoice_waits(
            triggers,
            sent=r.issued_at is not None or r.sent_at is not None,
            has_job=r.job_id is not None,
            job_finished=r[10] == "finished",
            paid=r.status == "paid",
            dismissed=r.id in dismissed,
        )
        if waits:
            named = [
                {
                    WHEN_SENT: f"invoice {r.number} is sent",
                    WHEN_FINISHED: f"job {r[9]} is finished",
                    WHEN_PAID: f"invoice {r.number} is paid in full",
                }[w]
                for w in waits
            ]
            when = "when " + " or ".join(named)
            reason = f"Goes to QuickBooks {when}."
        elif group == DISMISSED:
            when = "when sent by hand"
            reason = "Its QuickBooks alert was dismissed: it goes only when sent by hand."
        else:
            when = "when sent by hand"
            reason = "No sync setting sends it by itself: it goes when sent by hand."
        invoice_waits[r.id] = (group, when)
        rows.append(
            HeldBack("invoice", r.id, r.number, r.display_name, r.invoice_date, r.total, group, reason)
        )
    rows += _held_payments(uow, invoice_waits, customer_id)
    return tuple(rows)


def _held_payments(
    uow: UnitOfWork, invoice_waits: dict[int, tuple[str, str]], customer_id: int | None
) -> list[HeldBack]:
    where: list[ColumnElement[bool]] = [Payment.deleted_at.is_(None), _not_on_its_way("payment", Payment.id)]
    if customer_id is not None:
        where.append(Payment.customer_id == customer_id)
    payment_rows = uow.session.execute(
        select(Payment.id, Payment.reference, Customer.display_name, Payment.received_on, Payment.amount)
        .join(Customer, Customer.id == Payment.customer_id)
        .where(*where)
        .order_by(Payment.id)
    ).all()
    if not payment_rows:
        return []
    applied: dict[int, list[tuple[int, str]]] = {}
    ids = [r.id for r in payment_rows]
    for start in range(0, len(ids), 500):
        for payment_id, invoice_id, number in uow.session.execute(
            select(PaymentApplication.payment_id, Invoice.id, Invoice.number)
            .join(Invoice, Invoice.id == PaymentApplication.invoice_id)
            .where(PaymentApplication.payment_id.in_(ids[start : start + 500]))
            .order_by(PaymentApplication.payment_id, Invoice.id)
        ):
            applied.setdefault(payment_id, []).append((invoice_id, number))
    dismissed = _dismissed(uow, "payment", set(ids))
    rows: list[HeldBack] = []
    for r in payment_rows:
        invoices = applied.get(r.id, [])
        held_invoice = next(((i, n) for i, n in invoices if i in invoice_waits), None)
        if r.id in dismissed:
            group, reason = DISMISSED, "Its QuickBooks alert was dismissed: it goes only when sent by hand."
        elif not invoices:
            group = WHEN_APPLIED
            reason = "Not applied to an invoice yet: it goes when applied to one that goes to QuickBooks."
        elif held_invoice is not None:
            group, when = invoice_waits[held_invoice[0]]
            reason = f"Goes with invoice {held_invoice[1]}, {when}."
        else:
            # Its invoice is in QuickBooks or queued, yet the payment is not (e.g. queued
            # before these rules existed): only a person's Send now will send it.
            group, reason = BY_HAND, "No sync setting sends it by itself: it goes when sent by hand."
        rows.append(
            HeldBack(
                "payment", r.id, r.reference or "—", r.display_name, r.received_on, r.amount, group, reason
            )
        )
    return rows


def summarize(rows: tuple[HeldBack, ...]) -> HeldBackSummary:
    groups: dict[str, int] = {}
    for row in rows:
        groups[row.waits_for] = groups.get(row.waits_for, 0) + 1
    ordered = sorted(groups.items(), key=lambda g: (-g[1], g[0]))
    return HeldBackSummary(
        invoices=sum(1 for r in rows if r.entity_type == "invoice"),
        payments=sum(1 for r in rows if r.entity_type == "payment"),
        groups=tuple(ordered),
    )


def held_back_summary(uow: UnitOfWork) -> HeldBackSummary:
    return summarize(list_held_back(uow))


def send_held_back(uow: UnitOfWork) -> int:
    """ "Send now": queue every held-back record (an invoice with its payments); how many queued."""
    count = 0
    for row in list_held_back(uow):
        if row.entity_type == "invoice":
            count += enqueue_invoice(uow, row.entity_id, urgent=True, changed=False)
        elif not _on_its_way(uow, "payment", row.entity_id):
            enqueue(uow, "payment", row.entity_id, urgent=True)
            count += 1
    return count


def _on_its_way(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    """Queued meanwhile (by its invoice) in this same transaction."""
    return has_pending_upsert(uow, entity_type, entity_id)
