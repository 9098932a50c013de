"""Each QuickBooks limit refuses a value that does not fit with a typed error naming record and field."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from desktop_app.errors import QbxmlLimitError, ValidationError
from qbwc_server.qbxml import (
    Address,
    AppliedPayment,
    CustomerFields,
    InvoiceFields,
    InvoiceLineFields,
    ItemFields,
    PaymentFields,
    Ref,
    StandardTermsFields,
    customer_add,
    invoice_add,
    item_add,
    receive_payment_add,
    standard_terms_add,
    txn_void,
)

INCOME = Ref.by_name("Income")


def _customer(**kwargs: object) -> Callable[[], object]:
    fields = {"name": "Smith", **kwargs}
    return lambda: customer_add("1", CustomerFields(**fields))  # type: ignore[arg-type]


def _address(**kwargs: str) -> Callable[[], object]:
    return _customer(bill_address=Address(**kwargs))


def _line(**kwargs: object) -> Callable[[], object]:
    line = InvoiceLineFields(**kwargs)  # type: ignore[arg-type]
    return lambda: invoice_add(
        "1", InvoiceFields(customer=Ref.by_name("Smith"), ref_number="1001", lines=(line,))
    )


CASES: dict[str, tuple[Callable[[], object], str, str]] = {
    "customer name 42": (_customer(name="N" * 42), "Customer", "Name"),
    "customer name with colon": (_customer(name="Smith:Jones"), "Customer", "Name"),
    "customer name blank": (_customer(name="   "), "Customer", "Name"),
    "company name 42": (_customer(company_name="C" * 42), "Customer 'Smith'", "CompanyName"),
    "phone 22": (_customer(phone="5" * 22), "Customer 'Smith'", "Phone"),
    "alt phone 22": (_customer(alt_phone="5" * 22), "Customer 'Smith'", "AltPhone"),
    "mobile 22": (_customer(mobile="5" * 22), "Customer 'Smith'", "Mobile"),
    "addr line 42": (_address(addr1="A" * 42), "Customer 'Smith'", "BillAddress.Addr1"),
    "addr5 42": (_address(addr5="A" * 42), "Customer 'Smith'", "BillAddress.Addr5"),
    "city 32": (_address(city="C" * 32), "Customer 'Smith'", "BillAddress.City"),
    "state 22": (_address(state="S" * 22), "Customer 'Smith'", "BillAddress.State"),
    "postal code 14": (_address(postal_code="9" * 14), "Customer 'Smith'", "BillAddress.PostalCode"),
    "control character": (_customer(first_name="A\x00B"), "Customer 'Smith'", "FirstName"),
    "item name 32": (lambda: item_add("1", ItemFields(name="I" * 32, income_account=INCOME)), "Item", "Name"),
    "item name colon": (lambda: item_add("1", ItemFields(name="a:b", income_account=INCOME)), "Item", "Name"),
    "item without account": (lambda: item_add("1", ItemFields(name="Labor")), "Item 'Labor'", "AccountRef"),
    "item price 6 decimals": (
        lambda: item_add("1", ItemFields(name="Labor", price=Decimal("1.000001"), income_account=INCOME)),
        "Item 'Labor'",
        "Price",
    ),
    "terms name colon": (
        lambda: standard_terms_add("1", StandardTermsFields(name="Net:30")),
        "Terms",
        "Name",
    ),
    "terms negative days": (
        lambda: standard_terms_add("1", StandardTermsFields(name="Net", due_days=-1)),
        "Terms 'Net'",
        "StdDueDays",
    ),
    "ref number 12": (
        lambda: invoice_add("1", InvoiceFields(customer=Ref.by_name("Smith"), ref_number="123456789012")),
        "Invoice 123456789012",
        "RefNumber",
    ),
    "rate 6 decimals": (_line(rate=Decimal("1.123456")), "Invoice 1001 line 1", "Rate"),
    "quantity 6 decimals": (_line(quantity=Decimal("0.000001")), "Invoice 1001 line 1", "Quantity"),
    "rate 11 digits": (_line(rate=Decimal("12345678901")), "Invoice 1001 line 1", "Rate"),
    "amount 14 digits": (_line(amount=Decimal("10000000000000")), "Invoice 1001 line 1", "Amount"),
    "amount float": (_line(amount=0.1), "Invoice 1001 line 1", "Amount"),
    "amount NaN": (_line(amount=Decimal("NaN")), "Invoice 1001 line 1", "Amount"),
    "full name ref empty segment": (
        lambda: invoice_add("1", InvoiceFields(customer=Ref.by_name("Smith::Job"), ref_number="9")),
        "Invoice 9",
        "CustomerRef.FullName",
    ),
    "full name ref 210": (
        lambda: invoice_add("1", InvoiceFields(customer=Ref.by_name("x" * 210), ref_number="9")),
        "Invoice 9",
        "CustomerRef.FullName",
    ),
    "payment ref 21": (
        lambda: receive_payment_add("1", PaymentFields(customer=Ref.by_name("S"), ref_number="R" * 21)),
        "Payment " + "R" * 21,
        "RefNumber",
    ),
    "payment applied amount float": (
        lambda: receive_payment_add(
            "1",
            PaymentFields(
                customer=Ref.by_name("S"),
                ref_number="7",
                applications=(AppliedPayment("1-1", 5.0),),  # type: ignore[arg-type]
            ),
        ),
        "Payment 7",
        "PaymentAmount",
    ),
    "payment auto apply and applications": (
        lambda: receive_payment_add(
            "1",
            PaymentFields(
                customer=Ref.by_name("S"),
                ref_number="7",
                is_auto_apply=True,
                applications=(AppliedPayment("1-1", Decimal(5)),),
            ),
        ),
        "Payment 7",
        "applications",
    ),
    "void a payment": (lambda: txn_void("1", "5-1", "ReceivePayment"), "ReceivePayment 5-1", "TxnVoidType"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_limit_raises_typed_error_naming_record_and_field(case: str) -> None:
    build, record, field = CASES[case]
    with pytest.raises(QbxmlLimitError) as caught:
        build()
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.field == field
    assert error.record.startswith(record)
    assert str(error).startswith(error.record + ": ")


def test_values_exactly_at_the_limit_pass() -> None:
    customer_add(
        "1",
        CustomerFields(
            name="N" * 41,
            phone="5" * 21,
            bill_address=Address(
                addr1="A" * 41,
                city="C" * 31,
                state="S" * 21,
                postal_code="9" * 13,
            ),
        ),
    )
    item_add("1", ItemFields(name="I" * 31, price=Decimal("9999999999.99999"), income_account=INCOME))
    invoice_add("1", InvoiceFields(customer=Ref.by_name("S"), ref_number="1" * 11))


@pytest.mark.parametrize(
    ("build", "record", "field"),
    [
        (
            lambda text: invoice_add(
                "1", InvoiceFields(customer=Ref.by_name("S"), ref_number="9", memo=text)
            ),
            "Invoice 9",
            "Memo",
        ),
        (
            lambda text: receive_payment_add(
                "1", PaymentFields(customer=Ref.by_name("S"), ref_number="7", memo=text)
            ),
            "Payment 7",
            "Memo",
        ),
        (lambda text: customer_add("1", CustomerFields(name="S", notes=text)), "Customer 'S'", "Notes"),
    ],
)
def test_memo_and_notes_over_4095_are_refused_never_cut(
    build: Callable[[str], object], record: str, field: str
) -> None:
    """Free text is refused like any field past QuickBooks Desktop's 4,095 characters: cutting
    it would leave QuickBooks' copy saying less than JobDesk's without a word."""
    from lxml import etree

    with pytest.raises(QbxmlLimitError) as caught:
        build("m" * 4094 + "é✓")
    error = caught.value
    assert (error.field, error.record) == (field, record)
    assert error.detail == f"{field} is 4096 characters; QuickBooks allows at most 4095."
    request = build("n" * 4094 + "✓")  # exactly at the limit, with a non-ASCII character: sent whole
    assert isinstance(request, etree._Element)
    assert request.findtext(f".//{field}") == "n" * 4094 + "✓"
    assert etree.tostring(request)  # still serialisable
