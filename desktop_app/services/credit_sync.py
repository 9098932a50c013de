"""Queueing credit memos for QuickBooks, the way invoices are queued on issue and void.

A credit memo goes as its own record ("credit_memo": its Add or Mod, or its void) and
where it is applied as another ("credit_application": the $0.00 payment that applies it
in QuickBooks), each in the order ``record_kinds`` gives them; this module says which to
queue when a credit memo is saved, applied or voided.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO
from desktop_app.services import record_kinds, sync_queue
from desktop_app.services.queue_states import LOOKS_UP, NEEDS_ATTENTION, PENDING, QueueState

ENTITY = "credit_memo"
#: A credit memo's applications to invoices (a QuickBooks transaction of their own).
APPLIED = "credit_application"
#: The rank of an application that goes before its credit memo's change (record_kinds gives
#: the credit memo 57 and its applications 59): see ``_order_application``.
APPLIED_BEFORE_CREDIT_RANK = 56


def queue_credit_memo_for_quickbooks(uow: UnitOfWork, credit_id: int, action: str = "upsert") -> bool:
    """Queue the credit memo's add/change ("upsert", with its applications) or its "void".

    Returns False, queueing nothing, for the void of a credit memo that never reached
    QuickBooks (there is nothing there to void).
    """
    if action == "void":
        # An Add whose answer was lost waits to look the credit memo up (QuickBooks may have
        # it): the lookup stays, and the void follows it (as for an invoice).
        if not sync_queue.looking_up(uow, ENTITY, credit_id):
            sync_queue.cancel_pending(uow, ENTITY, credit_id)
        # A void credit is applied to nothing: an application still waiting must not pull the
        # credit memo's Add after it (QuickBooks would then hold a live credit). One whose
        # answer was lost is looked up first (the $0.00 payment may be there): found, it is
        # deleted, as a linked one is.
        if not sync_queue.looking_up(uow, APPLIED, credit_id):
            sync_queue.cancel_pending(uow, APPLIED, credit_id)
        # Linked, or on its way (still pending once the queued one is cancelled: sent).
        applied_there = sync_queue.is_linked(uow, APPLIED, credit_id)
        if applied_there or sync_queue.has_pending_upsert(uow, APPLIED, credit_id):
            # The $0.00 payment that applied it is deleted first, then the credit memo voided.
            applied = sync_queue.enqueue(uow, APPLIED, credit_id, urgent=True)
            applied.rank = APPLIED_BEFORE_CREDIT_RANK
        # Still pending once the queued Add is cancelled: it is on its way (sent), and the void
        # goes once QuickBooks has it.
        on_its_way = sync_queue.has_pending_upsert(uow, ENTITY, credit_id)
        if not sync_queue.is_linked(uow, ENTITY, credit_id) and not on_its_way:
            return False  # never reached QuickBooks: nothing there to void
    sync_queue.enqueue(uow, ENTITY, credit_id, action, urgent=action == "void")
    if action == "upsert":
        # What it is applied to goes as its own QuickBooks transaction, after it and the invoices.
        credit = uow.session.get(CreditMemo, credit_id)
        # Applied, or applied in QuickBooks (linked, or its $0.00 payment on its way there):
        # taking it off everything is a change too.
        if credit is not None and (
            credit.applications
            or sync_queue.is_linked(uow, APPLIED, credit_id)
            or sync_queue.has_pending_upsert(uow, APPLIED, credit_id)
        ):
            applied = sync_queue.enqueue(uow, APPLIED, credit_id)
            applied.rank = _order_application(uow, credit)
    return True


#: How the link of a credit QuickBooks applied with links only begins (then its credit memo's
#: TxnID): a credit-only payment may make no transaction, only links (Intuit's SDK guide).
LINKS_ONLY = "links:"

#: The synced value saying whose credit QuickBooks has it as (``whose``).
WHOSE = "CustomerJob"


def whose(credit: CreditMemo) -> str:
    """The credit's Customer:Job as a synced value: its job's, or its customer's (no job)."""
    return f"job:{credit.job_id}" if credit.job_id is not None else f"customer:{credit.customer_id}"


def applied_with_links_only(uow: UnitOfWork, credit_id: int) -> bool:
    """QuickBooks applied the credit with links only: the SDK cannot take it off there."""
    qb_id = uow.session.scalar(
        select(QbLink.qb_id).where(QbLink.entity_type == APPLIED, QbLink.entity_id == credit_id)
    )
    return qb_id is not None and qb_id.startswith(LINKS_ONLY)


def applied_in_quickbooks(uow: UnitOfWork, credit_id: int) -> bool:
    """QuickBooks has the $0.00 payment that applies the credit (linked), or may have it: its
    Add is out (the answer awaited), or its answer was lost and it is still to be looked up."""
    if sync_queue.is_linked(uow, APPLIED, credit_id):
        return True
    unknown = select(SyncItem.id).where(
        SyncItem.entity_type == APPLIED,
        SyncItem.entity_id == credit_id,
        (SyncItem.state == QueueState.SENT) | (SyncItem.phase.in_(LOOKS_UP) & SyncItem.state.in_(PENDING)),
    )
    return uow.session.scalar(unknown.limit(1)) is not None


def looked_up_by_a_person(uow: UnitOfWork, credit_id: int) -> bool:
    """Whether finding out if QuickBooks applied the credit (the lookup after a lost answer)
    waits for a person: its alert in the sync centre needs an answer before the sync goes on."""
    waiting = select(SyncItem.id).where(
        SyncItem.entity_type == APPLIED,
        SyncItem.entity_id == credit_id,
        SyncItem.phase.in_(LOOKS_UP),
        SyncItem.state.in_(NEEDS_ATTENTION),
    )
    return uow.session.scalar(waiting.limit(1)) is not None


def remember_whose(uow: UnitOfWork, credit: CreditMemo) -> None:
    """Before the credit moves to another job: whose credit QuickBooks has it as, on a link
    written before that was kept (``WHOSE``), so its change is known to go first."""
    record = (QbLink.entity_type == ENTITY, QbLink.entity_id == credit.id)
    link = uow.session.scalar(select(QbLink).where(*record))
    if link is None:
        return
    try:
        synced = json.loads(link.synced_values or "{}")
    except ValueError:
        return
    if isinstance(synced, dict) and WHOSE not in synced:
        link.synced_values = json.dumps({**synced, WHOSE: whose(credit)})


def _order_application(uow: UnitOfWork, credit: CreditMemo) -> int:
    """Where the application is queued relative to a change of the credit memo (its rank:
    the order the queue reads them in; the sync engine holds each to the order that
    ``application_goes_first`` says when it plans)."""
    default = record_kinds.kind_of(APPLIED).rank("upsert")
    return APPLIED_BEFORE_CREDIT_RANK if application_goes_first(uow.session, credit) else default


def application_goes_first(session: Session, credit: CreditMemo) -> bool:
    """Whether a change of where the credit is applied goes to QuickBooks before a change of
    the credit memo itself (else after it).

    QuickBooks refuses a credit memo whose new total is below what is applied from it there,
    and an application of more than the credit memo's total there. When what is applied now
    fits under the total QuickBooks has, the application goes first (a credit lowered after
    being unapplied); otherwise after the credit memo (a credit raised and applied more).
    One of the two orders always works: the total here is never below what is applied here.
    A credit moved to another job goes first whatever its total: QuickBooks applies it only
    to invoices of the Customer:Job it has. Worked out from what is here and what QuickBooks
    last said, whenever asked: an order written once could be out of date by the time the
    two go.
    """
    link = session.scalar(select(QbLink).where(QbLink.entity_type == ENTITY, QbLink.entity_id == credit.id))
    if link is None:
        return False  # added first: its applications need it in QuickBooks
    try:
        synced = json.loads(link.synced_values or "{}")
        if synced.get(WHOSE, whose(credit)) != whose(credit):
            return False  # moved: the credit memo's change first (a link of before: by total)
        total_there = Decimal(synced.get("Total", ""))
    except (InvalidOperation, ValueError, TypeError, AttributeError):
        return False  # not known: the usual order
    applied_here = sum((a.amount for a in credit.applications), ZERO)
    return applied_here <= total_there
