"""Credit memos: create (lines from the price book), edit, void.

Editing one already in QuickBooks is for an admin (as for invoices and voiding); the edit
is queued and goes there as a change of the whole credit memo, also when QuickBooks is
adding it right now (then after that answer).

Applying a credit to invoices is in ``credit_applications``; what a credit memo looks
like (details, lists) in ``credit_memo_details``. Totals come from the code invoices use
(``domain.totals`` via ``lines.totals_for``), so a credit of the same lines is the same
amount as the invoice it offsets. Everything is checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from desktop_app.db.credit_models import CreditMemo, CreditMemoLine
from desktop_app.db.models import Customer, Invoice, Job
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, format_money
from desktop_app.domain.status import CreditReason, CreditStatus, JobStatus
from desktop_app.domain.totals import Totals, compute_totals
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services.common import audit, check_date, clean_text, diff, get, locked, require_admin
from desktop_app.services.credit_memo_details import (
    ENTITY,
    CreditMemoDetail,
    applied_of,
    credit_detail,
    refresh_credit_status,
)
from desktop_app.services.credit_numbers import next_credit_number
from desktop_app.services.credit_sync import (
    applied_in_quickbooks,
    applied_with_links_only,
    looked_up_by_a_person,
    queue_credit_memo_for_quickbooks,
    remember_whose,
)
from desktop_app.services.events import record_event
from desktop_app.services.invoice_details import refresh_status, refuse_if_deposit_credited
from desktop_app.services.lines import (
    CheckedLine,
    LineInput,
    apply_lines,
    check_lines,
    lines_summary,
    tax_rate,
)
from desktop_app.services.qb_links import in_quickbooks

#: Room left in QuickBooks' 4,095-character Memo for a marker the sync may add.
MAX_CREDIT_MEMO = 4000


@dataclass(frozen=True)
class CreditMemoFields:
    """A credit memo as its form submits it."""

    customer_id: int
    reason: str
    lines: tuple[LineInput, ...]
    job_id: int | None = None
    credit_date: date | None = None
    memo: str = ""


def _reason(value: object) -> CreditReason:
    try:
        return CreditReason(str(value))
    except ValueError:
        raise ValidationError(
            "reason", "Choose why the customer is credited: refund, discount or warranty."
        ) from None


def _customer_and_job(uow: UnitOfWork, customer_id: object, job_id: object) -> tuple[Customer, Job | None]:
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        raise ValidationError("customer_id", "Choose the customer to credit.")
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise ValidationError("customer_id", "That customer was not found; it may have been deleted.")
    if not customer.active:
        raise ValidationError(
            "customer_id", f"{customer.display_name} is inactive; reactivate the customer first."
        )
    if job_id is None:
        return customer, None
    if not isinstance(job_id, int) or isinstance(job_id, bool):
        raise ValidationError("job_id", "That job was not found.")
    job = uow.session.get(Job, job_id)
    if job is None:
        raise ValidationError("job_id", "That job was not found; it may have been deleted.")
    if job.customer_id != customer.id:
        raise ValidationError(
            "job_id", f"Job {job.number} belongs to another customer than {customer.display_name}."
        )
    if job.status == JobStatus.CANCELLED.value:
        raise ValidationError("job_id", f"Job {job.number} is cancelled; credit the customer instead.")
    return customer, job


def _checked_lines(uow: UnitOfWork, lines: Sequence[LineInput]) -> list[CheckedLine]:
    checked = check_lines(uow, lines)
    if not checked:
        raise ValidationError("lines", "Add at least one line: what the customer is credited for.")
    return checked


def _totals(checked: list[CheckedLine], rate: Decimal) -> Totals:
    """The totals the lines come to at ``rate`` (nothing written: checked first)."""
    totals = compute_totals(((line.amount, line.taxable) for line in checked), rate)
    if totals.total <= 0:
        raise ValidationError("lines", "A credit memo must credit more than $0.00.")
    return totals


def _set_lines_and_totals(credit: CreditMemo, checked: list[CheckedLine], rate: Decimal) -> None:
    """The lines and totals at ``rate``: today's rate (or none, for a tax-exempt customer)
    when the credit is made, and the one it was made with ever after, as an invoice keeps
    its own (an edit of its memo must not re-price it, here or in QuickBooks)."""
    totals = _totals(checked, rate)
    credit.lines = apply_lines(list(credit.lines), checked, CreditMemoLine)
    credit.subtotal = totals.subtotal
    credit.tax_rate = rate
    credit.tax = totals.tax
    credit.total = totals.total


def _credit_date(value: object) -> date:
    when = check_date(value, "credit_date", label="Credit date")
    return when if when is not None else date.today()


def create_credit_memo(uow: UnitOfWork, values: CreditMemoFields) -> CreditMemoDetail:
    """A new open credit memo for a customer or one of its jobs; queued for QuickBooks."""
    customer, job = _customer_and_job(uow, values.customer_id, values.job_id)
    reason = _reason(values.reason)
    when = _credit_date(values.credit_date)
    memo = clean_text(values.memo, "memo", max_length=MAX_CREDIT_MEMO)
    checked = _checked_lines(uow, values.lines)
    credit = CreditMemo(
        number="",
        customer_id=customer.id,
        job_id=job.id if job is not None else None,
        credit_date=when,
        reason=reason.value,
        memo=memo,
        status=CreditStatus.OPEN.value,
    )
    _set_lines_and_totals(credit, checked, ZERO if customer.tax_exempt else tax_rate(uow))
    # The number is taken last: a refused credit memo leaves no gap in the numbering.
    credit.number = next_credit_number(uow)
    uow.session.add(credit)
    uow.flush()
    audit(
        uow,
        "create",
        ENTITY,
        credit.id,
        summary=f"Credit memo {credit.number} of {format_money(credit.total)} for {customer.display_name}",
        changes={
            "total": [None, str(credit.total)],
            "reason": [None, reason.value],
            "lines": [None, lines_summary(credit.lines)],
        },
    )
    record_event(uow, "credit_memo.created", ENTITY, credit.id)
    queue_credit_memo_for_quickbooks(uow, credit.id)
    return credit_detail(uow, credit)


def _live(uow: UnitOfWork, credit_id: int) -> CreditMemo:
    # Locked, as applying it is: an edit checked against what was applied before someone's
    # application (PostgreSQL) could lower the total below what is applied.
    credit = locked(uow, CreditMemo, credit_id, "Credit memo")
    if credit.status == CreditStatus.VOID.value:
        raise InvalidTransition(f"Credit memo {credit.number} is void; a void credit memo cannot be changed.")
    return credit


#: Said when the credit memo changed after the person opened it (optimistic concurrency).
CHANGED_MEANWHILE = (
    "Another user changed this credit memo after you opened it. Reload it to see their changes."
)


def _refuse_move_while_applied(uow: UnitOfWork, credit: CreditMemo) -> None:
    """A credit moves to another job only once it is applied nowhere, here or in QuickBooks:
    there the $0.00 payment applying it is the old job's, and changed to apply it to the new
    job's invoices, QuickBooks would refuse it (another Customer:Job)."""
    if credit.applications:
        why = "Unapply this credit from its invoices before moving it to another job."
    elif applied_with_links_only(uow, credit.id):
        why = (
            f"QuickBooks applied credit memo {credit.number} to the old job's invoices directly, and "
            "JobDesk cannot take that back there. Void this credit memo and make a new one for the "
            "other job."
        )
    elif looked_up_by_a_person(uow, credit.id):
        why = (
            f"JobDesk could not find out whether QuickBooks applied credit memo {credit.number} (the "
            "answer to it was lost), and its alert in the Sync centre needs an answer first. Then save "
            "it unapplied on its own job, let the next sync take it off there, and move it."
        )
    elif applied_in_quickbooks(uow, credit.id):
        why = (
            f"Credit memo {credit.number} is still applied to invoices in QuickBooks. Save it "
            "unapplied on its own job first and let the next sync take it off there; then move it "
            "to another job."
        )
    else:
        return
    raise ValidationError("job_id", why)


def update_credit_memo(
    uow: UnitOfWork, credit_id: int, expected_version: int, values: CreditMemoFields
) -> CreditMemoDetail:
    """Change a live credit memo (its customer stays the same); one already in QuickBooks is
    changed by an admin only, and the change is queued for QuickBooks."""
    credit = _live(uow, credit_id)
    if in_quickbooks(uow, ENTITY, credit.id):
        require_admin(uow, f"edit credit memo {credit.number}, which is already in QuickBooks")
    if expected_version != credit.version:
        raise Conflict(CHANGED_MEANWHILE)
    if values.customer_id != credit.customer_id:
        raise ValidationError(
            "customer_id", "A credit memo's customer cannot be changed; void it and make a new one."
        )
    _customer, job = _customer_and_job(uow, values.customer_id, values.job_id)
    reason = _reason(values.reason)
    when = _credit_date(values.credit_date)
    memo = clean_text(values.memo, "memo", max_length=MAX_CREDIT_MEMO)
    checked = _checked_lines(uow, values.lines)
    new_job = job.id if job is not None else None
    if new_job != credit.job_id:
        _refuse_move_while_applied(uow, credit)
    before = {
        "job_id": credit.job_id,
        "credit_date": credit.credit_date,
        "reason": credit.reason,
        "memo": credit.memo,
        "total": credit.total,
        "lines": lines_summary(credit.lines),
    }
    applied = applied_of(credit)
    rate = Decimal(credit.tax_rate)
    new_total = _totals(checked, rate).total
    if new_total < applied:
        raise ValidationError(
            "lines",
            f"{format_money(applied)} of this credit is applied to invoices, more than its new total "
            f"{format_money(new_total)}. Unapply some of it first.",
        )
    if new_job != credit.job_id:
        remember_whose(uow, credit)
    _set_lines_and_totals(credit, checked, rate)
    credit.job_id, credit.credit_date, credit.reason, credit.memo = new_job, when, reason.value, memo
    refresh_credit_status(credit)
    uow.flush()
    after = {
        **before,
        "job_id": credit.job_id,
        "credit_date": when,
        "reason": reason.value,
        "memo": memo,
        "total": credit.total,
        "lines": lines_summary(credit.lines),
    }
    changes = diff(before, after)
    if changes:
        audit(
            uow, "update", ENTITY, credit.id, summary=f"Credit memo {credit.number} edited", changes=changes
        )
        record_event(uow, "credit_memo.updated", ENTITY, credit.id)
        queue_credit_memo_for_quickbooks(uow, credit.id)
    return credit_detail(uow, credit)


def void_credit_memo(uow: UnitOfWork, credit_id: int, reason: str = "") -> CreditMemoDetail:
    """Void: its applications are freed (the invoices owe that again); the number stays taken."""
    # Locked: an application committed meanwhile is freed too, never left on a void credit.
    credit = locked(uow, CreditMemo, credit_id, "Credit memo")
    if credit.status == CreditStatus.VOID.value:
        raise InvalidTransition(f"Credit memo {credit.number} is already void.")
    if in_quickbooks(uow, ENTITY, credit.id):
        require_admin(uow, f"void credit memo {credit.number}, which is already in QuickBooks")
    why = clean_text(reason, "reason", max_length=255)
    freed = [(get(uow, Invoice, a.invoice_id, "Invoice"), a.amount) for a in credit.applications]
    for invoice, _amount in freed:
        refuse_if_deposit_credited(uow, invoice, f"voiding credit memo {credit.number}")
    credit.applications.clear()
    credit.status = CreditStatus.VOID.value
    credit.voided_at = utcnow()
    credit.void_reason = why
    uow.flush()
    for invoice, _amount in freed:
        refresh_status(uow, invoice)
    audit(
        uow,
        "void",
        ENTITY,
        credit.id,
        summary=f"Credit memo {credit.number} voided",
        changes={
            "status": ["open", "void"],
            "void_reason": ["", why],
            "unapplied": [[f"{i.number} {a}" for i, a in freed], None],
        },
    )
    record_event(uow, "credit_memo.voided", ENTITY, credit.id)
    queue_credit_memo_for_quickbooks(uow, credit.id, "void")
    return credit_detail(uow, credit)
