"""Credit memo requests: CreditMemoAdd / Mod / Query, voiding one, applying one to invoices
(and changing or deleting what was applied).

A ``CreditMemoModRq`` (QuickBooks Desktop has it since qbXML 3.0, per Intuit's samples)
changes one already in QuickBooks the way ``invoice_mod`` changes an invoice: its lines go
as ``CreditMemoLineMod`` with TxnLineID -1 (new), which replaces every line, since
QuickBooks deletes the lines a Mod does not list.

QuickBooks Desktop applies a credit memo to an invoice through a received payment: Intuit's
annotated qbXML 13.0 samples list ``ReceivePaymentAdd/AppliedToTxnAdd/SetCredit`` (with
``CreditTxnID`` and ``AppliedAmount``) as available in QBD, and only ``SetCredit/TxnLineID``
as "not in QBD". So applying a credit is a ``ReceivePaymentAdd`` whose ``TotalAmount`` is
0.00: no money moves, each invoice gets ``PaymentAmount`` 0.00 and the credit in SetCredit.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import fields as f
from qbwc_server.qbxml.build import (
    Request,
    leaf,
    new_request,
    opt_amount,
    opt_bool,
    opt_date,
    opt_rate,
    opt_text,
    ref,
)
from qbwc_server.qbxml.build_txns import NEW_LINE_ID, txn_void
from qbwc_server.qbxml.records import CreditApplicationFields, CreditMemoFields, InvoiceLineFields

ZERO_AMOUNT = "0.00"


def _label(credit: CreditMemoFields) -> str:
    return f"Credit memo {credit.ref_number or ''}".strip()


def _line(parent: etree._Element, line: InvoiceLineFields, record: str, number: int, *, is_mod: bool) -> None:
    node = etree.SubElement(parent, "CreditMemoLineMod" if is_mod else "CreditMemoLineAdd")
    where = f"{record} line {number}"
    if is_mod:
        leaf(node, "TxnLineID", f.text(where, "TxnLineID", line.txn_line_id or NEW_LINE_ID, f.ID_MAX))
    ref(node, "ItemRef", line.item, where)
    leaf(node, "Desc", opt_text(where, "Desc", line.description, f.FREE_TEXT_MAX))
    leaf(node, "Quantity", opt_rate(where, "Quantity", line.quantity))
    leaf(node, "Rate", opt_rate(where, "Rate", line.rate))
    leaf(node, "Amount", opt_amount(where, "Amount", line.amount))
    leaf(node, "ServiceDate", opt_date(line.service_date))
    ref(node, "SalesTaxCodeRef", line.sales_tax_code, where)


def _body(node: etree._Element, credit: CreditMemoFields, record: str, *, is_mod: bool) -> None:
    """The header then the lines, in the order the Add and the Mod share (Intuit's samples)."""
    if not credit.lines:
        raise QbxmlLimitError(record, "lines", "a credit memo needs at least one line.")
    ref(node, "CustomerRef", credit.customer, record)
    ref(node, "ARAccountRef", credit.ar_account, record)
    leaf(node, "TxnDate", opt_date(credit.txn_date))
    leaf(node, "RefNumber", opt_text(record, "RefNumber", credit.ref_number, f.INVOICE_REF_MAX))
    ref(node, "ItemSalesTaxRef", credit.item_sales_tax, record)
    leaf(node, "Memo", None if credit.memo is None else f.free_text(record, "Memo", credit.memo))
    leaf(node, "IsToBePrinted", opt_bool(credit.is_to_be_printed))
    ref(node, "CustomerSalesTaxCodeRef", credit.customer_sales_tax_code, record)
    for number, line in enumerate(credit.lines, start=1):
        _line(node, line, record, number, is_mod=is_mod)


def credit_memo_add(request_id: str, credit: CreditMemoFields) -> Request:
    """CreditMemoAddRq: QuickBooks computes Subtotal, SalesTaxTotal, TotalAmount and CreditRemaining."""
    request = new_request("CreditMemoAddRq", request_id)
    _body(etree.SubElement(request, "CreditMemoAdd"), credit, _label(credit), is_mod=False)
    return request


def credit_memo_mod(request_id: str, txn_id: str, edit_sequence: str, credit: CreditMemoFields) -> Request:
    """CreditMemoModRq: the whole credit memo again, every line new (TxnLineID -1 unless the
    line names one), so its lines replace all QuickBooks had. QuickBooks works out the totals
    again. A ``memo`` of "" goes as an empty Memo, which clears it; None leaves it as it is."""
    record = _label(credit) if credit.ref_number else f"Credit memo {txn_id}"
    request = new_request("CreditMemoModRq", request_id)
    node = etree.SubElement(request, "CreditMemoMod")
    leaf(node, "TxnID", f.text(record, "TxnID", txn_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _body(node, credit, record, is_mod=True)
    return request


def credit_memo_query(
    request_id: str,
    *,
    ref_numbers: Iterable[str] = (),
    txn_ids: Iterable[str] = (),
    include_line_items: bool = False,
    include_linked_txns: bool = False,
) -> Request:
    """CreditMemoQueryRq by RefNumber (finding one we may have added) or by TxnID."""
    refs, ids = list(ref_numbers), list(txn_ids)
    if bool(refs) == bool(ids):
        raise ValueError("CreditMemoQueryRq: give ref_numbers or txn_ids (one of them)")
    request = new_request("CreditMemoQueryRq", request_id)
    for txn_id in ids:
        leaf(request, "TxnID", f.text("CreditMemoQueryRq", "TxnID", txn_id, f.ID_MAX))
    for ref_number in refs:
        leaf(request, "RefNumber", f.text("CreditMemoQueryRq", "RefNumber", ref_number, f.INVOICE_REF_MAX))
    leaf(request, "IncludeLineItems", f.format_bool(include_line_items))
    leaf(request, "IncludeLinkedTxns", f.format_bool(include_linked_txns))
    return request


def credit_memo_void(request_id: str, txn_id: str) -> Request:
    """TxnVoidRq of a credit memo: QuickBooks keeps it with zero amounts and frees what it paid."""
    return txn_void(request_id, txn_id, "CreditMemo")


def credit_application_add(request_id: str, application: CreditApplicationFields) -> Request:
    """ReceivePaymentAddRq of $0.00 setting credit memos against invoices (SetCredit)."""
    record = "Credit applied"
    if not application.applications or any(not a.credits for a in application.applications):
        raise QbxmlLimitError(record, "applications", "name each invoice and the credit to set against it.")
    request = new_request("ReceivePaymentAddRq", request_id)
    node = etree.SubElement(request, "ReceivePaymentAdd")
    ref(node, "CustomerRef", application.customer, record)
    ref(node, "ARAccountRef", application.ar_account, record)
    leaf(node, "TxnDate", opt_date(application.txn_date))
    leaf(node, "TotalAmount", ZERO_AMOUNT)
    leaf(node, "Memo", None if application.memo is None else f.free_text(record, "Memo", application.memo))
    _set_credits(node, application, record, "AppliedToTxnAdd")
    return request


def credit_application_mod(
    request_id: str, txn_id: str, edit_sequence: str, application: CreditApplicationFields
) -> Request:
    """ReceivePaymentModRq of the $0.00 payment that applied a credit: its AppliedToTxnMod list
    replaces what the payment applied (as for any payment Mod, ``receive_payment_mod``), so an
    invoice left out is no longer credited. Intuit's samples list
    ``ReceivePaymentMod/AppliedToTxnMod/SetCredit`` for QBD (only ``TxnLineID`` is not)."""
    record = "Credit applied"
    if not application.applications or any(not a.credits for a in application.applications):
        raise QbxmlLimitError(record, "applications", "name each invoice and the credit to set against it.")
    request = new_request("ReceivePaymentModRq", request_id)
    node = etree.SubElement(request, "ReceivePaymentMod")
    leaf(node, "TxnID", f.text(record, "TxnID", txn_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    leaf(node, "Memo", None if application.memo is None else f.free_text(record, "Memo", application.memo))
    _set_credits(node, application, record, "AppliedToTxnMod")
    return request


def _set_credits(node: etree._Element, application: CreditApplicationFields, record: str, tag: str) -> None:
    for target in application.applications:
        applied = etree.SubElement(node, tag)
        leaf(applied, "TxnID", f.text(record, "AppliedToTxn.TxnID", target.invoice_txn_id, f.ID_MAX))
        leaf(applied, "PaymentAmount", ZERO_AMOUNT)
        for credit in target.credits:
            if credit.amount <= 0:
                raise QbxmlLimitError(
                    record, "AppliedAmount", "a credit set against an invoice must be over 0."
                )
            set_credit = etree.SubElement(applied, "SetCredit")
            leaf(set_credit, "CreditTxnID", f.text(record, "CreditTxnID", credit.credit_txn_id, f.ID_MAX))
            leaf(set_credit, "AppliedAmount", f.format_amount(record, "AppliedAmount", credit.amount))
