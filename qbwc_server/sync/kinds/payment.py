"""Payments received: after the invoices they pay; found after a lost answer by their memo marker."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from desktop_app.db.models import Invoice, Payment, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import PENDING, Action, Phase, QueueState
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import (
    Dep,
    NothingToSend,
    SyncKind,
    carried_values,
    possible_values,
    synced_values,
)

#: The synced value naming the invoices (our ids) the payment was applied to when QuickBooks
#: last took it: one unapplied since is taken back there by name (``_taken_back``).
APPLIED_TO = "AppliedTo"
#: The synced value saying how much of it QuickBooks has on each of those invoices
#: ("id=amount,…"): one lowered since makes room there only once its change is there
#: (``payments_making_room``). Links stored before it was kept do not have it.
APPLIED_AMOUNTS = "AppliedAmounts"


#: Where the dates a payment went to QuickBooks with are kept (``Built.extra``, in the item's
#: ``sent_context``, carried from one lookup to the next): found by its marker, it is looked
#: for on those days and today's date of it, so a date changed after a lost answer does not
#: hide the one QuickBooks saved (it would be added twice).
SENT_DATES = "txn_dates_sent"


def sent_dates(item: SyncItem) -> set[date]:
    try:
        context = json.loads(item.sent_context or "{}")
        listed = context.get("extra", {}).get(SENT_DATES, [])
        return {date.fromisoformat(text) for text in listed if isinstance(text, str)}
    except (ValueError, AttributeError, TypeError):
        return set()  # not readable: today's date alone, as before dates were kept


def dated(dates: Iterable[date]) -> dict[str, Any]:
    """The ``Built.extra`` keeping these dates."""
    return {SENT_DATES: sorted({day.isoformat() for day in dates})}


def marker_lookup(item: SyncItem, request_id: str, today: date) -> Built:
    """The payments of the days the item's payment may carry in QuickBooks (its marker, in the
    memo, tells which is ours: ``found``)."""
    days = sent_dates(item) | {today}
    request = q.txn_query(
        "ReceivePaymentQueryRq",
        request_id,
        from_txn_date=min(days),
        to_txn_date=max(days),
        include_line_items=False,
    )
    return Built(item.phase, request, carried_values(item), dated(days))


def _ids(text: str | None) -> set[int]:
    return {int(part) for part in (text or "").split(",") if part.isdigit()}


def _applied_there(link: QbLink) -> set[int]:
    """The invoices QuickBooks may have the payment applied to (after a lost answer, what it
    had or what was sent: both)."""
    return _applied_in(synced_values(link))


def _applied_in(values: dict[str, str]) -> set[int]:
    there = values.get(APPLIED_TO, "")
    possible = possible_values(there)
    return set().union(*(_ids(v) for v in possible)) if possible is not None else _ids(there)


def _known_there(link: QbLink) -> bool:
    """Whether the link says which invoices QuickBooks has the payment applied to (not a link
    of an older JobDesk, of a lookup or of a payment entered there, nor one a lost answer left
    unknown)."""
    there = synced_values(link).get(APPLIED_TO)
    return there is not None and possible_values(there) is None


def amounts_text(amounts: Iterable[tuple[int, Decimal]]) -> str:
    """``APPLIED_AMOUNTS``' text: what is applied to each invoice (our ids)."""
    total: dict[int, Decimal] = {}
    for invoice_id, amount in amounts:
        total[invoice_id] = total.get(invoice_id, Decimal("0.00")) + amount
    return ",".join(f"{invoice_id}={amount}" for invoice_id, amount in sorted(total.items()))


def _amounts(text: str) -> dict[int, Decimal] | None:
    """``APPLIED_AMOUNTS``' text read back; None when it is not ours to read."""
    found: dict[int, Decimal] = {}
    for part in filter(None, text.split(",")):
        invoice_id, _, amount = part.partition("=")
        try:
            found[int(invoice_id)] = Decimal(amount)
        except (ValueError, ArithmeticError):
            return None
    return found


def most_applied_in(values: dict[str, str]) -> dict[int, Decimal] | None:
    """Per invoice, the most QuickBooks may have the payment apply there, by the values it
    has there (after a lost answer, the larger of what it had and what was sent); None when
    that is not known."""
    there = values.get(APPLIED_AMOUNTS)
    if there is None:
        return None
    possible = possible_values(there)
    if possible is None:
        return _amounts(there)
    most: dict[int, Decimal] = {}
    for value in possible:
        amounts = None if value is None else _amounts(value)
        if amounts is None:
            return None
        for invoice_id, amount in amounts.items():
            most[invoice_id] = max(amount, most.get(invoice_id, amount))
    return most


def _lowered(there_values: dict[str, str], ours: Payment, invoice_ids: set[int]) -> bool:
    """Whether the payment, as it is here, applies less to one of these invoices than
    QuickBooks may have it apply there, by the values it has there (not known how much: it may)."""
    there = _applied_in(there_values) & invoice_ids
    if not there:
        return False
    most = most_applied_in(there_values)
    if most is None:
        return True
    here: dict[int, Decimal] = {}
    for application in ours.applications:
        here[application.invoice_id] = here.get(application.invoice_id, Decimal("0.00")) + application.amount
    return any(
        invoice_id not in most or here.get(invoice_id, Decimal("0.00")) < most[invoice_id]
        for invoice_id in there
    )


def _taken_off(session: Session, link: QbLink, payment_id: int) -> set[int]:
    """Invoices QuickBooks may have the payment applied to and ours no longer is (a payment
    deleted here: all of them)."""
    ours = session.get(Payment, payment_id)
    if ours is None or ours.deleted_at is not None:
        return _applied_there(link)
    return _applied_there(link) - {application.invoice_id for application in ours.applications}


#: Phases of an item whose Add may have reached QuickBooks (its answer was lost, or its name
#: was in use): it is looked up before anything else.
_LOOKED_UP_AGAIN = (Phase.VERIFY, Phase.CLAIM)


def payments_making_room(session: Session, invoice_ids: set[int]) -> list[Dep]:
    """Payments whose change still to reach QuickBooks takes them off one of these invoices,
    or lowers what they apply there: what is applied there instead (a credit) waits for it,
    as QuickBooks takes only what an invoice still owes. A payment deleted goes earlier in
    the queue (by its rank), and is waited for too when its deletion is held up. (A payment
    raised there waits for nothing: a credit lowered to make room for it goes first, by rank.)"""
    if not invoice_ids:
        return []
    pending = session.execute(
        select(SyncItem.id, SyncItem.entity_id, SyncItem.action, SyncItem.state, SyncItem.phase).where(
            SyncItem.entity_type == "payment",
            SyncItem.action.in_((Action.UPSERT, Action.DELETE)),
            SyncItem.state.in_(PENDING),
        )
    ).all()
    # Not linked, but maybe in QuickBooks all the same, as its Add went (its answer was lost:
    # looked up before it goes again; or out now): its item.
    maybe_there = {
        row.entity_id: row.id
        for row in pending
        if row.action == Action.UPSERT and (row.state == QueueState.SENT or row.phase in _LOOKED_UP_AGAIN)
    }
    customers = set(session.scalars(select(Invoice.customer_id).where(Invoice.id.in_(sorted(invoice_ids)))))
    making_room: list[Dep] = []
    for payment_id in dict.fromkeys(row.entity_id for row in pending):
        if payment_id is None:
            continue
        link = m.link_of(session, "payment", payment_id)
        ours = session.get(Payment, payment_id)
        if ours is None or ours.customer_id not in customers:
            continue
        if link is None:
            item = session.get(SyncItem, maybe_there[payment_id]) if payment_id in maybe_there else None
            sent = None if item is None else carried_values(item)
            # (Its Add's values unknown, from an older JobDesk: it may make room.)
            if sent is not None and (APPLIED_TO not in sent or _lowered(sent, ours, invoice_ids)):
                making_room.append(("payment", payment_id))
            continue
        # Not known where QuickBooks has it applied: it may be there (waiting costs a message).
        if (
            not _known_there(link)
            or _taken_off(session, link, payment_id) & invoice_ids
            or _lowered(synced_values(link), ours, invoice_ids)
        ):
            making_room.append(("payment", payment_id))
    return making_room


def _taken_back(session: Session, link: QbLink, ours: Payment) -> tuple[q.AppliedPayment, ...]:
    """An application of 0.00 for each invoice QuickBooks may still have the payment applied
    to and ours no longer is: a Mod lists what it applies, and one listing nothing (a payment
    unapplied from every invoice) would leave QuickBooks' applications as they were. After a
    lost answer either list may be QuickBooks': both are taken back where ours is not."""
    back = []
    for invoice_id in sorted(_taken_off(session, link, ours.id)):
        invoice_link = m.link_of(session, "invoice", invoice_id)
        if invoice_link is not None:
            back.append(q.AppliedPayment(txn_id=invoice_link.qb_id, payment_amount=Decimal("0.00")))
    return tuple(back)


def _customer_there(session: Session, link: QbLink) -> q.Ref | None:
    """Unapplied from every invoice, the payment stays with the Customer:Job QuickBooks has
    it under (that of the invoices it is taken off): a payment of another one cannot name
    them, even at 0.00."""
    refs = set()
    for invoice_id in _applied_there(link):
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None:
            refs.add(m.invoice_customer_ref(session, invoice))
    return refs.pop() if len(refs) == 1 else None


def payment(session: Session, record_id: int) -> Payment:
    found = session.get(Payment, record_id)
    if found is None:
        raise LookupError(f"payment #{record_id} is gone")
    return found


class PaymentKind(SyncKind):
    name = "payment"
    query_tag = "ReceivePaymentQueryRq"
    children: ClassVar[tuple[Any, ...]] = (selectinload(Payment.applications),)

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        found = session.get(Payment, record_id)
        if found is None:
            return [], []
        txns = list(dict.fromkeys(("invoice", a.invoice_id) for a in found.applications))
        return [("customer", found.customer_id)], txns

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        return [("customer", record.customer_id), *(("invoice", a.invoice_id) for a in record.applications)]

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        ours = payment(session, record_id)
        if ours.deleted_at is not None:
            # Deleted here: its deletion, a step of its own (earlier in the queue), takes it
            # out of QuickBooks. A change still queued (one sent again after a lost answer)
            # has nothing left to do, and must not add it back once its link is gone.
            raise NothingToSend
        fields = m.payment_fields(session, ours)
        applied_to = ",".join(str(i) for i in sorted({a.invoice_id for a in ours.applications}))
        values = {
            "TotalAmount": str(ours.amount),
            APPLIED_TO: applied_to,
            APPLIED_AMOUNTS: amounts_text((a.invoice_id, a.amount) for a in ours.applications),
        }
        if link is None:
            return Built(
                Phase.ADD, q.receive_payment_add(request_id, fields), values, dated([ours.received_on])
            )
        if not fields.applications and not _known_there(link):
            # Taken off every invoice, and where QuickBooks has it applied is not known: read
            # it first (``learn``), then name each of those at 0.00.
            return Built(Phase.REFRESH, self.query_by_id(request_id, link.qb_id))
        # A Mod naming invoices replaces what the payment applied; one naming none leaves it
        # as it was, so then each invoice it is taken off is named at 0.00.
        back = () if fields.applications else _taken_back(session, link, ours)
        if back:
            customer = fields.customer if fields.applications else _customer_there(session, link)
            fields = dataclasses.replace(
                fields, customer=customer or fields.customer, applications=fields.applications + back
            )
        request = q.receive_payment_mod(request_id, link.qb_id, link.edit_sequence, fields)
        return Built(Phase.MOD, request, values)

    def learn(self, session: Session, record: q.Record, synced: dict[str, str]) -> None:
        """Re-read from QuickBooks: the invoices it has the payment applied to (ours of them)."""
        lines = [line for line in record.lines("AppliedToTxnRet") if line.txn_id]
        there = {line.txn_id for line in lines}
        rows = session.execute(
            select(QbLink.qb_id, QbLink.entity_id).where(
                QbLink.entity_type == "invoice", QbLink.qb_id.in_(sorted(there))
            )
        )
        ours: dict[str, int] = {qb_id: entity_id for qb_id, entity_id in rows}
        synced[APPLIED_TO] = ",".join(str(i) for i in sorted(set(ours.values())))
        amounts = [(ours[line.txn_id], line.decimal("Amount")) for line in lines if line.txn_id in ours]
        if all(amount is not None for _invoice, amount in amounts):
            synced[APPLIED_AMOUNTS] = amounts_text((i, a) for i, a in amounts if a is not None)
        else:
            synced.pop(APPLIED_AMOUNTS, None)  # not told how much: not known

    def delete_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        return q.txn_del(request_id, link.qb_id, "ReceivePayment")

    def lookup_built(self, session: Session, item: SyncItem, request_id: str) -> Built:
        return marker_lookup(item, request_id, payment(session, item.entity_id or 0).received_on)

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        marker = m.payment_marker(payment(session, item.entity_id or 0))
        return [r for r in records if marker in (r.get("Memo") or "")]
