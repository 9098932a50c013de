"""Credit memos as QuickBooks Desktop keeps them, and credits set against invoices.

A credit memo is stored like an invoice (lines, sales tax, totals computed the same way);
its ``CreditRemaining`` is its total less what received payments set against invoices
with ``SetCredit``. A ``ReceivePaymentAdd`` may carry ``SetCredit`` under each
``AppliedToTxnAdd`` (Intuit's samples list it for QBD): each credit must exist (3120), be
the payment's customer's (3210), have that much left (3210), and the invoice must still owe
the payment plus the credits (3210). Nothing is changed by a refused request.

A ``CreditMemoMod`` is an ``InvoiceMod`` for credit memos (``txns.invoice_mod``): the TxnID
must exist (3120) and the EditSequence match (3200); listed lines replace all (TxnLineID
-1 adds one, lines not listed are deleted); the totals are worked out again. A void credit
memo is not changed, and the new total may not fall below what received payments already
set against invoices from it (3210 both).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from lxml import etree

from desktop_app.domain.money import ZERO
from qbwc_server.simulator import txn_rets, txns
from qbwc_server.simulator.core import (
    Computed,
    Core,
    Refusal,
    amount_text,
    child_text,
    decimal_of,
    format_time,
    leaf,
)
from qbwc_server.simulator.store import CreditUse, Invoice, InvoiceLine, Payment

CREDIT_MEMO_ORDER = (
    "TxnID",
    "TimeCreated",
    "TimeModified",
    "EditSequence",
    "TxnNumber",
    "CustomerRef",
    "ClassRef",
    "ARAccountRef",
    "TemplateRef",
    "TxnDate",
    "RefNumber",
    "BillAddress",
    "ShipAddress",
    "IsPending",
    "PONumber",
    "TermsRef",
    "DueDate",
    "SalesRepRef",
    "FOB",
    "ShipDate",
    "ShipMethodRef",
    "Subtotal",
    "ItemSalesTaxRef",
    "SalesTaxPercentage",
    "SalesTaxTotal",
    "TotalAmount",
    "CreditRemaining",
    "Memo",
    "CustomerMsgRef",
    "IsToBePrinted",
    "IsToBeEmailed",
    "CustomerSalesTaxCodeRef",
    "Other",
    "LinkedTxn",
    "CreditMemoLineRet",
)
_HEADER_SKIP = {"TxnDate", "RefNumber", "CustomerRef", "ItemSalesTaxRef", "CreditMemoLineAdd"}
#: A line a Mod adds (QuickBooks' documented TxnLineID for a new line).
NEW_LINE_ID = "-1"
_MOD_SKIP = {
    "TxnID",
    "EditSequence",
    "TxnDate",
    "RefNumber",
    "CustomerRef",
    "ItemSalesTaxRef",
    "CreditMemoLineMod",
}


def _not_found(txn_id: str) -> Refusal:
    return Refusal(3120, f'Object "{txn_id}" specified in the request cannot be found.')


# -- credit memos -----------------------------------------------------------------------------


def used_of(core: Core, credit: Invoice) -> Decimal:
    return sum(
        (c.amount for p in core.state.payments.values() for c in p.credits if c.credit_id == credit.txn_id),
        ZERO,
    )


def remaining(core: Core, credit: Invoice) -> Decimal:
    return ZERO if credit.is_void else credit.total - used_of(core, credit)


def _next_ref_number(core: Core) -> str:
    """QuickBooks numbers a credit memo after the last number used (invoices and credit memos)."""
    used = [*core.state.invoices.values(), *core.state.credit_memos.values()]
    numbers = [int(t.ref_number) for t in used if t.ref_number and t.ref_number.isdigit()]
    return str(max(numbers, default=0) + 1)


def credit_memo_add(core: Core, node: etree._Element) -> Invoice:
    ref_number = child_text(node, "RefNumber")
    record = f"Credit memo {ref_number or ''}".strip()
    customer = core.resolve(node.find("CustomerRef"), {"Customer"}, record)  # type: ignore[arg-type]
    data = core.absorb(node, record, skip=_HEADER_SKIP)
    tax_item = txns._sales_tax_item(core, node, customer, record)
    lines = [txns._line(core, line, record, None) for line in node.findall("CreditMemoLineAdd")]
    now = core.tick()
    txn_id, number = core.new_txn_id()
    credit = Invoice(
        txn_id=txn_id,
        txn_number=number,
        edit_sequence=core.stamp(),
        time_created=now,
        time_modified=now,
        customer_id=customer.list_id,
        txn_date=txns._date(node, core),
        ref_number=ref_number or _next_ref_number(core),
        data=data,
        lines=lines,
        sales_tax_item_id=tax_item,
    )
    txns.compute_totals(core, credit)
    core.state.credit_memos[txn_id] = credit
    return credit


def _mod_lines(core: Core, credit: Invoice, node: etree._Element, record: str) -> list[InvoiceLine]:
    """The lines after the Mod: those listed, in order (QuickBooks deletes the others); none
    listed keeps them all."""
    line_nodes = node.findall("CreditMemoLineMod")
    if not line_nodes:
        return credit.lines
    existing = {line.txn_line_id: line for line in credit.lines}
    lines = []
    for line_node in line_nodes:
        line_id = child_text(line_node, "TxnLineID") or ""
        if line_id != NEW_LINE_ID and line_id not in existing:
            raise _not_found(line_id)
        lines.append(txns._line(core, line_node, record, existing.get(line_id)))
    return lines


def credit_memo_mod(core: Core, node: etree._Element) -> Invoice:
    """CreditMemoMod; everything is checked on a copy, so a refused Mod changes nothing."""
    credit = core.state.credit_memos[txns.find_txn(core, core.state.credit_memos, node)]
    record = f"Credit memo {credit.ref_number or credit.txn_id}"
    if credit.is_void:
        # Intuit's reference files name no status code for changing a voided transaction;
        # 3210 ("the request cannot be processed as it is") is what the simulator answers.
        raise Refusal(3210, f"{record} is void; a void transaction cannot be changed.")
    customer_ref = node.find("CustomerRef")
    customer = (
        core.resolve(customer_ref, {"Customer"}, record)
        if customer_ref is not None
        else core.state.lists[credit.customer_id]
    )
    used = used_of(core, credit)
    if customer.list_id != credit.customer_id and used:
        # Not said by Intuit's files either: the payments that set this credit are the old
        # customer's, so moving it while set against their invoices is refused here.
        raise Refusal(
            3210, f"{record} is set against invoices of its customer; its customer cannot change now."
        )
    changes = core.absorb(node, record, skip=_MOD_SKIP)
    tax_item = (
        txns._sales_tax_item(core, node, customer, record)
        if node.find("ItemSalesTaxRef") is not None
        else credit.sales_tax_item_id
    )
    lines = _mod_lines(core, credit, node, record)
    trial = Invoice(
        **{
            **credit.__dict__,
            "lines": lines,
            "sales_tax_item_id": tax_item,
            "customer_id": customer.list_id,
            "data": {**credit.data},
        }
    )
    core.merge(trial.data, changes)
    txns.compute_totals(core, trial)
    if trial.total < used:
        raise Refusal(
            3210,
            f"{record}: the new total {trial.total:.2f} is less than the {used:.2f} already set "
            "against invoices from it.",
        )
    txns.modified(core, node, trial)
    core.state.credit_memos[credit.txn_id] = trial
    return trial


def credit_memo_void(core: Core, txn_id: str) -> Invoice:
    """A voided credit memo keeps its lines at zero; what it had set against invoices is owed again."""
    credit = core.state.credit_memos.get(txn_id)
    if credit is None:
        raise _not_found(txn_id)
    for payment in core.state.payments.values():
        payment.credits = [c for c in payment.credits if c.credit_id != txn_id]
    credit.is_void = True
    for line in credit.lines:
        line.amount, line.quantity = ZERO, Decimal(0) if line.quantity is not None else None
    credit.data["Memo"] = "VOID: " + credit.data.get("Memo", "")
    txns.compute_totals(core, credit)
    credit.time_modified = core.tick()
    credit.edit_sequence = core.stamp()
    return credit


def credit_memo_ret(
    core: Core, credit: Invoice, parent: etree._Element, *, lines: bool, linked: bool
) -> None:
    ret = etree.SubElement(parent, "CreditMemoRet")

    def emit_lines(node: etree._Element) -> None:
        txn_rets.line_rets(core, node, "CreditMemoLineRet", credit)

    def emit_linked(node: etree._Element) -> None:
        for payment in core.state.payments.values():
            if payment.links_only:
                # No payment there to name: the credit memo is linked to the invoices themselves.
                for use in payment.credits:
                    if use.credit_id == credit.txn_id:
                        txn_rets.linked_txn(node, core.state.invoices[use.invoice_id], "Invoice", use.amount)
                continue
            used = sum((c.amount for c in payment.credits if c.credit_id == credit.txn_id), ZERO)
            if used:
                txn_rets.linked_txn(node, payment, "ReceivePayment", used)

    computed: dict[str, Computed] = {
        "TxnID": credit.txn_id,
        "TimeCreated": format_time(credit.time_created),
        "TimeModified": format_time(credit.time_modified),
        "EditSequence": credit.edit_sequence,
        "TxnNumber": str(credit.txn_number),
        "CustomerRef": lambda node: core.ref(node, "CustomerRef", credit.customer_id),
        "TxnDate": credit.txn_date.isoformat(),
        "RefNumber": credit.ref_number,
        "Subtotal": amount_text(credit.subtotal),
        "ItemSalesTaxRef": lambda node: core.ref(node, "ItemSalesTaxRef", credit.sales_tax_item_id),
        "SalesTaxPercentage": format(credit.tax_percent.normalize(), "f"),
        "SalesTaxTotal": amount_text(credit.tax_total),
        "TotalAmount": amount_text(credit.total),
        "CreditRemaining": amount_text(remaining(core, credit)),
        "LinkedTxn": emit_linked if linked else None,
        "CreditMemoLineRet": emit_lines if lines else None,
    }
    core.emit(ret, credit.data, CREDIT_MEMO_ORDER, computed)


def select(core: Core, rq: etree._Element) -> list[str]:
    """TxnIDs a CreditMemoQuery matches (by TxnID, RefNumber, or every credit memo), oldest first."""
    store = core.state.credit_memos
    ids = [e.text or "" for e in rq.findall("TxnID")]
    if ids:
        return [i for i in ids if i in store]
    refs = {(e.text or "").casefold() for e in rq.findall("RefNumber")}
    exact = {e.text or "" for e in rq.findall("RefNumberCaseSensitive")}
    ordered = sorted(store.values(), key=lambda c: c.txn_number)
    if refs or exact:
        return [
            c.txn_id
            for c in ordered
            if c.ref_number is not None and (c.ref_number.casefold() in refs or c.ref_number in exact)
        ]
    return [c.txn_id for c in ordered]


# -- received payments that set credits against invoices ---------------------------------------


def _credit_uses(
    core: Core, node: etree._Element, record: str, customer_id: str, tag: str = "AppliedToTxnAdd"
) -> list[CreditUse]:
    """The SetCredit of each ``tag`` (AppliedToTxnAdd or AppliedToTxnMod), checked against the
    credits and the invoices."""
    uses: list[CreditUse] = []
    earlier: dict[str, Decimal] = {}
    for applied in node.findall(tag):
        invoice_id = child_text(applied, "TxnID") or ""
        invoice = core.state.invoices.get(invoice_id)
        if invoice is None:
            raise _not_found(invoice_id)
        taken = decimal_of(applied, "PaymentAmount") or ZERO
        for set_credit in applied.findall("SetCredit"):
            credit_id = child_text(set_credit, "CreditTxnID") or ""
            credit = core.state.credit_memos.get(credit_id)
            if credit is None:
                raise _not_found(credit_id)
            if credit.customer_id != customer_id:
                raise Refusal(
                    3210, f"{record}: credit memo {credit.ref_number} is not available to this customer."
                )
            amount = decimal_of(set_credit, "AppliedAmount") or ZERO
            left = remaining(core, credit) - sum((u.amount for u in uses if u.credit_id == credit_id), ZERO)
            if amount <= 0 or amount > left:
                raise Refusal(
                    3210,
                    f"{record}: the credit amount {amount:.2f} is more than the {left:.2f} left on credit "
                    f"memo {credit.ref_number}.",
                )
            taken += amount
            uses.append(CreditUse(invoice_id=invoice_id, credit_id=credit_id, amount=amount))
        # The invoice must still owe what this payment takes from it (earlier parts of it too).
        taken += earlier.get(invoice_id, ZERO)
        earlier[invoice_id] = taken
        owed = txns.balance(core, invoice)
        if taken > owed:
            raise Refusal(
                3210,
                f"{record}: {taken:.2f} applied is more than the {owed:.2f} due on invoice "
                f"{invoice.ref_number}.",
            )
    return uses


def payment_add(core: Core, node: etree._Element) -> Payment:
    """ReceivePaymentAdd with or without SetCredit; the credits are checked before anything changes."""
    if node.find("AppliedToTxnAdd/SetCredit") is None:
        return txns.payment_add(core, node)
    record = f"Payment {child_text(node, 'RefNumber') or ''}".strip()
    customer = core.resolve(node.find("CustomerRef"), {"Customer"}, record)  # type: ignore[arg-type]
    uses = _credit_uses(core, node, record, customer.list_id)
    payment = txns.payment_add(core, _without_credits(node, "AppliedToTxnAdd"))
    payment.credits = uses
    return payment


def payment_mod(core: Core, node: etree._Element) -> Payment:
    """ReceivePaymentMod: an AppliedToTxnMod list replaces what the payment applied, its
    credits (SetCredit) included; checked as an Add is, as if the payment applied nothing yet.
    Without one, what it applied stays."""
    if node.find("AppliedToTxnMod") is None:
        return txns.payment_mod(core, node)
    payment = core.state.payments[txns.find_txn(core, core.state.payments, node)]
    record = f"Payment {payment.ref_number or payment.txn_id}"
    customer_ref = node.find("CustomerRef")
    customer_id = (
        core.resolve(customer_ref, {"Customer"}, record).list_id
        if customer_ref is not None
        else payment.customer_id
    )
    before = payment.applications, payment.credits
    payment.applications, payment.credits = [], []  # what it applied is free while checking
    try:
        uses = _credit_uses(core, node, record, customer_id, "AppliedToTxnMod")
        changed = txns.payment_mod(core, _without_credits(node, "AppliedToTxnMod"))
    except BaseException:
        payment.applications, payment.credits = before  # a refused request changes nothing
        raise
    changed.credits = uses
    # 0.00 with no credit set against the invoice takes the payment off it (the list names
    # what the payment applies; a $0.00 payment applying a credit pays 0.00 of each invoice).
    credited = {use.invoice_id for use in uses}
    changed.applications = [a for a in changed.applications if a.amount > 0 or a.invoice_id in credited]
    return changed


def _without_credits(node: etree._Element, tag: str) -> etree._Element:
    """The request without its SetCredit (the plain payment's part)."""
    plain = copy.deepcopy(node)
    for applied in plain.findall(tag):
        for set_credit in applied.findall("SetCredit"):
            applied.remove(set_credit)
    return plain


def payment_ret(core: Core, payment: Payment, parent: etree._Element) -> None:
    """The ReceivePaymentRet, each AppliedToTxnRet naming the credits set against its invoice."""
    txn_rets.payment_ret(core, payment, parent)
    ret = parent[-1]
    for applied in ret.findall("AppliedToTxnRet"):
        invoice_id = child_text(applied, "TxnID")
        for use in payment.credits:
            if use.invoice_id != invoice_id:
                continue
            credit = core.state.credit_memos[use.credit_id]
            link = etree.SubElement(applied, "LinkedTxn")
            leaf(link, "TxnID", credit.txn_id)
            leaf(link, "TxnType", "CreditMemo")
            leaf(link, "TxnDate", credit.txn_date.isoformat())
            leaf(link, "RefNumber", credit.ref_number)
            leaf(link, "LinkType", "AMTTYPE")
            leaf(link, "Amount", amount_text(-use.amount))
