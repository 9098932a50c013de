"""Customer payments: record, edit, apply to open invoices (in part or in full), unapply, delete.

The unapplied part of a payment is derived (amount − applications), never stored, so it
cannot drift. An application larger than the invoice's balance or than what is left on
the payment is refused; nothing is changed by a refused call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import Customer, Invoice, Payment, PaymentApplication
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, format_money, parse_money
from desktop_app.domain.status import InvoiceStatus, PaymentMethod
from desktop_app.errors import Conflict, InvalidTransition, NotFound, ValidationError
from desktop_app.services.common import audit, check_date, clean_text, diff, get, locked, require_admin
from desktop_app.services.events import record_event
from desktop_app.services.invoice_details import refuse_if_deposit_credited
from desktop_app.services.invoices import balance_of, refresh_status
from desktop_app.services.qb_links import in_quickbooks

#: A payment's memo, leaving room in QuickBooks' 4,095 for "(method) [JobDesk P123456]".
MAX_PAYMENT_MEMO = 4000
#: QuickBooks' RefNumber on a payment (the check number).
MAX_PAYMENT_REFERENCE = 20


@dataclass(frozen=True)
class ApplicationDetail:
    invoice_id: int
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentDetail:
    id: int
    version: int
    customer_id: int
    customer_name: str
    received_on: date
    amount: Decimal
    applied: Decimal
    unapplied: Decimal
    method: PaymentMethod
    reference: str
    memo: str
    origin: str
    deleted_at: datetime | None
    applications: tuple[ApplicationDetail, ...]
    #: Linked to a QuickBooks payment: only an admin may change or delete it.
    in_quickbooks: bool


def _detail(uow: UnitOfWork, payment: Payment) -> PaymentDetail:
    uow.session.flush()
    uow.session.refresh(payment, ["applications"])
    customer = get(uow, Customer, payment.customer_id, "Customer")
    apps = []
    for app in sorted(payment.applications, key=lambda a: a.id):
        invoice = get(uow, Invoice, app.invoice_id, "Invoice")
        apps.append(ApplicationDetail(app.invoice_id, invoice.number, app.amount))
    applied = sum((a.amount for a in apps), ZERO)
    return PaymentDetail(
        id=payment.id,
        version=payment.version,
        customer_id=payment.customer_id,
        customer_name=customer.display_name,
        received_on=payment.received_on,
        amount=payment.amount,
        applied=applied,
        unapplied=payment.amount - applied,
        method=PaymentMethod(payment.method),
        reference=payment.reference,
        memo=payment.memo,
        origin=payment.origin,
        deleted_at=payment.deleted_at,
        applications=tuple(apps),
        in_quickbooks=in_quickbooks(uow, "payment", payment.id),
    )


def _payment(uow: UnitOfWork, payment_id: int) -> Payment:
    payment = get(uow, Payment, payment_id, "Payment")
    if payment.deleted_at is not None:
        raise NotFound("Payment", payment_id)
    return payment


def _unapplied(payment: Payment) -> Decimal:
    return payment.amount - sum((a.amount for a in payment.applications), ZERO)


def _check_application(
    uow: UnitOfWork, customer_id: int, invoice_id: int, amount: object, left: Decimal, pending: Decimal
) -> tuple[Invoice, Decimal]:
    """Validate one application; ``pending`` is what this call already applies to the invoice."""
    value = parse_money(amount, "amount")
    if value <= 0:
        raise ValidationError("amount", "The amount to apply must be more than zero.")
    invoice = locked(uow, Invoice, invoice_id, "Invoice")  # a credit applied at once waits
    if invoice.customer_id != customer_id:
        raise ValidationError(
            "invoice_id", f"Invoice {invoice.number} belongs to another customer than this payment."
        )
    if invoice.status == InvoiceStatus.VOID.value:
        raise InvalidTransition(f"Invoice {invoice.number} is void; a void invoice cannot be paid.")
    balance = balance_of(uow, invoice) - pending
    if value > balance:
        raise ValidationError(
            "amount",
            f"Invoice {invoice.number} has a balance of {format_money(balance)}; {format_money(value)} "
            f"is more than that. The rest of the payment stays unapplied.",
        )
    if value > left:
        raise ValidationError(
            "amount",
            f"Only {format_money(left)} of this payment is left to apply; {format_money(value)} is more.",
        )
    return invoice, value


def _apply(uow: UnitOfWork, payment: Payment, invoice: Invoice, value: Decimal) -> None:
    existing = next((a for a in payment.applications if a.invoice_id == invoice.id), None)
    if existing is not None:
        existing.amount += value
    else:
        payment.applications.append(PaymentApplication(invoice_id=invoice.id, amount=value))
    refresh_status(uow, invoice)
    audit(
        uow,
        "apply",
        "payment",
        payment.id,
        summary=f"{format_money(value)} applied to invoice {invoice.number}",
        changes={"invoice": [None, invoice.number], "amount": [None, str(value)]},
    )
    record_event(uow, "payment.applied", "payment", payment.id)


def _check_amount(amount: object) -> Decimal:
    value = parse_money(amount, "amount")
    if value <= 0:
        raise ValidationError("amount", "The payment amount must be more than zero.")
    return value


def _check_method(method: object) -> PaymentMethod:
    try:
        return PaymentMethod(str(method))
    except ValueError:
        raise ValidationError("method", "Choose how the customer paid.") from None


def _check_received_on(received_on: object) -> date:
    when = check_date(received_on, "received_on", required=True, label="Date received")
    if when is None:  # required=True already refuses it; this says so to the type checker
        raise ValidationError("received_on", "Enter the date the payment was received.")
    return when


def record_payment(
    uow: UnitOfWork,
    customer_id: int,
    amount: object,
    method: str,
    received_on: date,
    reference: str = "",
    memo: str = "",
    applications: Sequence[tuple[int, object]] = (),
) -> PaymentDetail:
    """Record money received from a customer, applying parts of it to open invoices."""
    customer = get(uow, Customer, customer_id, "Customer")
    value = _check_amount(amount)
    how = _check_method(method)
    when = _check_received_on(received_on)
    checked: list[tuple[Invoice, Decimal]] = []
    left = value
    pending: dict[int, Decimal] = {}
    for invoice_id, applied in applications:
        invoice, amount_ok = _check_application(
            uow, customer.id, invoice_id, applied, left, pending.get(invoice_id, ZERO)
        )
        checked.append((invoice, amount_ok))
        left -= amount_ok
        pending[invoice.id] = pending.get(invoice.id, ZERO) + amount_ok
    payment = Payment(
        customer_id=customer.id,
        received_on=when,
        amount=value,
        method=how.value,
        reference=clean_text(reference, "reference", max_length=MAX_PAYMENT_REFERENCE),
        # QuickBooks keeps 4,095 characters; the sync adds the method and a short marker.
        memo=clean_text(memo, "memo", max_length=MAX_PAYMENT_MEMO),
    )
    uow.session.add(payment)
    uow.flush()
    audit(
        uow,
        "create",
        "payment",
        payment.id,
        summary=f"Payment of {format_money(value)} from {customer.display_name} recorded",
        changes={"amount": [None, str(value)], "method": [None, how.value]},
    )
    record_event(uow, "payment.recorded", "payment", payment.id)
    for invoice, amount_ok in checked:
        _apply(uow, payment, invoice, amount_ok)
    return _detail(uow, payment)


def update_payment(
    uow: UnitOfWork,
    payment_id: int,
    expected_version: int,
    *,
    amount: object,
    received_on: object,
    method: object,
    reference: object,
    memo: object,
) -> PaymentDetail:
    """Change what was received: amount, date, method, reference, memo.

    The amount never drops below what is already applied to invoices (unapply first). A
    payment in QuickBooks is changed by an admin only and the change is queued for it; one
    entered in QuickBooks is changed there. Everything is checked before anything changes.
    """
    payment = _payment(uow, payment_id)
    _check_changeable(uow, payment)
    if expected_version != payment.version:
        raise Conflict(
            "Another user changed this payment after you opened it. Reload it to see their changes."
        )
    new = {
        "amount": _check_amount(amount),
        "received_on": _check_received_on(received_on),
        "method": _check_method(method).value,
        "reference": clean_text(reference, "reference", max_length=MAX_PAYMENT_REFERENCE),
        "memo": clean_text(memo, "memo", max_length=MAX_PAYMENT_MEMO),
    }
    applied = sum((a.amount for a in payment.applications), ZERO)
    value = new["amount"]
    if not isinstance(value, Decimal):
        raise ValidationError("amount", "Enter the amount received.")
    if value < applied:
        numbers = ", ".join(
            get(uow, Invoice, a.invoice_id, "Invoice").number
            for a in sorted(payment.applications, key=lambda a: a.id)
        )
        raise ValidationError(
            "amount",
            f"{format_money(applied)} of this payment is applied to invoices ({numbers}), more than "
            f"{format_money(value)}. Unapply {format_money(applied - value)} from them first, or keep "
            f"the amount at {format_money(applied)} or more.",
        )
    before = {name: getattr(payment, name) for name in new}
    changes = diff(before, new)
    if not changes:
        return _detail(uow, payment)
    for name, field_value in new.items():
        setattr(payment, name, field_value)
    uow.flush()
    audit(
        uow,
        "update",
        "payment",
        payment.id,
        summary=f"Payment of {format_money(payment.amount)} edited",
        changes=changes,
    )
    # The sync rules queue it (a ReceivePaymentMod) when it is in QuickBooks or on its way.
    record_event(uow, "payment.updated", "payment", payment.id)
    return _detail(uow, payment)


def _check_changeable(uow: UnitOfWork, payment: Payment) -> None:
    """A payment entered in QuickBooks is changed there; one in QuickBooks, by an admin."""
    if payment.origin == "quickbooks":
        raise InvalidTransition(
            "This payment was entered in QuickBooks and JobDesk only copied it. Change it in QuickBooks."
        )
    if in_quickbooks(uow, "payment", payment.id):
        require_admin(uow, "change a payment that is already in QuickBooks")


def apply_payment(uow: UnitOfWork, payment_id: int, invoice_id: int, amount: object) -> PaymentDetail:
    """Apply (more of) a payment's unapplied part to an invoice."""
    payment = _payment(uow, payment_id)
    _check_changeable(uow, payment)
    invoice, value = _check_application(
        uow, payment.customer_id, invoice_id, amount, _unapplied(payment), ZERO
    )
    _apply(uow, payment, invoice, value)
    return _detail(uow, payment)


def unapply_payment(
    uow: UnitOfWork, payment_id: int, invoice_id: int, amount: object = None
) -> PaymentDetail:
    """Take back all (or ``amount``) of what a payment applied to an invoice; it re-opens."""
    payment = _payment(uow, payment_id)
    _check_changeable(uow, payment)
    application = next((a for a in payment.applications if a.invoice_id == invoice_id), None)
    if application is None:
        raise ValidationError("invoice_id", "This payment is not applied to that invoice.")
    invoice = get(uow, Invoice, invoice_id, "Invoice")
    refuse_if_deposit_credited(uow, invoice, "taking the deposit payment back")
    value = application.amount if amount is None else parse_money(amount, "amount")
    if value <= 0 or value > application.amount:
        raise ValidationError(
            "amount", f"Between $0.01 and {format_money(application.amount)} can be unapplied."
        )
    if value == application.amount:
        payment.applications.remove(application)
    else:
        application.amount -= value
    refresh_status(uow, invoice)
    audit(
        uow,
        "unapply",
        "payment",
        payment.id,
        summary=f"{format_money(value)} unapplied from invoice {invoice.number}",
        changes={"invoice": [invoice.number, None], "amount": [str(value), None]},
    )
    record_event(uow, "payment.unapplied", "payment", payment.id)
    return _detail(uow, payment)


def delete_payment(uow: UnitOfWork, payment_id: int) -> PaymentDetail:
    """Soft-delete a payment: its applications go and the invoices it paid re-open."""
    payment = _payment(uow, payment_id)
    if in_quickbooks(uow, "payment", payment.id):
        require_admin(uow, "delete a payment that is already in QuickBooks")
    invoices = [get(uow, Invoice, a.invoice_id, "Invoice") for a in payment.applications]
    credited = next((i for i in invoices if i.credited_to_invoice_id is not None), None)
    if credited is not None:
        raise InvalidTransition(
            f"This payment paid deposit {credited.number}, which is credited to another invoice; void "
            f"that invoice before deleting the payment."
        )
    payment.applications.clear()
    payment.deleted_at = utcnow()
    uow.flush()
    for invoice in invoices:
        refresh_status(uow, invoice)
    audit(
        uow,
        "delete",
        "payment",
        payment.id,
        summary=f"Payment of {format_money(payment.amount)} deleted",
        changes={"deleted": [False, True]},
    )
    record_event(uow, "payment.deleted", "payment", payment.id)
    return _detail(uow, payment)


def get_payment(uow: UnitOfWork, payment_id: int) -> PaymentDetail:
    return _detail(uow, get(uow, Payment, payment_id, "Payment"))


def mark_paid(
    uow: UnitOfWork,
    invoice_id: int,
    *,
    method: str = PaymentMethod.CHECK.value,
    received_on: date | None = None,
    reference: str = "",
) -> PaymentDetail:
    """Record a payment of the invoice's whole balance (the "Mark paid" action)."""
    invoice = get(uow, Invoice, invoice_id, "Invoice")
    if invoice.status == InvoiceStatus.VOID.value:
        raise InvalidTransition(f"Invoice {invoice.number} is void; a void invoice cannot be paid.")
    balance = balance_of(uow, invoice)
    if balance <= 0:
        raise InvalidTransition(f"Invoice {invoice.number} is already paid.")
    return record_payment(
        uow,
        invoice.customer_id,
        balance,
        method,
        received_on or date.today(),
        reference,
        applications=[(invoice.id, balance)],
    )


def payments_for_invoice(uow: UnitOfWork, invoice_id: int) -> tuple[tuple[int, Decimal], ...]:
    """(payment id, amount applied) of every payment applied to the invoice, oldest first."""
    get(uow, Invoice, invoice_id, "Invoice")
    rows = uow.session.execute(
        select(PaymentApplication.payment_id, PaymentApplication.amount)
        .where(PaymentApplication.invoice_id == invoice_id)
        .order_by(PaymentApplication.id)
    ).all()
    return tuple((int(r[0]), r[1]) for r in rows)
