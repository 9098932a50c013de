"""Applying a credit memo to open invoices, in part or in full, and taking it back.

An application is refused (nothing changed) when it is more than the credit has left, more
than the invoice's balance, or for an invoice QuickBooks would not take the credit on (void,
another Customer:Job). The invoice's balance then counts it (``invoice_details.balance_of``),
so every screen and the PDF agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from desktop_app.db.credit_models import CreditApplication, CreditMemo
from desktop_app.db.models import Invoice, Job
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, format_money, parse_money
from desktop_app.domain.status import CreditStatus, InvoiceStatus
from desktop_app.errors import InvalidTransition, ValidationError
from desktop_app.services.common import audit, get, locked
from desktop_app.services.credit_memo_details import (
    ENTITY,
    CreditMemoDetail,
    credit_detail,
    refresh_credit_status,
    remaining_of,
    same_quickbooks_customer,
)
from desktop_app.services.credit_sync import queue_credit_memo_for_quickbooks
from desktop_app.services.events import record_event
from desktop_app.services.invoice_details import balance_of, refresh_status, refuse_if_deposit_credited


def _live_credit(uow: UnitOfWork, credit_id: int) -> CreditMemo:
    credit = locked(uow, CreditMemo, credit_id, "Credit memo")
    if credit.status == CreditStatus.VOID.value:
        raise InvalidTransition(f"Credit memo {credit.number} is void; a void credit cannot be applied.")
    return credit


def _whose(uow: UnitOfWork, credit: CreditMemo) -> str:
    if credit.job_id is None:
        return "the customer itself (no job)"
    job = get(uow, Job, credit.job_id, "Job")
    return f"job {job.number}"


def _check(
    uow: UnitOfWork, credit: CreditMemo, invoice_id: int, amount: object, left: Decimal, pending: Decimal
) -> tuple[Invoice, Decimal]:
    value = parse_money(amount, "amount")
    if value <= 0:
        raise ValidationError("amount", "The amount to apply must be more than zero.")
    invoice = locked(uow, Invoice, invoice_id, "Invoice")
    if invoice.status == InvoiceStatus.VOID.value:
        raise InvalidTransition(f"Invoice {invoice.number} is void; a credit cannot be applied to it.")
    if invoice.customer_id != credit.customer_id:
        raise ValidationError(
            "invoice_id", f"Invoice {invoice.number} belongs to another customer than this credit memo."
        )
    if not same_quickbooks_customer(credit, invoice):
        raise ValidationError(
            "invoice_id",
            f"Credit memo {credit.number} is for {_whose(uow, credit)}; invoice {invoice.number} is not. "
            "QuickBooks applies a credit only to invoices of the same customer or job.",
        )
    if invoice.credited_to_invoice_id is not None:
        raise InvalidTransition(
            f"Deposit {invoice.number} is credited to another invoice; apply the credit to that one."
        )
    balance = balance_of(uow, invoice) - pending
    if value > balance:
        raise ValidationError(
            "amount",
            f"Invoice {invoice.number} has a balance of {format_money(balance)}; {format_money(value)} is "
            "more than that.",
        )
    if value > left:
        raise ValidationError(
            "amount",
            f"Only {format_money(left)} of credit memo {credit.number} is left to apply; "
            f"{format_money(value)} is more.",
        )
    return invoice, value


def apply_credit(
    uow: UnitOfWork, credit_id: int, applications: Sequence[tuple[int, object]]
) -> CreditMemoDetail:
    """Apply parts of a credit to invoices: ``[(invoice id, amount), …]``, all or nothing."""
    credit = _live_credit(uow, credit_id)
    if not applications:
        raise ValidationError("amount", "Choose an invoice and the amount of credit to apply to it.")
    left = remaining_of(credit)
    pending: dict[int, Decimal] = {}
    checked: list[tuple[Invoice, Decimal]] = []
    for invoice_id, amount in applications:
        invoice, value = _check(uow, credit, invoice_id, amount, left, pending.get(invoice_id, ZERO))
        checked.append((invoice, value))
        left -= value
        pending[invoice.id] = pending.get(invoice.id, ZERO) + value
    for invoice, value in checked:
        existing = next((a for a in credit.applications if a.invoice_id == invoice.id), None)
        if existing is not None:
            existing.amount += value
        else:
            credit.applications.append(CreditApplication(invoice_id=invoice.id, amount=value))
        refresh_status(uow, invoice)
        audit(
            uow,
            "apply",
            ENTITY,
            credit.id,
            summary=f"{format_money(value)} of credit {credit.number} applied to invoice {invoice.number}",
            changes={"invoice": [None, invoice.number], "amount": [None, str(value)]},
        )
    refresh_credit_status(credit)
    record_event(uow, "credit_memo.applied", ENTITY, credit.id)
    queue_credit_memo_for_quickbooks(uow, credit.id)
    return credit_detail(uow, credit)


def unapply_credit(
    uow: UnitOfWork, credit_id: int, invoice_id: int, amount: object = None
) -> CreditMemoDetail:
    """Take back all (or ``amount``) of what a credit applied to an invoice; the invoice owes it again."""
    credit = _live_credit(uow, credit_id)
    application = next((a for a in credit.applications if a.invoice_id == invoice_id), None)
    if application is None:
        raise ValidationError("invoice_id", "This credit memo is not applied to that invoice.")
    invoice = get(uow, Invoice, invoice_id, "Invoice")
    refuse_if_deposit_credited(uow, invoice, "taking the credit back")
    value = application.amount if amount is None else parse_money(amount, "amount")
    if value <= 0 or value > application.amount:
        raise ValidationError(
            "amount", f"Between $0.01 and {format_money(application.amount)} can be unapplied."
        )
    if value == application.amount:
        credit.applications.remove(application)
    else:
        application.amount -= value
    uow.flush()
    refresh_status(uow, invoice)
    refresh_credit_status(credit)
    audit(
        uow,
        "unapply",
        ENTITY,
        credit.id,
        summary=f"{format_money(value)} of credit {credit.number} unapplied from invoice {invoice.number}",
        changes={"invoice": [invoice.number, None], "amount": [str(value), None]},
    )
    record_event(uow, "credit_memo.unapplied", ENTITY, credit.id)
    queue_credit_memo_for_quickbooks(uow, credit.id)
    return credit_detail(uow, credit)
