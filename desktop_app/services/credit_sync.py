"""Queueing credit memos for QuickBooks, the way invoices are queued on issue and void.

The queue (``sync_queue``) knows a record kind only once it is registered in
``record_kinds`` (with its engine module in ``qbwc_server.sync.kinds``); until the
credit-memo kind is, ``enqueue`` refuses "credit_memo" with a ``ValidationError``, and
saving a credit memo must not fail because of that. So the call
stays here, behind one named function: it queues as soon as the kind is known and reports
whether it did.
"""

from __future__ import annotations

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.uow import UnitOfWork
from desktop_app.services import record_kinds, sync_queue

ENTITY = "credit_memo"
#: A credit memo's applications to invoices (a QuickBooks transaction of their own).
APPLIED = "credit_application"


def credit_memo_kind_is_known(action: str = "upsert") -> bool:
    """Whether the QuickBooks queue can take credit memos (the sync kind is registered)."""
    kind = record_kinds.KINDS.get(ENTITY)
    return kind is not None and action in kind.actions


def queue_credit_memo_for_quickbooks(uow: UnitOfWork, credit_id: int, action: str = "upsert") -> bool:
    """Queue the credit memo's add/change ("upsert", with its applications) or its "void".

    Returns False, queueing nothing, while the sync engine has no credit-memo kind.
    """
    if not credit_memo_kind_is_known(action):
        return False
    if action == "void":
        sync_queue.cancel_pending(uow, ENTITY, credit_id)
        # A void credit is applied to nothing: an application still waiting must not pull the
        # credit memo's Add after it (QuickBooks would then hold a live credit).
        sync_queue.cancel_pending(uow, APPLIED, credit_id)
        # Still pending once the queued Add is cancelled: it is on its way (sent), and the void
        # goes once QuickBooks has it.
        on_its_way = sync_queue.has_pending_upsert(uow, ENTITY, credit_id)
        if not sync_queue.is_linked(uow, ENTITY, credit_id) and not on_its_way:
            return False  # never reached QuickBooks: nothing there to void
    sync_queue.enqueue(uow, ENTITY, credit_id, action, urgent=action == "void")
    if action == "upsert" and APPLIED in record_kinds.KINDS:
        # What it is applied to goes as its own QuickBooks transaction, after it and the invoices.
        credit = uow.session.get(CreditMemo, credit_id)
        if credit is not None and (credit.applications or sync_queue.is_linked(uow, APPLIED, credit_id)):
            sync_queue.enqueue(uow, APPLIED, credit_id)
    return True
