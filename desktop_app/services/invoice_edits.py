"""Editing an invoice after it is made: notes, attachments, payment methods, terms and due date.

A progress or deposit invoice's amount and due date never change (void it and make a new
one); an invoice already in QuickBooks is edited by an admin only. Every edit is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum, auto

from desktop_app.db.models import Job, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import PaymentMethod
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services.common import MAX_NOTE, audit, check_date, clean_text, require_admin
from desktop_app.services.events import record_event
from desktop_app.services.invoice_details import (
    PARTIAL_KINDS,
    InvoiceDetail,
    detail,
    in_quickbooks,
    live_invoice,
)
from desktop_app.services.terms import check_chosen_due, due_date_for, resolve_terms


class _Unset(Enum):
    UNSET = auto()


UNSET = _Unset.UNSET


def update_invoice(
    uow: UnitOfWork,
    invoice_id: int,
    *,
    expected_version: int | None = None,
    memo: str | _Unset = UNSET,
    customer_notes: str | _Unset = UNSET,
    attachments: Sequence[str] | _Unset = UNSET,
    allowed_payment_methods: Sequence[str] | _Unset = UNSET,
    terms_id: int | _Unset | None = UNSET,
    due_date: date | _Unset | None = UNSET,
    amount: object = UNSET,
) -> InvoiceDetail:
    """Edit what may change; a progress or deposit invoice's amount and due date may not."""
    invoice = live_invoice(uow, invoice_id)
    if in_quickbooks(uow, invoice.id):
        require_admin(uow, f"edit invoice {invoice.number}, which is already in QuickBooks")
    if expected_version is not None and expected_version != invoice.version:
        raise Conflict(
            "Another user changed this invoice after you opened it. Reload it to see their changes."
        )
    if amount is not UNSET:
        if invoice.kind in PARTIAL_KINDS:
            raise InvalidTransition(
                f"The amount of invoice {invoice.number} cannot be changed. Void it and create a new "
                f"invoice for the right amount."
            )
        raise ValidationError("amount", "An invoice's amount comes from its lines; change the lines.")
    if invoice.kind in PARTIAL_KINDS and (due_date is not UNSET or terms_id is not UNSET):
        raise InvalidTransition(
            f"The due date of invoice {invoice.number} cannot be changed. Void it and create a new "
            f"invoice with the right terms."
        )
    fields = ("memo", "customer_notes", "attachments", "allowed_payment_methods", "terms_id", "due_date")
    before = {name: getattr(invoice, name) for name in fields}
    # Validate everything first, then assign: a refused edit leaves the invoice untouched.
    new: dict[str, object] = {}
    if not isinstance(memo, _Unset):
        new["memo"] = clean_text(memo, "memo", max_length=4095)
    if not isinstance(customer_notes, _Unset):
        new["customer_notes"] = clean_text(customer_notes, "customer_notes", max_length=MAX_NOTE)
    if not isinstance(attachments, _Unset):
        paths = [clean_text(a, "attachments", max_length=1000) for a in attachments]
        new["attachments"] = "\n".join(p for p in paths if p)
    if not isinstance(allowed_payment_methods, _Unset):
        try:
            methods = [PaymentMethod(m).value for m in allowed_payment_methods]
        except ValueError:
            raise ValidationError(
                "allowed_payment_methods", "Choose payment methods from the list."
            ) from None
        new["allowed_payment_methods"] = ",".join(dict.fromkeys(methods))
    if not isinstance(terms_id, _Unset) or not isinstance(due_date, _Unset):
        if isinstance(terms_id, _Unset):
            terms = uow.session.get(Terms, invoice.terms_id) if invoice.terms_id is not None else None
        else:
            # An explicit None means "no terms" here, not "the company default".
            terms = resolve_terms(uow, terms_id) if terms_id is not None else None
        fixed = None if isinstance(due_date, _Unset) else check_date(due_date, "due_date")
        job = uow.session.get(Job, invoice.job_id) if invoice.job_id is not None else None
        new["due_date"] = due_date_for(terms, invoice_date=invoice.invoice_date, job=job, fixed_date=fixed)
        check_chosen_due(terms, fixed, invoice.invoice_date)
        new["terms_id"] = terms.id if terms is not None else None
    for name, value in new.items():
        setattr(invoice, name, value)
    after = {name: getattr(invoice, name) for name in fields}
    changed = {k: [str(before[k]), str(after[k])] for k in fields if before[k] != after[k]}
    if changed:
        audit(
            uow, "update", "invoice", invoice.id, summary=f"Invoice {invoice.number} edited", changes=changed
        )
        record_event(uow, "invoice.updated", "invoice", invoice.id)
        uow.flush()
    return detail(uow, invoice)
