"""What a credit memo's links in QuickBooks say of a credit-only Add whose answer was lost
(``CreditApplicationKind``'s LINKS lookup): applied there, not there, or for a person to tell."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Invoice
from desktop_app.domain.money import format_money
from qbwc_server import mapping as m
from qbwc_server import qbxml as q


def invoice_number(session: Session, invoice_id: int) -> str:
    invoice = session.get(Invoice, invoice_id)
    return str(invoice_id) if invoice is None else invoice.number


#: What a credit memo's links say of a lost credit-only Add (``links_there``).
APPLIED_THERE, NOT_THERE, UNCLEAR = "applied", "none", "unclear"


def links_there(session: Session, record: q.Record, sent: dict[str, str]) -> tuple[str, dict[str, Decimal]]:
    """What the credit memo QuickBooks sent says of the lost Add that applied it (``sent``:
    invoice id → amount), and what it has applied to each of those invoices. QuickBooks makes
    all of an Add's links or none: linked to each invoice for exactly what was sent, it is that
    Add's (APPLIED_THERE); linked to none of them, the Add did not reach it (NOT_THERE); anything
    else (a person applied some of it there too …) is for a person to tell (UNCLEAR), never
    guessed either way: added again, it could apply the credit twice."""
    linked: dict[str, Decimal] = {}
    for link in record.lines("LinkedTxn"):
        amount = link.decimal("Amount")
        if amount is not None:
            txn_id = link.get("TxnID") or ""
            linked[txn_id] = linked.get(txn_id, Decimal("0")) + abs(amount)
    there: dict[str, Decimal] = {}
    if not sent:
        return UNCLEAR, there  # what the lost Add applied is not known: a person tells
    exact = True
    for invoice_id, text in sent.items():
        invoice_link = m.link_of(session, "invoice", int(invoice_id)) if invoice_id.isdigit() else None
        if invoice_link is None:
            return UNCLEAR, there
        there[invoice_id] = linked.get(invoice_link.qb_id, Decimal("0"))
        try:
            exact = exact and there[invoice_id] == Decimal(text)
        except InvalidOperation:
            return UNCLEAR, there
    if exact:
        return APPLIED_THERE, there
    return (NOT_THERE if not any(there.values()) else UNCLEAR), there


def unclear_links(
    session: Session, credit: CreditMemo, sent: dict[str, str], there: dict[str, Decimal]
) -> str:
    """The alert's words when the credit memo's links do not tell whether the lost Add reached
    QuickBooks: what QuickBooks has applied of it, and what JobDesk's Add applied."""
    parts = [
        f"{format_money(there.get(invoice_id, Decimal('0')))} of it applied to invoice "
        f"{invoice_number(session, int(invoice_id))}, where JobDesk's application was {_money(amount)}"
        for invoice_id, amount in sent.items()
        if invoice_id.isdigit()
    ]
    shown = (
        f"QuickBooks shows {'; '.join(parts)}. That may be JobDesk's application together with one "
        "made in QuickBooks by hand, or someone else's alone"
        if parts
        else "JobDesk no longer knows what its application applied"
    )
    return (
        f"The answer to JobDesk's application of credit memo {credit.number} was lost, and {shown}, so "
        "JobDesk cannot tell whether its own application reached QuickBooks. In QuickBooks, look at "
        "the credit memo's history: if JobDesk's application is there, press Done in QuickBooks; if "
        "it is not, press Send anyway to apply it now. Nothing is sent until you do."
    )


def _money(text: str) -> str:
    try:
        return format_money(Decimal(text))
    except InvalidOperation:
        return text
