"""What QuickBooks answers for invoices and received payments: their Ret elements, in
QuickBooks' order, with the totals, balances and links computed from the company's state."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from desktop_app.domain.money import ZERO
from qbwc_server.simulator.core import Computed, Core, amount_text, format_time, leaf
from qbwc_server.simulator.store import Invoice, Payment
from qbwc_server.simulator.txns import applied_to, balance

INVOICE_ORDER = (
    "TxnID",
    "TimeCreated",
    "TimeModified",
    "EditSequence",
    "TxnNumber",
    "CustomerRef",
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
    "Subtotal",
    "ItemSalesTaxRef",
    "SalesTaxPercentage",
    "SalesTaxTotal",
    "AppliedAmount",
    "BalanceRemaining",
    "Memo",
    "IsPaid",
    "IsToBePrinted",
    "IsToBeEmailed",
    "CustomerSalesTaxCodeRef",
    "LinkedTxn",
    "InvoiceLineRet",
)
PAYMENT_ORDER = (
    "TxnID",
    "TimeCreated",
    "TimeModified",
    "EditSequence",
    "TxnNumber",
    "CustomerRef",
    "ARAccountRef",
    "TxnDate",
    "RefNumber",
    "TotalAmount",
    "PaymentMethodRef",
    "Memo",
    "DepositToAccountRef",
    "UnusedPayment",
    "UnusedCredits",
    "AppliedToTxnRet",
)


def linked_txn(node: etree._Element, txn: Invoice | Payment, txn_type: str, amount: Decimal) -> None:
    """One LinkedTxn naming ``txn`` (of ``txn_type``), for ``amount``."""
    link = etree.SubElement(node, "LinkedTxn")
    leaf(link, "TxnID", txn.txn_id)
    leaf(link, "TxnType", txn_type)
    leaf(link, "TxnDate", txn.txn_date.isoformat())
    leaf(link, "RefNumber", txn.ref_number)
    leaf(link, "LinkType", "AMTTYPE")
    leaf(link, "Amount", amount_text(amount))


def line_rets(core: Core, node: etree._Element, tag: str, txn: Invoice) -> None:
    """Each of an invoice's (or a credit memo's) lines as its ``tag`` (InvoiceLineRet …)."""
    for line in txn.lines:
        line_ret = etree.SubElement(node, tag)
        leaf(line_ret, "TxnLineID", line.txn_line_id)
        core.ref(line_ret, "ItemRef", line.item_id)
        leaf(line_ret, "Desc", line.description)
        quantity = None if line.quantity is None else format(line.quantity.normalize(), "f")
        leaf(line_ret, "Quantity", quantity)
        leaf(line_ret, "Rate", None if line.rate is None else format(line.rate.normalize(), "f"))
        leaf(line_ret, "Amount", amount_text(line.amount))
        leaf(line_ret, "ServiceDate", line.service_date)
        core.ref(line_ret, "SalesTaxCodeRef", line.tax_code_id)


def invoice_ret(core: Core, invoice: Invoice, parent: etree._Element, *, lines: bool, linked: bool) -> None:
    ret = etree.SubElement(parent, "InvoiceRet")
    applied = applied_to(core, invoice)
    remaining = invoice.total - applied

    def emit_lines(node: etree._Element) -> None:
        line_rets(core, node, "InvoiceLineRet", invoice)

    def emit_linked(node: etree._Element) -> None:
        for payment in core.state.payments.values():
            if payment.links_only:
                # No payment there to name: the invoice is linked to the credit memos themselves.
                for use in payment.credits:
                    if use.invoice_id == invoice.txn_id:
                        credit = core.state.credit_memos[use.credit_id]
                        linked_txn(node, credit, "CreditMemo", -use.amount)
                continue
            for app in payment.applications:
                if app.invoice_id == invoice.txn_id:
                    linked_txn(node, payment, "ReceivePayment", -app.amount)

    computed: dict[str, Computed] = {
        "TxnID": invoice.txn_id,
        "TimeCreated": format_time(invoice.time_created),
        "TimeModified": format_time(invoice.time_modified),
        "EditSequence": invoice.edit_sequence,
        "TxnNumber": str(invoice.txn_number),
        "CustomerRef": lambda node: core.ref(node, "CustomerRef", invoice.customer_id),
        "TxnDate": invoice.txn_date.isoformat(),
        "RefNumber": invoice.ref_number,
        "Subtotal": amount_text(invoice.subtotal),
        "ItemSalesTaxRef": lambda node: core.ref(node, "ItemSalesTaxRef", invoice.sales_tax_item_id),
        "SalesTaxPercentage": format(invoice.tax_percent.normalize(), "f"),
        "SalesTaxTotal": amount_text(invoice.tax_total),
        "AppliedAmount": amount_text(-applied),
        "BalanceRemaining": amount_text(remaining),
        "IsPaid": "true" if remaining <= 0 else "false",
        "LinkedTxn": emit_linked if linked else None,
        "InvoiceLineRet": emit_lines if lines else None,
    }
    core.emit(ret, invoice.data, INVOICE_ORDER, computed)


# -- payments -----------------------------------------------------------------------------------


def payment_ret(core: Core, payment: Payment, parent: etree._Element) -> None:
    ret = etree.SubElement(parent, "ReceivePaymentRet")

    def emit_applied(node: etree._Element) -> None:
        for app in payment.applications:
            invoice = core.state.invoices[app.invoice_id]
            applied = etree.SubElement(node, "AppliedToTxnRet")
            leaf(applied, "TxnID", invoice.txn_id)
            leaf(applied, "TxnType", "Invoice")
            leaf(applied, "TxnDate", invoice.txn_date.isoformat())
            leaf(applied, "RefNumber", invoice.ref_number)
            leaf(applied, "BalanceRemaining", amount_text(balance(core, invoice)))
            leaf(applied, "Amount", amount_text(app.amount))

    computed: dict[str, Computed] = {
        "TxnID": payment.txn_id,
        "TimeCreated": format_time(payment.time_created),
        "TimeModified": format_time(payment.time_modified),
        "EditSequence": payment.edit_sequence,
        "TxnNumber": str(payment.txn_number),
        "CustomerRef": lambda node: core.ref(node, "CustomerRef", payment.customer_id),
        "TxnDate": payment.txn_date.isoformat(),
        "RefNumber": payment.ref_number,
        "TotalAmount": amount_text(payment.total),
        "UnusedPayment": amount_text(payment.unused),
        "UnusedCredits": amount_text(ZERO),
        "AppliedToTxnRet": emit_applied,
    }
    core.emit(ret, payment.data, PAYMENT_ORDER, computed)


# -- queries ------------------------------------------------------------------------------------
