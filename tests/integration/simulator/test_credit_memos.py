"""The simulator keeps credit memos as QuickBooks Desktop does and applies them with SetCredit."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from qbwc_server import qbxml as q
from qbwc_server.simulator import QuickBooksCompany, add_sales_tax_item
from tests.integration.simulator.helpers import one, record, run

D = Decimal
JOB = "Smith:Kitchen"


@pytest.fixture
def shop(company: QuickBooksCompany) -> QuickBooksCompany:
    add_sales_tax_item(company, "State Tax", "8.25")
    run(
        company,
        q.customer_add("c1", q.CustomerFields(name="Smith")),
        q.customer_add("c2", q.CustomerFields(name="Kitchen", parent=q.Ref.by_name("Smith"))),
        q.customer_add("c3", q.CustomerFields(name="Jones")),
        q.item_add(
            "i1",
            q.ItemFields(
                name="Labor",
                price=D("65"),
                income_account=q.Ref.by_name("Construction Income"),
                sales_tax_code=q.Ref.by_name("Non"),
            ),
        ),
        q.item_add(
            "i2",
            q.ItemFields(
                name="Lumber",
                price=D("4.25"),
                income_account=q.Ref.by_name("Materials Income"),
                sales_tax_code=q.Ref.by_name("Tax"),
            ),
        ),
    )
    return company


def _credit(company: QuickBooksCompany, customer: str = JOB, ref: str = "CM-1001") -> q.CreditMemoRet:
    fields = q.CreditMemoFields(
        customer=q.Ref.by_name(customer),
        txn_date=date(2024, 1, 5),
        ref_number=ref,
        memo="Warranty",
        lines=(
            q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("2"), rate=D("65")),
            q.InvoiceLineFields(item=q.Ref.by_name("Lumber"), quantity=D("10")),
        ),
    )
    return q.read_credit_memo(record(company, q.credit_memo_add("cm", fields)))


def _invoice(company: QuickBooksCompany, customer: str = JOB, ref: str = "1001", rate: str = "300") -> str:
    fields = q.InvoiceFields(
        customer=q.Ref.by_name(customer),
        ref_number=ref,
        txn_date=date(2024, 1, 3),
        lines=(q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1"), rate=D(rate)),),
    )
    txn_id = record(company, q.invoice_add("inv", fields)).txn_id
    assert txn_id is not None
    return txn_id


def _apply(company: QuickBooksCompany, *targets: tuple[str, str, str], customer: str = JOB) -> q.Result:
    """Set credits against invoices: (invoice TxnID, credit TxnID, amount) each."""
    application = q.CreditApplicationFields(
        customer=q.Ref.by_name(customer),
        txn_date=date(2024, 1, 6),
        applications=tuple(
            q.CreditToInvoice(inv, (q.AppliedCredit(cm, D(amount)),)) for inv, cm, amount in targets
        ),
    )
    return one(company, q.credit_application_add("pay", application))


def _balance(company: QuickBooksCompany, invoice_id: str) -> Decimal:
    found = record(
        company, q.txn_query("InvoiceQueryRq", "iq", txn_ids=[invoice_id], include_line_items=False)
    )
    assert found.balance_remaining is not None
    return found.balance_remaining


def _remaining(company: QuickBooksCompany, credit_id: str) -> Decimal | None:
    return q.read_credit_memo(
        record(company, q.credit_memo_query("cq", txn_ids=[credit_id]))
    ).credit_remaining


def test_a_credit_memo_totals_and_taxes_like_an_invoice(shop: QuickBooksCompany) -> None:
    credit = _credit(shop)
    # 2 × 65 labor (not taxed) + 10 × 4.25 lumber (taxed at 8.25 %: 3.51 after half-up rounding).
    assert (credit.subtotal, credit.sales_tax_total, credit.total) == (D("172.50"), D("3.51"), D("176.01"))
    assert credit.credit_remaining == D("176.01") and credit.ref_number == "CM-1001"
    assert [line.amount for line in credit.lines] == [D("130.00"), D("42.50")]
    found = record(shop, q.credit_memo_query("cq", ref_numbers=["cm-1001"]))
    assert found.txn_id == credit.txn_id and found.lines("CreditMemoLineRet") == ()


def test_an_unknown_customer_or_item_gets_3140(shop: QuickBooksCompany) -> None:
    result = one(
        shop,
        q.credit_memo_add(
            "cm",
            q.CreditMemoFields(
                customer=q.Ref.by_name("Nobody"), lines=(q.InvoiceLineFields(item=q.Ref.by_name("Labor")),)
            ),
        ),
    )
    assert result.status.status_code == 3140 and "Nobody" in result.status.status_message
    assert shop.state.credit_memos == {}


def test_a_query_that_finds_nothing_says_so(shop: QuickBooksCompany) -> None:
    assert one(shop, q.credit_memo_query("cq", ref_numbers=["CM-9"])).status.status_code == 1


def test_set_credit_lowers_the_invoice_balance_and_the_credit_remaining(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    result = _apply(shop, (invoice, credit.txn_id, "100.00"))
    assert result.status.status_code == 0, result.status
    payment = result.record
    assert payment is not None and payment.total_amount == D("0.00")
    (applied,) = payment.lines("AppliedToTxnRet")
    (link,) = applied.lines("LinkedTxn")
    assert (link.get("TxnType"), link.txn_id, link.decimal("Amount")) == (
        "CreditMemo",
        credit.txn_id,
        D("-100.00"),
    )
    assert _balance(shop, invoice) == D("200.00")
    assert _remaining(shop, credit.txn_id) == D("76.01")
    linked = record(shop, q.credit_memo_query("cq", txn_ids=[credit.txn_id], include_linked_txns=True))
    assert [(r.get("TxnType"), r.decimal("Amount")) for r in linked.lines("LinkedTxn")] == [
        ("ReceivePayment", D("100.00"))
    ]


def test_over_applying_a_credit_is_refused_and_changes_nothing(shop: QuickBooksCompany) -> None:
    first, second = _invoice(shop), _invoice(shop, ref="1002")
    credit = _credit(shop)
    payments_before = dict(shop.state.payments)
    result = _apply(shop, (first, credit.txn_id, "100.00"), (second, credit.txn_id, "76.02"))
    assert result.status.status_code == 3210 and "76.01 left" in result.status.status_message
    assert shop.state.payments == payments_before
    assert _remaining(shop, credit.txn_id) == D("176.01") and _balance(shop, first) == D("300.00")


def test_a_credit_is_never_more_than_the_invoice_owes(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop, rate="50")
    credit = _credit(shop)
    result = _apply(shop, (invoice, credit.txn_id, "50.01"))
    assert result.status.status_code == 3210 and "50.00 due" in result.status.status_message
    assert _apply(shop, (invoice, credit.txn_id, "50.00")).status.status_code == 0
    assert _balance(shop, invoice) == D("0.00")
    paid = record(shop, q.txn_query("InvoiceQueryRq", "iq", txn_ids=[invoice], include_line_items=False))
    assert paid.flag("IsPaid") is True and paid.decimal("AppliedAmount") == D("-50.00")


def test_unknown_credit_is_3120_and_another_customers_credit_is_refused(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    unknown = _apply(shop, (invoice, "FFFF-1", "10.00"))
    assert unknown.status.status_code == 3120 and "FFFF-1" in unknown.status.status_message
    others = _credit(shop, customer="Jones", ref="CM-2")
    refused = _apply(shop, (invoice, others.txn_id, "10.00"))
    assert (
        refused.status.status_code == 3210
        and "not available to this customer" in refused.status.status_message
    )


def test_voiding_a_credit_memo_zeroes_it_and_the_invoice_owes_again(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    assert _apply(shop, (invoice, credit.txn_id, "100.00")).status.status_code == 0
    voided = one(shop, q.credit_memo_void("v", credit.txn_id))
    assert voided.status.status_code == 0, voided.status
    again = q.read_credit_memo(record(shop, q.credit_memo_query("cq", txn_ids=[credit.txn_id])))
    assert (again.total, again.credit_remaining) == (D("0.00"), D("0.00"))
    assert _balance(shop, invoice) == D("300.00")
    # Nothing left to set against anything.
    assert _apply(shop, (invoice, credit.txn_id, "0.01")).status.status_code == 3210
    assert one(shop, q.credit_memo_void("v", "FFFF-9")).status.status_code == 3120


def test_deleting_a_credit_memo_removes_it_and_the_invoice_owes_again(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    assert _apply(shop, (invoice, credit.txn_id, "100.00")).status.status_code == 0
    deleted = one(shop, q.txn_del("d", credit.txn_id, "CreditMemo"))
    assert deleted.status.status_code == 0, deleted.status
    assert _balance(shop, invoice) == D("300.00")
    gone = one(shop, q.credit_memo_query("cq", txn_ids=[credit.txn_id]))
    assert gone.status.status_code == 1 and gone.records == ()  # found nothing
    assert one(shop, q.txn_del("d", credit.txn_id, "CreditMemo")).status.status_code == 3120


def test_a_credit_only_payment_may_be_links_only_with_a_thin_answer(shop: QuickBooksCompany) -> None:
    """Intuit: setting credits alone may make no transaction, only links, and a "thin" answer."""
    shop.credit_links_only = True
    invoice = _invoice(shop)
    credit = _credit(shop)
    applied = _apply(shop, (invoice, credit.txn_id, "100.00"))
    assert (applied.status.status_code, applied.records) == (0, ())
    assert _balance(shop, invoice) == D("200.00")
    assert _remaining(shop, credit.txn_id) == D("76.01")
    listed = one(shop, q.txn_query("ReceivePaymentQueryRq", "pq"))
    assert listed.records == () and shop.payments == []  # no payment to change or delete
    # The links name the two transactions themselves, never a payment that is not there.
    (credit_ret,) = one(
        shop, q.credit_memo_query("c", txn_ids=[credit.txn_id], include_linked_txns=True)
    ).records
    links = [
        (link.get("TxnID"), link.get("TxnType"), link.get("Amount")) for link in credit_ret.lines("LinkedTxn")
    ]
    assert links == [(invoice, "Invoice", "100.00")]
    (invoice_ret,) = one(
        shop, q.txn_query("InvoiceQueryRq", "i", txn_ids=[invoice], include_linked_txns=True)
    ).records
    links = [
        (link.get("TxnID"), link.get("TxnType"), link.get("Amount"))
        for link in invoice_ret.lines("LinkedTxn")
    ]
    assert links == [(credit.txn_id, "CreditMemo", "-100.00")]
    # Money received is a payment as ever, with its record.
    fields = q.PaymentFields(
        customer=q.Ref.by_name(JOB),
        txn_date=date(2024, 1, 7),
        total_amount=D("50.00"),
        payment_method=q.Ref.by_name("Check"),
        applications=(q.AppliedPayment(invoice, D("50.00")),),
    )
    paid = one(shop, q.receive_payment_add("p", fields))
    assert paid.status.status_code == 0 and paid.records[0].txn_id is not None
    assert _balance(shop, invoice) == D("150.00")


def test_voiding_the_invoice_frees_the_credit(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    assert _apply(shop, (invoice, credit.txn_id, "100.00")).status.status_code == 0
    assert one(shop, q.txn_void("v", invoice)).status.status_code == 0
    assert _remaining(shop, credit.txn_id) == D("176.01")


def test_credit_memos_survive_saving_the_company(shop: QuickBooksCompany, tmp_path: Path) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    assert _apply(shop, (invoice, credit.txn_id, "25.00")).status.status_code == 0
    shop.save(tmp_path / "company.json")
    loaded = QuickBooksCompany.load(tmp_path / "company.json")
    assert _remaining(loaded, credit.txn_id) == D("151.01") and _balance(loaded, invoice) == D("275.00")


def _change(company: QuickBooksCompany, payment: q.Record, *targets: tuple[str, str, str]) -> q.Result:
    """ReceivePaymentMod of a credit's $0.00 payment: what it applies now, all of it."""
    assert payment.txn_id is not None and payment.edit_sequence is not None
    application = q.CreditApplicationFields(
        customer=q.Ref.by_name(JOB),
        applications=tuple(
            q.CreditToInvoice(inv, (q.AppliedCredit(cm, D(amount)),)) for inv, cm, amount in targets
        ),
    )
    return one(company, q.credit_application_mod("mod", payment.txn_id, payment.edit_sequence, application))


def test_a_payment_mod_replaces_the_credits_it_set(shop: QuickBooksCompany) -> None:
    first, second = _invoice(shop), _invoice(shop, ref="1002")
    credit = _credit(shop)
    payment = _apply(shop, (first, credit.txn_id, "100.00")).record
    assert payment is not None
    # What it applied is free again while the change is checked: all 176.01 may be set anew.
    changed = _change(shop, payment, (first, credit.txn_id, "40.00"), (second, credit.txn_id, "136.01"))
    assert changed.status.status_code == 0, changed.status
    assert changed.record is not None and changed.record.edit_sequence != payment.edit_sequence
    assert (_balance(shop, first), _balance(shop, second)) == (D("260.00"), D("163.99"))
    assert _remaining(shop, credit.txn_id) == D("0.00")
    # An invoice left out of the list is no longer credited.
    again = _change(shop, changed.record, (second, credit.txn_id, "10.00"))
    assert again.status.status_code == 0, again.status
    assert (_balance(shop, first), _balance(shop, second)) == (D("300.00"), D("290.00"))
    assert _remaining(shop, credit.txn_id) == D("166.01")


def test_a_refused_payment_mod_changes_nothing(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    payment = _apply(shop, (invoice, credit.txn_id, "100.00")).record
    assert payment is not None
    too_much = _change(shop, payment, (invoice, credit.txn_id, "176.02"))
    assert too_much.status.status_code == 3210
    stale = dataclasses.replace(payment, values={**payment.values, "EditSequence": ("1",)})
    assert _change(shop, stale, (invoice, credit.txn_id, "10.00")).status.status_code == 3200
    assert _balance(shop, invoice) == D("200.00") and _remaining(shop, credit.txn_id) == D("76.01")


def _mod(
    company: QuickBooksCompany,
    credit: q.CreditMemoRet,
    *lines: q.InvoiceLineFields,
    memo: str | None = None,
    edit_sequence: str | None = None,
) -> q.Result:
    """CreditMemoMod of ``credit`` (as last read) with these lines (all new unless named)."""
    fields = q.CreditMemoFields(
        customer=q.Ref.by_name(JOB), ref_number=credit.ref_number, memo=memo, lines=lines
    )
    sequence = credit.edit_sequence if edit_sequence is None else edit_sequence
    return one(company, q.credit_memo_mod("mod", credit.txn_id, sequence, fields))


def _read(company: QuickBooksCompany, credit_id: str) -> q.CreditMemoRet:
    found = record(company, q.credit_memo_query("cq", txn_ids=[credit_id], include_line_items=True))
    return q.read_credit_memo(found)


def test_a_credit_memo_mod_replaces_its_lines_and_works_out_the_totals_again(shop: QuickBooksCompany) -> None:
    credit = _credit(shop)
    kept = credit.lines[1].txn_line_id  # the lumber line
    result = _mod(
        shop,
        credit,
        q.InvoiceLineFields(item=q.Ref.by_name("Lumber"), quantity=D("4"), txn_line_id=kept),
        q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1"), rate=D("65")),
        memo="Warranty: one visit",
    )
    assert result.status.status_code == 0, result.status
    assert result.record is not None
    changed = q.read_credit_memo(result.record)
    # The labor line not listed is gone; 4 × 4.25 lumber taxed at 8.25 % (1.40) + a new 65.00 line.
    assert [(line.item_full_name, line.amount) for line in changed.lines] == [
        ("Lumber", D("17.00")),
        ("Labor", D("65.00")),
    ]
    assert changed.lines[0].txn_line_id == kept
    assert changed.lines[1].txn_line_id not in {None, "-1", *(line.txn_line_id for line in credit.lines)}
    assert (changed.subtotal, changed.sales_tax_total, changed.total) == (D("82.00"), D("1.40"), D("83.40"))
    assert changed.credit_remaining == D("83.40")
    assert changed.edit_sequence != credit.edit_sequence and changed.txn_id == credit.txn_id
    assert result.record.get("TimeModified") != result.record.get("TimeCreated")
    assert result.record.get("Memo") == "Warranty: one visit"
    # What a query reads is what the Mod answered.
    again = _read(shop, credit.txn_id)
    assert again == changed
    # Without a Memo the memo stays; the edit sequence moves on every change.
    second = _mod(shop, again, q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1")))
    assert second.status.status_code == 0, second.status
    assert second.record is not None and second.record.get("Memo") == "Warranty: one visit"
    assert second.record.edit_sequence != again.edit_sequence
    assert q.read_credit_memo(second.record).total == D("65.00")


def test_a_credit_memo_mod_is_refused_for_a_missing_or_stale_or_void_credit_memo(
    shop: QuickBooksCompany,
) -> None:
    credit = _credit(shop)
    labor = q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1"))
    missing = dataclasses.replace(credit, txn_id="FFFF-9")
    assert _mod(shop, missing, labor).status.status_code == 3120
    stale = _mod(shop, credit, labor, edit_sequence="1")
    assert stale.status.status_code == 3200 and "out-of-date" in stale.status.status_message
    unknown_line = _mod(shop, credit, dataclasses.replace(labor, txn_line_id="9-9"))
    assert unknown_line.status.status_code == 3120 and "9-9" in unknown_line.status.status_message
    assert _read(shop, credit.txn_id) == credit  # none of them changed anything
    assert one(shop, q.credit_memo_void("v", credit.txn_id)).status.status_code == 0
    void = _read(shop, credit.txn_id)
    refused = _mod(shop, void, labor)
    assert refused.status.status_code == 3210 and "void" in refused.status.status_message
    assert _read(shop, credit.txn_id) == void and void.total == D("0.00")


def test_a_credit_memo_mod_keeps_at_least_what_is_set_against_invoices(shop: QuickBooksCompany) -> None:
    invoice = _invoice(shop)
    credit = _credit(shop)
    assert _apply(shop, (invoice, credit.txn_id, "100.00")).status.status_code == 0
    credit = _read(shop, credit.txn_id)
    below = _mod(
        shop, credit, q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1"), rate=D("99.99"))
    )
    assert below.status.status_code == 3210 and "100.00 already set" in below.status.status_message
    assert _read(shop, credit.txn_id) == credit and _balance(shop, invoice) == D("200.00")
    exactly = _mod(
        shop, credit, q.InvoiceLineFields(item=q.Ref.by_name("Labor"), quantity=D("1"), rate=D("100"))
    )
    assert exactly.status.status_code == 0, exactly.status
    changed = _read(shop, credit.txn_id)
    # The credit still pays the invoice what it paid; nothing of it is left to apply.
    assert (changed.total, changed.credit_remaining) == (D("100.00"), D("0.00"))
    assert _balance(shop, invoice) == D("200.00")


def _customer_balances(company: QuickBooksCompany, full_name: str) -> tuple[Decimal, Decimal]:
    found = record(company, q.list_query("CustomerQueryRq", "cq", full_names=[full_name]))
    return D(found.get("Balance") or "nan"), D(found.get("TotalBalance") or "nan")


def test_a_credit_memo_lowers_its_customers_balance_applied_or_not(shop: QuickBooksCompany) -> None:
    """QuickBooks' Balance: invoices less what is set against them, less what is left of the
    credit memos; TotalBalance adds the jobs'."""
    invoice = _invoice(shop)  # 300.00 for the job
    credit = _credit(shop)  # 176.01 for the job
    assert _customer_balances(shop, JOB) == (D("123.99"), D("123.99"))
    assert _apply(shop, (invoice, credit.txn_id, "100.00")).status.status_code == 0
    # The invoice owes 200.00; 76.01 of the credit is left: 123.99 all the same.
    assert _balance(shop, invoice) == D("200.00")
    assert _customer_balances(shop, JOB) == (D("123.99"), D("123.99"))
    assert _customer_balances(shop, "Smith") == (D("0.00"), D("123.99"))
