"""Transaction requests: invoices, received payments, voids and deletes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import fields as f
from qbwc_server.qbxml import flat
from qbwc_server.qbxml.build import (
    IteratorMode,
    Request,
    leaf,
    new_request,
    opt_amount,
    opt_date,
    opt_text,
    ref,
    set_iterator,
)
from qbwc_server.qbxml.flat import Flat
from qbwc_server.qbxml.records import InvoiceFields, InvoiceLineFields, PaymentFields, Ref

PaidStatus = Literal["All", "PaidOnly", "NotPaidOnly"]
#: TxnVoid accepts these of ours; a ReceivePayment cannot be voided through the SDK, only deleted.
VoidableTxn = Literal["Invoice", "CreditMemo"]
_VOIDABLE = ("Invoice", "CreditMemo")
DeletableTxn = Literal["Invoice", "ReceivePayment"]

# A new line inside an InvoiceMod: QuickBooks' documented marker.
NEW_LINE_ID = "-1"


def _invoice_label(invoice: InvoiceFields, fallback: str = "") -> str:
    return f"Invoice {invoice.ref_number or fallback}".strip()


def _line(out: Flat, line: InvoiceLineFields, record: str, number: int, *, is_mod: bool) -> None:
    # Each field as ``out.leaf(Tag, checked value)``, without the calls for None.
    out.open("InvoiceLineMod" if is_mod else "InvoiceLineAdd")
    where = f"{record} line {number}"
    if is_mod:
        out.leaf("TxnLineID", f.text(where, "TxnLineID", line.txn_line_id or NEW_LINE_ID, f.ID_MAX))
    flat.ref(out, "ItemRef", line.item, where)
    if line.description is not None:
        out.leaf("Desc", f.text(where, "Desc", line.description, f.FREE_TEXT_MAX))
    if line.quantity is not None:
        out.leaf("Quantity", f.format_rate(where, "Quantity", line.quantity))
    if line.rate is not None:
        out.leaf("Rate", f.format_rate(where, "Rate", line.rate))
    if line.amount is not None:
        out.leaf("Amount", f.format_amount(where, "Amount", line.amount))
    if line.service_date is not None:
        out.leaf("ServiceDate", f.format_date(line.service_date))
    flat.ref(out, "SalesTaxCodeRef", line.sales_tax_code, where)
    out.close()


def _invoice_body(out: Flat, inv: InvoiceFields, record: str, *, is_mod: bool) -> None:
    leaf = out.leaf
    flat.ref(out, "CustomerRef", inv.customer, record)
    flat.ref(out, "ARAccountRef", inv.ar_account, record)
    flat.ref(out, "TemplateRef", inv.template, record)
    if inv.txn_date is not None:
        leaf("TxnDate", f.format_date(inv.txn_date))
    if inv.ref_number is not None:
        leaf("RefNumber", f.text(record, "RefNumber", inv.ref_number, f.INVOICE_REF_MAX))
    flat.address(out, "BillAddress", inv.bill_address, record)
    flat.address(out, "ShipAddress", inv.ship_address, record)
    if inv.po_number is not None:
        leaf("PONumber", f.text(record, "PONumber", inv.po_number, f.PO_NUMBER_MAX))
    flat.ref(out, "TermsRef", inv.terms, record)
    if inv.due_date is not None:
        leaf("DueDate", f.format_date(inv.due_date))
    flat.ref(out, "ItemSalesTaxRef", inv.item_sales_tax, record)
    if inv.memo is not None:
        leaf("Memo", f.free_text(record, "Memo", inv.memo))
    if inv.is_to_be_printed is not None:
        leaf("IsToBePrinted", f.format_bool(inv.is_to_be_printed))
    if inv.is_to_be_emailed is not None:
        leaf("IsToBeEmailed", f.format_bool(inv.is_to_be_emailed))
    flat.ref(out, "CustomerSalesTaxCodeRef", inv.customer_sales_tax_code, record)
    for number, line in enumerate(inv.lines, start=1):
        _line(out, line, record, number, is_mod=is_mod)
    out.close()


def invoice_add_flat(request_id: str, invoice: InvoiceFields) -> Flat:
    """An InvoiceAdd, as the sync sends it (``invoice_add`` is the same request as a tree)."""
    out = Flat("InvoiceAddRq", request_id)
    out.open("InvoiceAdd")
    _invoice_body(out, invoice, _invoice_label(invoice), is_mod=False)
    return out


def invoice_add(request_id: str, invoice: InvoiceFields) -> Request:
    return invoice_add_flat(request_id, invoice).element()


def invoice_mod_flat(request_id: str, txn_id: str, edit_sequence: str, invoice: InvoiceFields) -> Flat:
    """An InvoiceMod. When ``invoice.lines`` is not empty it replaces every line:

    QuickBooks deletes lines whose TxnLineID is not listed, so send all lines to keep.
    """
    record = _invoice_label(invoice, txn_id)
    out = flat.mod("InvoiceMod", request_id, "TxnID", txn_id, edit_sequence, record)
    _invoice_body(out, invoice, record, is_mod=True)
    return out


def invoice_mod(request_id: str, txn_id: str, edit_sequence: str, invoice: InvoiceFields) -> Request:
    """``invoice_mod_flat`` as a tree."""
    return invoice_mod_flat(request_id, txn_id, edit_sequence, invoice).element()


def _entity_filter(request: Request, entity: Ref | None, tag: str) -> None:
    if entity is None:
        return
    node = etree.SubElement(request, "EntityFilter")
    if entity.list_id:
        leaf(node, "ListID", f.text(tag, "EntityFilter.ListID", entity.list_id, f.ID_MAX))
    else:
        assert entity.full_name is not None
        leaf(node, "FullName", f.full_name(tag, "EntityFilter.FullName", entity.full_name))


def txn_query(
    tag: Literal["InvoiceQueryRq", "ReceivePaymentQueryRq"],
    request_id: str,
    *,
    txn_ids: Iterable[str] = (),
    ref_numbers: Iterable[str] = (),
    max_returned: int | None = None,
    from_modified: datetime | None = None,
    to_modified: datetime | None = None,
    from_txn_date: date | None = None,
    to_txn_date: date | None = None,
    entity: Ref | None = None,
    paid_status: PaidStatus | None = None,
    include_line_items: bool = True,
    include_linked_txns: bool = False,
    include_ret: Iterable[str] = (),
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
) -> Request:
    """InvoiceQueryRq / ReceivePaymentQueryRq: by TxnID, by RefNumber, or by filters.

    ``include_ret`` names the only elements each record should carry (QuickBooks'
    IncludeRetElement), e.g. ``("TxnID", "RefNumber")`` to read numbers in use cheaply."""
    request = new_request(tag, request_id)
    ids, refs = list(txn_ids), list(ref_numbers)
    modified = from_modified is not None or to_modified is not None
    dated = from_txn_date is not None or to_txn_date is not None
    uses_filter = (
        modified or dated or entity is not None or paid_status is not None or max_returned is not None
    )
    if sum((bool(ids), bool(refs), uses_filter)) > 1:
        raise ValueError(f"{tag}: give txn_ids, ref_numbers or filters, not several")
    if modified and dated:
        raise ValueError(f"{tag}: QuickBooks takes a modified-date or a transaction-date range, not both")
    if paid_status is not None and tag != "InvoiceQueryRq":
        raise ValueError("paid_status applies to invoices only")
    for txn_id in ids:
        leaf(request, "TxnID", f.text(tag, "TxnID", txn_id, f.ID_MAX))
    for ref_number in refs:
        leaf(request, "RefNumber", f.text(tag, "RefNumber", ref_number, f.PAYMENT_REF_MAX))
    if max_returned is not None:
        leaf(request, "MaxReturned", f.format_int(tag, "MaxReturned", max_returned))
    if modified:
        node = etree.SubElement(request, "ModifiedDateRangeFilter")
        leaf(node, "FromModifiedDate", None if from_modified is None else f.format_datetime(from_modified))
        leaf(node, "ToModifiedDate", None if to_modified is None else f.format_datetime(to_modified))
    if dated:
        node = etree.SubElement(request, "TxnDateRangeFilter")
        leaf(node, "FromTxnDate", opt_date(from_txn_date))
        leaf(node, "ToTxnDate", opt_date(to_txn_date))
    _entity_filter(request, entity, tag)
    leaf(request, "PaidStatus", paid_status)
    leaf(request, "IncludeLineItems", f.format_bool(include_line_items))
    if tag == "InvoiceQueryRq":
        leaf(request, "IncludeLinkedTxns", f.format_bool(include_linked_txns))
    for element in include_ret:
        leaf(request, "IncludeRetElement", f.text(tag, "IncludeRetElement", element, 50))
    set_iterator(request, iterator, iterator_id, max_returned)
    return request


def _payment_label(payment: PaymentFields, fallback: str = "") -> str:
    return f"Payment {payment.ref_number or fallback}".strip()


def _payment_head(node: etree._Element, p: PaymentFields, record: str) -> None:
    ref(node, "CustomerRef", p.customer, record)
    ref(node, "ARAccountRef", p.ar_account, record)
    leaf(node, "TxnDate", opt_date(p.txn_date))
    leaf(node, "RefNumber", opt_text(record, "RefNumber", p.ref_number, f.PAYMENT_REF_MAX))
    leaf(node, "TotalAmount", opt_amount(record, "TotalAmount", p.total_amount))
    ref(node, "PaymentMethodRef", p.payment_method, record)
    leaf(node, "Memo", None if p.memo is None else f.free_text(record, "Memo", p.memo))
    ref(node, "DepositToAccountRef", p.deposit_to_account, record)


def _applications(node: etree._Element, p: PaymentFields, record: str, tag: str) -> None:
    for applied in p.applications:
        app = etree.SubElement(node, tag)
        leaf(app, "TxnID", f.text(record, "AppliedToTxn.TxnID", applied.txn_id, f.ID_MAX))
        leaf(app, "PaymentAmount", f.format_amount(record, "PaymentAmount", applied.payment_amount))


def receive_payment_add(request_id: str, payment: PaymentFields) -> Request:
    request = new_request("ReceivePaymentAddRq", request_id)
    node = etree.SubElement(request, "ReceivePaymentAdd")
    record = _payment_label(payment)
    if payment.is_auto_apply and payment.applications:
        raise QbxmlLimitError(record, "applications", "a payment is either auto-applied or applied by hand.")
    _payment_head(node, payment, record)
    if payment.applications:
        _applications(node, payment, record, "AppliedToTxnAdd")
    else:
        leaf(node, "IsAutoApply", f.format_bool(payment.is_auto_apply))
    return request


def receive_payment_mod(request_id: str, txn_id: str, edit_sequence: str, payment: PaymentFields) -> Request:
    """A ReceivePaymentMod; its applications replace the payment's applications."""
    request = new_request("ReceivePaymentModRq", request_id)
    node = etree.SubElement(request, "ReceivePaymentMod")
    record = _payment_label(payment, txn_id)
    if payment.is_auto_apply:
        raise QbxmlLimitError(record, "is_auto_apply", "QuickBooks cannot auto-apply a modified payment.")
    leaf(node, "TxnID", f.text(record, "TxnID", txn_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _payment_head(node, payment, record)
    _applications(node, payment, record, "AppliedToTxnMod")
    return request


def txn_void(request_id: str, txn_id: str, txn_type: str = "Invoice") -> Request:
    """TxnVoidRq. QuickBooks keeps a voided invoice or credit memo with zero amounts."""
    if txn_type not in _VOIDABLE:
        raise QbxmlLimitError(
            f"{txn_type} {txn_id}",
            "TxnVoidType",
            f"QuickBooks cannot void a {txn_type} through the SDK; delete it instead.",
        )
    request = new_request("TxnVoidRq", request_id)
    leaf(request, "TxnVoidType", txn_type)
    leaf(request, "TxnID", f.text(f"{txn_type} {txn_id}", "TxnID", txn_id, f.ID_MAX))
    return request


def txn_del(request_id: str, txn_id: str, txn_type: DeletableTxn = "ReceivePayment") -> Request:
    request = new_request("TxnDelRq", request_id)
    leaf(request, "TxnDelType", txn_type)
    leaf(request, "TxnID", f.text(f"{txn_type} {txn_id}", "TxnID", txn_id, f.ID_MAX))
    return request
