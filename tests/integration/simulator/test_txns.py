from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from qbwc_server.qbxml import (
    AppliedPayment,
    CustomerFields,
    InvoiceFields,
    InvoiceLineFields,
    ItemFields,
    PaymentFields,
    Record,
    Ref,
    customer_add,
    invoice_add,
    invoice_mod,
    item_add,
    receive_payment_add,
    receive_payment_mod,
    txn_del,
    txn_query,
    txn_void,
)
from qbwc_server.simulator import QuickBooksCompany, add_sales_tax_item
from tests.integration.simulator.helpers import one, record, run

D = Decimal


@pytest.fixture
def shop(company: QuickBooksCompany) -> QuickBooksCompany:
    add_sales_tax_item(company, "State Tax", "8.25")  # a new company has none
    run(
        company,
        customer_add("c1", CustomerFields(name="Smith")),
        customer_add("c2", CustomerFields(name="Kitchen", parent=Ref.by_name("Smith"))),
        customer_add("c3", CustomerFields(name="Church", sales_tax_code=Ref.by_name("Non"))),
        item_add(
            "i1",
            ItemFields(
                name="Labor",
                price=D("65"),
                income_account=Ref.by_name("Construction Income"),
                sales_tax_code=Ref.by_name("Non"),
            ),
        ),
        item_add(
            "i2",
            ItemFields(
                name="Lumber",
                price=D("4.25"),
                income_account=Ref.by_name("Materials Income"),
                sales_tax_code=Ref.by_name("Tax"),
            ),
        ),
    )
    assert len(company.customers) == 3
    return company


def _invoice(
    company: QuickBooksCompany, customer: str = "Smith:Kitchen", ref: str | None = "1001", **kwargs: object
) -> Record:
    lines = (
        InvoiceLineFields(item=Ref.by_name("Labor"), quantity=D("3"), rate=D("65")),
        InvoiceLineFields(item=Ref.by_name("Lumber"), quantity=D("10.5")),
    )
    fields = {
        "customer": Ref.by_name(customer),
        "ref_number": ref,
        "txn_date": date(2024, 1, 3),
        "lines": lines,
        **kwargs,
    }
    return record(company, invoice_add("inv", InvoiceFields(**fields)))  # type: ignore[arg-type]


def test_invoice_totals_and_sales_tax_are_computed(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    # 3 × 65 = 195.00 non-taxable; 10.5 × 4.25 = 44.625 → 44.63 taxable; 8.25 % of 44.63 = 3.682 → 3.68
    assert invoice.subtotal == D("239.63")
    assert invoice.decimal("SalesTaxTotal") == D("3.68")
    assert invoice.get("ItemSalesTaxRef/FullName") == "State Tax"
    assert invoice.balance_remaining == D("243.31")
    assert [line.decimal("Amount") for line in invoice.lines("InvoiceLineRet")] == [D("195.00"), D("44.63")]


def test_tax_exempt_customer_and_chosen_tax_item(shop: QuickBooksCompany) -> None:
    exempt = _invoice(shop, customer="Church", ref="2001")
    assert exempt.decimal("SalesTaxTotal") == D("0.00") and exempt.balance_remaining == D("239.63")
    override = _invoice(shop, ref="2002", customer_sales_tax_code=Ref.by_name("Non"))
    assert override.decimal("SalesTaxTotal") == D("0.00")
    unknown = one(
        shop,
        invoice_add(
            "x", InvoiceFields(customer=Ref.by_name("Smith"), item_sales_tax=Ref.by_name("County Tax"))
        ),
    )
    assert unknown.status.status_code == 3140


def test_unknown_customer_or_item_gets_3140(shop: QuickBooksCompany) -> None:
    assert (
        one(shop, invoice_add("1", InvoiceFields(customer=Ref.by_name("Nobody")))).status.status_code == 3140
    )
    bad_item = InvoiceFields(
        customer=Ref.by_name("Smith"), lines=(InvoiceLineFields(item=Ref.by_name("Nope")),)
    )
    assert one(shop, invoice_add("2", bad_item)).status.status_code == 3140
    assert shop.invoices == []


def test_duplicate_ref_numbers_are_accepted_like_quickbooks(shop: QuickBooksCompany) -> None:
    first, second = _invoice(shop, ref="1001"), _invoice(shop, ref="1001")
    assert first.txn_id != second.txn_id
    found = one(shop, txn_query("InvoiceQueryRq", "q", ref_numbers=["1001"]))
    assert [r.txn_id for r in found.records] == [first.txn_id, second.txn_id]


def test_invoice_without_ref_number_is_numbered(shop: QuickBooksCompany) -> None:
    _invoice(shop, ref="1041")
    assert _invoice(shop, ref=None).ref_number == "1042"


def _pay(company: QuickBooksCompany, invoice: Record, amount: str, total: str | None = None) -> Record:
    assert invoice.txn_id
    return record(
        company,
        receive_payment_add(
            "pay",
            PaymentFields(
                customer=Ref.by_name(invoice.get("CustomerRef/FullName") or ""),
                ref_number="CHK",
                txn_date=date(2024, 1, 9),
                total_amount=D(total or amount),
                payment_method=Ref.by_name("Check"),
                applications=(AppliedPayment(invoice.txn_id, D(amount)),),
            ),
        ),
    )


def test_payments_reduce_balance_and_overpaying_gets_3210(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    payment = _pay(shop, invoice, "100")
    applied = payment.lines("AppliedToTxnRet")[0]
    assert applied.txn_id == invoice.txn_id and applied.balance_remaining == D("143.31")
    over = one(
        shop,
        receive_payment_add(
            "p2",
            PaymentFields(
                customer=Ref.by_name("Smith:Kitchen"),
                total_amount=D("200"),
                applications=(AppliedPayment(invoice.txn_id or "", D("143.32")),),
            ),
        ),
    )
    assert over.status.status_code == 3210
    _pay(shop, invoice, "143.31")
    paid = one(shop, txn_query("InvoiceQueryRq", "q", txn_ids=[invoice.txn_id or ""])).records[0]
    assert paid.balance_remaining == D("0.00") and paid.flag("IsPaid") is True
    assert paid.decimal("AppliedAmount") == D("-243.31")


def test_applications_beyond_the_payment_total_get_3210(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    result = one(
        shop,
        receive_payment_add(
            "p",
            PaymentFields(
                customer=Ref.by_name("Smith:Kitchen"),
                total_amount=D("10"),
                applications=(AppliedPayment(invoice.txn_id or "", D("20")),),
            ),
        ),
    )
    assert result.status.status_code == 3210


def test_payment_for_unknown_invoice_gets_3120(shop: QuickBooksCompany) -> None:
    result = one(
        shop,
        receive_payment_add(
            "p",
            PaymentFields(
                customer=Ref.by_name("Smith"),
                total_amount=D("10"),
                applications=(AppliedPayment("99-1", D("10")),),
            ),
        ),
    )
    assert result.status.status_code == 3120


def test_payment_mod_replaces_applications(shop: QuickBooksCompany) -> None:
    first, second = _invoice(shop, ref="A"), _invoice(shop, ref="B")
    payment = _pay(shop, first, "100")
    assert payment.txn_id and payment.edit_sequence
    modded = record(
        shop,
        receive_payment_mod(
            "m",
            payment.txn_id,
            payment.edit_sequence,
            PaymentFields(
                customer=Ref.by_name("Smith:Kitchen"),
                total_amount=D("100"),
                applications=(AppliedPayment(second.txn_id or "", D("60")),),
            ),
        ),
    )
    assert [(a.txn_id, a.decimal("Amount")) for a in modded.lines("AppliedToTxnRet")] == [
        (second.txn_id, D("60"))
    ]
    assert modded.decimal("UnusedPayment") == D("40.00")
    balances = {i.ref_number: shop.invoice_balance(i) for i in shop.invoices}
    assert balances == {"A": D("243.31"), "B": D("183.31")}
    stale = one(
        shop,
        receive_payment_mod(
            "m2",
            payment.txn_id,
            payment.edit_sequence,
            PaymentFields(customer=Ref.by_name("Smith:Kitchen"), total_amount=D("1")),
        ),
    )
    assert stale.status.status_code == 3200


def test_delete_payment_restores_invoice_balance(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    payment = _pay(shop, invoice, "100")
    deleted = record(shop, txn_del("d", payment.txn_id or ""))
    assert deleted.kind == "TxnDelRet" and deleted.txn_id == payment.txn_id
    assert shop.payments == []
    assert shop.invoice_balance(shop.invoices[0]) == D("243.31")
    again = one(shop, txn_del("d2", payment.txn_id or ""))
    assert again.status.status_code == 3120


def test_void_keeps_the_invoice_with_zero_amounts(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop, memo="Kitchen work")
    payment = _pay(shop, invoice, "50")
    voided = record(shop, txn_void("v", invoice.txn_id or ""))
    assert voided.kind == "TxnVoidRet" and voided.ref_number == "1001"
    kept = one(shop, txn_query("InvoiceQueryRq", "q", txn_ids=[invoice.txn_id or ""])).records[0]
    assert kept.subtotal == D("0.00") and kept.balance_remaining == D("0.00")
    assert kept.get("Memo") == "VOID: Kitchen work"
    assert shop.invoices[0].is_void
    # The payment stays, now unapplied: QuickBooks turns it into a credit.
    assert shop.payments[0].txn_id == payment.txn_id and shop.payments[0].unused == D("50")


def test_invoice_mod_replaces_lines_and_checks_edit_sequence(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    assert invoice.txn_id and invoice.edit_sequence
    keep = invoice.lines("InvoiceLineRet")[0].get("TxnLineID")
    modded = record(
        shop,
        invoice_mod(
            "m",
            invoice.txn_id,
            invoice.edit_sequence,
            InvoiceFields(
                customer=Ref.by_name("Smith:Kitchen"),
                memo="changed",
                lines=(
                    InvoiceLineFields(txn_line_id=keep, quantity=D("4")),
                    InvoiceLineFields(description="Permit fee", amount=D("50")),
                ),
            ),
        ),
    )
    lines = modded.lines("InvoiceLineRet")
    assert [line.get("TxnLineID") == keep for line in lines] == [True, False]
    assert [line.decimal("Amount") for line in lines] == [D("260.00"), D("50.00")]
    assert modded.subtotal == D("310.00") and modded.get("Memo") == "changed"
    assert modded.edit_sequence != invoice.edit_sequence
    stale = one(
        shop,
        invoice_mod(
            "m2", invoice.txn_id, invoice.edit_sequence, InvoiceFields(customer=Ref.by_name("Smith"))
        ),
    )
    assert stale.status.status_code == 3200


def test_invoice_queries_by_modified_date_and_entity(shop: QuickBooksCompany) -> None:
    old = _invoice(shop, ref="OLD")
    shop.advance_clock(timedelta(days=3))
    since = shop.state.clock
    new = _invoice(shop, ref="NEW", customer="Church")
    recent = one(shop, txn_query("InvoiceQueryRq", "1", from_modified=since))
    assert [r.txn_id for r in recent.records] == [new.txn_id]
    by_entity = one(shop, txn_query("InvoiceQueryRq", "2", entity=Ref.by_name("Smith:Kitchen")))
    assert [r.txn_id for r in by_entity.records] == [old.txn_id]
    parent_only = one(shop, txn_query("InvoiceQueryRq", "3", entity=Ref.by_name("Smith")))
    assert parent_only.status.no_match
    unpaid = one(shop, txn_query("InvoiceQueryRq", "4", paid_status="NotPaidOnly"))
    assert len(unpaid.records) == 2
    no_lines = one(
        shop, txn_query("InvoiceQueryRq", "5", txn_ids=[old.txn_id or ""], include_line_items=False)
    )
    assert no_lines.records[0].lines("InvoiceLineRet") == ()


def test_payment_query_by_modified_date_lists_applications(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    _pay(shop, invoice, "10")
    shop.advance_clock(timedelta(hours=5))
    since = shop.state.clock
    late = _pay(shop, invoice, "20")
    found = one(shop, txn_query("ReceivePaymentQueryRq", "q", from_modified=since))
    assert [r.txn_id for r in found.records] == [late.txn_id]
    assert found.records[0].lines("AppliedToTxnRet")[0].decimal("Amount") == D("20.00")
    assert one(shop, txn_query("ReceivePaymentQueryRq", "q2", ref_numbers=["nope"])).status.no_match


def test_customer_balance_follows_invoices_and_payments(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    _pay(shop, invoice, "43.31")
    smith = shop.find_list("Customer", "Smith")
    kitchen = shop.find_list("Customer", "Smith:Kitchen")
    assert smith is not None and kitchen is not None
    assert shop.balance_of(kitchen, False) == D("200.00")
    assert shop.balance_of(smith, False) == D("0.00") and shop.balance_of(smith, True) == D("200.00")
