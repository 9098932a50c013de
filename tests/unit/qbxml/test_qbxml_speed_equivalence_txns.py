"""Speed work on the qbXML builders must not change a byte (issue 18): transactions.

A frozen copy of the invoice, payment and credit-memo builders as they were before the speed
work (``qbwc_server/qbxml/build_txns.py`` and ``build_credits.py`` at commit ec85f36,
verbatim but for the credit memo's ``_line``/``_body``/``_label``, renamed ``_credit_…`` to
live beside the invoice's), on top of the frozen helpers of
``test_qbxml_speed_equivalence_build.py`` (on the frozen
field checks of ``…_fields.py``). The same varied inputs go to the frozen copy and
to the live code: the same bytes, or the same error with the same message and attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import build_credits as live_credits
from qbwc_server.qbxml import build_txns as live_txns
from qbwc_server.qbxml.records import (
    AppliedCredit,
    AppliedPayment,
    CreditApplicationFields,
    CreditMemoFields,
    CreditToInvoice,
    InvoiceFields,
    InvoiceLineFields,
    PaymentFields,
    Ref,
)
from tests.unit.qbxml.test_qbxml_speed_equivalence_build import (
    address,
    leaf,
    new_request,
    opt_amount,
    opt_bool,
    opt_date,
    opt_rate,
    opt_text,
    ref,
)
from tests.unit.qbxml.test_qbxml_speed_equivalence_fields import (
    GOOD,
    SAME,
    Request,
    assert_same,
    f,
    full,
    ids,
    inputs,
    outcome,
    reaches,
    records,
    request_ids,
    variants,
)

NEW_LINE_ID = "-1"
ZERO_AMOUNT = "0.00"

# ===== frozen copy of build_txns.py (invoices and payments) =====


def _invoice_label(invoice: InvoiceFields, fallback: str = "") -> str:
    return f"Invoice {invoice.ref_number or fallback}".strip()


def _line(parent: etree._Element, line: InvoiceLineFields, record: str, number: int, *, is_mod: bool) -> None:
    node = etree.SubElement(parent, "InvoiceLineMod" if is_mod else "InvoiceLineAdd")
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


def _invoice_body(node: etree._Element, inv: InvoiceFields, record: str, *, is_mod: bool) -> None:
    ref(node, "CustomerRef", inv.customer, record)
    ref(node, "ARAccountRef", inv.ar_account, record)
    ref(node, "TemplateRef", inv.template, record)
    leaf(node, "TxnDate", opt_date(inv.txn_date))
    leaf(node, "RefNumber", opt_text(record, "RefNumber", inv.ref_number, f.INVOICE_REF_MAX))
    address(node, "BillAddress", inv.bill_address, record)
    address(node, "ShipAddress", inv.ship_address, record)
    leaf(node, "PONumber", opt_text(record, "PONumber", inv.po_number, f.PO_NUMBER_MAX))
    ref(node, "TermsRef", inv.terms, record)
    leaf(node, "DueDate", opt_date(inv.due_date))
    ref(node, "ItemSalesTaxRef", inv.item_sales_tax, record)
    leaf(node, "Memo", None if inv.memo is None else f.free_text(record, "Memo", inv.memo))
    leaf(node, "IsToBePrinted", opt_bool(inv.is_to_be_printed))
    leaf(node, "IsToBeEmailed", opt_bool(inv.is_to_be_emailed))
    ref(node, "CustomerSalesTaxCodeRef", inv.customer_sales_tax_code, record)
    for number, line in enumerate(inv.lines, start=1):
        _line(node, line, record, number, is_mod=is_mod)


def invoice_add(request_id: str, invoice: InvoiceFields) -> Request:
    request = new_request("InvoiceAddRq", request_id)
    _invoice_body(etree.SubElement(request, "InvoiceAdd"), invoice, _invoice_label(invoice), is_mod=False)
    return request


def invoice_mod(request_id: str, txn_id: str, edit_sequence: str, invoice: InvoiceFields) -> Request:
    """An InvoiceMod. When ``invoice.lines`` is not empty it replaces every line:

    QuickBooks deletes lines whose TxnLineID is not listed, so send all lines to keep.
    """
    request = new_request("InvoiceModRq", request_id)
    node = etree.SubElement(request, "InvoiceMod")
    record = _invoice_label(invoice, txn_id)
    leaf(node, "TxnID", f.text(record, "TxnID", txn_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _invoice_body(node, invoice, record, is_mod=True)
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


# ===== frozen copy of build_credits.py (credit memos and applying them) =====


def _credit_label(credit: CreditMemoFields) -> str:
    return f"Credit memo {credit.ref_number or ''}".strip()


def _credit_line(
    parent: etree._Element, line: InvoiceLineFields, record: str, number: int, *, is_mod: bool
) -> None:
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


def _credit_body(node: etree._Element, credit: CreditMemoFields, record: str, *, is_mod: bool) -> None:
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
        _credit_line(node, line, record, number, is_mod=is_mod)


def credit_memo_add(request_id: str, credit: CreditMemoFields) -> Request:
    """CreditMemoAddRq: QuickBooks computes Subtotal, SalesTaxTotal, TotalAmount and CreditRemaining."""
    request = new_request("CreditMemoAddRq", request_id)
    _credit_body(etree.SubElement(request, "CreditMemoAdd"), credit, _credit_label(credit), is_mod=False)
    return request


def credit_memo_mod(request_id: str, txn_id: str, edit_sequence: str, credit: CreditMemoFields) -> Request:
    """CreditMemoModRq: the whole credit memo again, every line new (TxnLineID -1 unless the
    line names one), so its lines replace all QuickBooks had. QuickBooks works out the totals
    again. A ``memo`` of "" goes as an empty Memo, which clears it; None leaves it as it is."""
    record = _credit_label(credit) if credit.ref_number else f"Credit memo {txn_id}"
    request = new_request("CreditMemoModRq", request_id)
    node = etree.SubElement(request, "CreditMemoMod")
    leaf(node, "TxnID", f.text(record, "TxnID", txn_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _credit_body(node, credit, record, is_mod=True)
    return request


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


# ===== the comparisons =====

good_line = records(InvoiceLineFields, GOOD)
#: Mostly valid lines, often two or more of them.
lines = st.one_of(
    st.lists(good_line, min_size=2, max_size=4),
    st.lists(good_line | inputs(InvoiceLineFields), max_size=4),
).map(tuple)
invoices = inputs(InvoiceFields, lines=lines)
payments = inputs(PaymentFields, applications=st.lists(inputs(AppliedPayment), max_size=3).map(tuple))
credit_memos = inputs(CreditMemoFields, lines=lines)
credits_to_invoices = inputs(CreditToInvoice, credits=st.lists(inputs(AppliedCredit), max_size=3).map(tuple))
applications = inputs(
    CreditApplicationFields, applications=st.lists(credits_to_invoices, max_size=3).map(tuple)
)


@SAME
@given(request_ids, invoices)
def test_invoice_add_is_unchanged(request_id: str, invoice: InvoiceFields) -> None:
    assert_same(invoice_add, live_txns.invoice_add, request_id, invoice)


@SAME
@given(request_ids, ids, ids, invoices)
def test_invoice_mod_is_unchanged(request_id: str, txn_id: str, edit: str, invoice: InvoiceFields) -> None:
    assert_same(invoice_mod, live_txns.invoice_mod, request_id, txn_id, edit, invoice)


@SAME
@given(request_ids, ids, ids, payments)
def test_payments_are_unchanged(request_id: str, txn_id: str, edit: str, payment: PaymentFields) -> None:
    assert_same(receive_payment_add, live_txns.receive_payment_add, request_id, payment)
    assert_same(receive_payment_mod, live_txns.receive_payment_mod, request_id, txn_id, edit, payment)


@SAME
@given(request_ids, ids, ids, credit_memos)
def test_credit_memos_are_unchanged(
    request_id: str, txn_id: str, edit: str, credit: CreditMemoFields
) -> None:
    assert_same(credit_memo_add, live_credits.credit_memo_add, request_id, credit)
    assert_same(credit_memo_mod, live_credits.credit_memo_mod, request_id, txn_id, edit, credit)


@SAME
@given(request_ids, ids, ids, applications)
def test_credit_applications_are_unchanged(
    request_id: str, txn_id: str, edit: str, application: CreditApplicationFields
) -> None:
    assert_same(credit_application_add, live_credits.credit_application_add, request_id, application)
    assert_same(
        credit_application_mod, live_credits.credit_application_mod, request_id, txn_id, edit, application
    )


_SWEEPS = [
    (invoice_add, live_txns.invoice_add, full(InvoiceFields), False),
    (invoice_mod, live_txns.invoice_mod, full(InvoiceFields), True),
    (receive_payment_add, live_txns.receive_payment_add, full(PaymentFields, is_auto_apply=False), False),
    (receive_payment_add, live_txns.receive_payment_add, full(PaymentFields, applications=()), False),
    (receive_payment_mod, live_txns.receive_payment_mod, full(PaymentFields, is_auto_apply=False), True),
    (credit_memo_add, live_credits.credit_memo_add, full(CreditMemoFields), False),
    (credit_memo_mod, live_credits.credit_memo_mod, full(CreditMemoFields), True),
    (credit_application_add, live_credits.credit_application_add, full(CreditApplicationFields), False),
    (credit_application_mod, live_credits.credit_application_mod, full(CreditApplicationFields), True),
]


@pytest.mark.parametrize(
    ("old", "new", "base", "mod"), _SWEEPS, ids=[f"{s[0].__name__}-{n}" for n, s in enumerate(_SWEEPS)]
)
def test_every_field_at_every_limit_builds_the_same(
    old: Callable[..., Request], new: Callable[..., Request], base: Any, mod: bool
) -> None:
    """Deterministic: each field (and each field of the first line, application or credit) in
    turn at both sides of each limit, blank, odd, or None: the same bytes or the same error."""
    for changed in variants(base):
        args = ("1", "1A-1704186104", "12") if mod else ("1",)
        assert_same(old, new, *args, changed)


def test_invoices_with_lines_both_build_and_fail() -> None:
    """Generated invoices with two lines or more build, and others fail (the sweep test goes
    through every field's errors, deterministically)."""
    reaches(
        invoices,
        lambda invoice: len(invoice.lines) >= 2 and outcome(invoice_add, "1", invoice)[0] == "built",
    )
    reaches(invoices, lambda invoice: outcome(invoice_add, "1", invoice)[0] == "raised")


def test_an_invoice_line_changed_in_the_output_is_seen() -> None:
    """The comparison is not blind to a change deep inside a line."""
    invoice = InvoiceFields(
        customer=Ref.by_name("Smith"),
        lines=(InvoiceLineFields(item=Ref.by_name("Labor"), quantity=Decimal("2"), rate=Decimal("65")),),
    )

    def rate_as_written(request_id: str, inv: InvoiceFields) -> Request:
        request = invoice_add(request_id, inv)
        rate = request.find("InvoiceAdd/InvoiceLineAdd/Rate")
        assert rate is not None
        rate.text = "65.00"
        return request

    assert outcome(rate_as_written, "1", invoice) != outcome(live_txns.invoice_add, "1", invoice)
    assert outcome(invoice_add, "1", invoice) == outcome(live_txns.invoice_add, "1", invoice)
