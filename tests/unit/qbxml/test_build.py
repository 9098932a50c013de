"""Every builder's output validates against Intuit's qbXML schema, including edge values."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qbwc_server.qbxml import (
    Address,
    AppliedPayment,
    CustomerFields,
    InvoiceFields,
    InvoiceLineFields,
    ItemFields,
    ItemKind,
    JobStatus,
    PaymentFields,
    Ref,
    StandardTermsFields,
    build_message,
    company_query,
    customer_add,
    customer_mod,
    host_query,
    invoice_add,
    invoice_mod,
    item_add,
    item_mod,
    list_query,
    receive_payment_add,
    receive_payment_mod,
    standard_terms_add,
    txn_del,
    txn_query,
    txn_void,
)
from tests.qbxml_schema import QbxmlSchema

MAX_ADDRESS = Address(
    addr1="A" * 41,
    addr2="B" * 41,
    addr3="C" * 41,
    addr4="D" * 41,
    addr5="E" * 41,
    city="C" * 31,
    state="S" * 21,
    postal_code="9" * 13,
    country="US",
    note="n",
)
CUSTOMER = CustomerFields(
    name="N" * 41,
    company_name="Smith & Sons <Builders>",
    salutation="Dr.",
    first_name="Zoë",
    last_name="Øster",
    bill_address=MAX_ADDRESS,
    ship_address=Address(addr1="1 Main"),
    phone="5" * 21,
    mobile="555",
    alt_phone="556",
    fax="557",
    email="a&b@example.com",
    contact="Zoë",
    terms=Ref.by_name("Net 30"),
    sales_tax_code=Ref.by_name("Non"),
    item_sales_tax=Ref.by_name("State Tax"),
    resale_number="R1",
    account_number="A1",
    job_status=JobStatus.AWARDED,
    job_start_date=date(2024, 2, 29),
    job_projected_end=date(2024, 3, 1),
    job_end_date=date(2024, 4, 1),
    job_desc="Kitchen & bath",
    notes="line 1\nline 2 <b>",
    is_active=True,
)
LINE = InvoiceLineFields(
    item=Ref.by_name("Labor"),
    description="Tear out & haul <old> cabinets",
    quantity=Decimal("1.12345"),
    rate=Decimal("9999999999.99999"),
    amount=Decimal("0.165"),
    sales_tax_code=Ref.by_name("Tax"),
    service_date=date(2024, 1, 5),
)
INVOICE = InvoiceFields(
    customer=Ref.by_name("Smith:Kitchen"),
    txn_date=date(2024, 1, 5),
    ref_number="12345678901",
    ar_account=Ref.by_name("Accounts Receivable"),
    bill_address=MAX_ADDRESS,
    ship_address=MAX_ADDRESS,
    po_number="PO-1",
    terms=Ref.by_id("80000001-1234567890"),
    due_date=date(2024, 2, 4),
    item_sales_tax=Ref.by_name("State Tax"),
    memo="Thanks & <regards>",
    is_to_be_printed=True,
    is_to_be_emailed=False,
    customer_sales_tax_code=Ref.by_name("Tax"),
    lines=(LINE, InvoiceLineFields(description="Note line only"), InvoiceLineFields(amount=Decimal("0"))),
)
PAYMENT = PaymentFields(
    customer=Ref.by_name("Smith"),
    txn_date=date(2024, 1, 6),
    ref_number="C" * 20,
    total_amount=Decimal("9999999999999.99"),
    payment_method=Ref.by_name("Check"),
    memo="m",
    deposit_to_account=Ref.by_name("Undeposited Funds"),
    ar_account=Ref.by_name("Accounts Receivable"),
    applications=(AppliedPayment("1A-1234567890", Decimal("100")), AppliedPayment("1B-1", Decimal("0"))),
)
WHEN = datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=-7)))

ALL_REQUESTS = {
    "host": lambda: host_query("r"),
    "company": lambda: company_query("r"),
    "customer_add": lambda: customer_add("r", CUSTOMER),
    "job_add": lambda: customer_add("r", CustomerFields(name="Kitchen", parent=Ref.by_name("Smith"))),
    "customer_mod": lambda: customer_mod("r", "80000001-1234567890", "1234567890", CUSTOMER),
    "customer_mod_keep_name": lambda: customer_mod("r", "8-1", "1", CustomerFields(name="", phone="")),
    "customer_query_ids": lambda: list_query("CustomerQueryRq", "r", list_ids=["8-1", "8-2"]),
    "customer_query_names": lambda: list_query("CustomerQueryRq", "r", full_names=["Smith:Kitchen"]),
    "customer_query_filter": lambda: list_query(
        "CustomerQueryRq",
        "r",
        max_returned=100,
        active_status="All",
        from_modified=WHEN,
        to_modified=WHEN,
        name_starts_with="Sm",
        iterator="Start",
    ),
    "customer_query_continue": lambda: list_query(
        "CustomerQueryRq", "r", max_returned=100, iterator="Continue", iterator_id="{abc}"
    ),
    "service_add": lambda: item_add(
        "r",
        ItemFields(
            name="I" * 31,
            description="d & <e>",
            price=Decimal("0.00001"),
            income_account=Ref.by_name("Income"),
            sales_tax_code=Ref.by_name("Non"),
            parent=Ref.by_name("Labor"),
            is_active=True,
        ),
    ),
    "noninventory_add": lambda: item_add(
        "r",
        ItemFields(
            name="Lumber",
            kind=ItemKind.NON_INVENTORY,
            price=Decimal("4.25"),
            income_account=Ref.by_id("8-1"),
            manufacturer_part_number="MPN-1",
            sales_tax_code=Ref.by_name("Tax"),
        ),
    ),
    "service_mod": lambda: item_mod("r", "8-1", "1", ItemFields(name="Labor", price=Decimal("70"))),
    "service_mod_name_only": lambda: item_mod("r", "8-1", "1", ItemFields(name="Labour")),
    "noninventory_mod": lambda: item_mod(
        "r",
        "8-1",
        "1",
        ItemFields(
            name="Lumber",
            kind=ItemKind.NON_INVENTORY,
            description="x",
            manufacturer_part_number="M",
        ),
    ),
    "item_query": lambda: list_query("ItemQueryRq", "r", max_returned=5, iterator="Start"),
    "service_query": lambda: list_query("ItemServiceQueryRq", "r", active_status="ActiveOnly"),
    "noninventory_query": lambda: list_query("ItemNonInventoryQueryRq", "r", full_names=["Lumber"]),
    "sales_tax_query": lambda: list_query("ItemSalesTaxQueryRq", "r"),
    "account_query": lambda: list_query("AccountQueryRq", "r", active_status="All"),
    "terms_add": lambda: standard_terms_add(
        "r",
        StandardTermsFields(
            name="2% 10 Net 30",
            due_days=30,
            discount_days=10,
            discount_pct=Decimal("2"),
            is_active=True,
        ),
    ),
    "terms_query": lambda: list_query("StandardTermsQueryRq", "r"),
    "date_terms_query": lambda: list_query("DateDrivenTermsQueryRq", "r", full_names=["Due 15th"]),
    "invoice_add": lambda: invoice_add("r", INVOICE),
    "invoice_add_minimal": lambda: invoice_add("r", InvoiceFields(customer=Ref.by_id("8-1"))),
    "invoice_mod": lambda: invoice_mod(
        "r",
        "1A-1",
        "2",
        InvoiceFields(
            customer=Ref.by_name("Smith"),
            memo="",
            lines=(
                InvoiceLineFields(txn_line_id="1B-1", item=Ref.by_name("Labor"), quantity=Decimal("2")),
                InvoiceLineFields(item=Ref.by_name("Labor"), amount=Decimal("12.5")),
            ),
        ),
    ),
    "invoice_query_txn": lambda: txn_query("InvoiceQueryRq", "r", txn_ids=["1A-1"]),
    "invoice_query_ref": lambda: txn_query("InvoiceQueryRq", "r", ref_numbers=["1001", "1002"]),
    "invoice_query_modified": lambda: txn_query(
        "InvoiceQueryRq",
        "r",
        from_modified=WHEN,
        to_modified=WHEN,
        entity=Ref.by_name("Smith"),
        paid_status="NotPaidOnly",
        max_returned=50,
        include_linked_txns=True,
        iterator="Start",
    ),
    "invoice_query_dates": lambda: txn_query(
        "InvoiceQueryRq",
        "r",
        from_txn_date=date(2024, 1, 1),
        to_txn_date=date(2024, 12, 31),
        entity=Ref.by_id("8-1"),
    ),
    "payment_add": lambda: receive_payment_add("r", PAYMENT),
    "payment_add_unapplied": lambda: receive_payment_add(
        "r",
        PaymentFields(
            customer=Ref.by_name("Smith"),
            total_amount=Decimal("0"),
        ),
    ),
    "payment_add_auto": lambda: receive_payment_add(
        "r",
        PaymentFields(
            customer=Ref.by_name("Smith"),
            total_amount=Decimal("5"),
            is_auto_apply=True,
        ),
    ),
    "payment_mod": lambda: receive_payment_mod("r", "1C-1", "3", PAYMENT),
    "payment_query": lambda: txn_query(
        "ReceivePaymentQueryRq",
        "r",
        from_modified=WHEN,
        max_returned=10,
        iterator="Continue",
        iterator_id="x",
    ),
    "void_invoice": lambda: txn_void("r", "1A-1"),
    "delete_payment": lambda: txn_del("r", "1C-1"),
    "delete_invoice": lambda: txn_del("r", "1A-1", "Invoice"),
}


@pytest.mark.parametrize("name", sorted(ALL_REQUESTS))
def test_builder_output_is_valid_qbxml_13(name: str, qbxml13: QbxmlSchema) -> None:
    qbxml13.validate(build_message([ALL_REQUESTS[name]()]))


@pytest.mark.parametrize("name", sorted(ALL_REQUESTS))
def test_builder_output_is_valid_qbxml_16(name: str, qbxml16: QbxmlSchema) -> None:
    qbxml16.validate(build_message([ALL_REQUESTS[name]()], version="16.0"))


def test_batch_of_everything_is_one_valid_message(qbxml13: QbxmlSchema) -> None:
    requests = []
    for number, name in enumerate(sorted(ALL_REQUESTS)):
        request = ALL_REQUESTS[name]()
        request.set("requestID", str(number))
        requests.append(request)
    root = qbxml13.validate(build_message(requests, on_error="continueOnError"))
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None and msgs.get("onError") == "continueOnError"
    assert [r.get("requestID") for r in msgs] == [str(n) for n in range(len(ALL_REQUESTS))]


def test_envelope_header_and_default_on_error() -> None:
    message = build_message([host_query("7")])
    assert message.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>')
    assert '<QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="7"/>' in message


def test_envelope_refuses_duplicate_or_missing_request_ids() -> None:
    with pytest.raises(ValueError, match="used twice"):
        build_message([host_query("1"), company_query("1")])
    request = host_query("1")
    del request.attrib["requestID"]
    with pytest.raises(ValueError, match="no requestID"):
        build_message([request])
    with pytest.raises(ValueError):
        build_message([host_query("1")], on_error="ignore")  # type: ignore[arg-type]


def test_values_are_escaped_not_concatenated() -> None:
    message = build_message([customer_add("1", CUSTOMER)])
    assert "Smith &amp; Sons &lt;Builders&gt;" in message
    root = etree.fromstring(message.encode())
    assert root.findtext(".//CompanyName") == "Smith & Sons <Builders>"
    assert root.findtext(".//FirstName") == "Zoë"


def test_elements_follow_xsd_order_for_invoice_lines() -> None:
    root = etree.fromstring(build_message([invoice_add("1", INVOICE)]).encode())
    line = root.find(".//InvoiceLineAdd")
    assert line is not None
    assert [c.tag for c in line] == [
        "ItemRef",
        "Desc",
        "Quantity",
        "Rate",
        "Amount",
        "ServiceDate",
        "SalesTaxCodeRef",
    ]
    assert line.findtext("Amount") == "0.17"  # half-up, the documented rule for amounts


def test_ref_prefers_list_id() -> None:
    message = build_message([invoice_add("1", InvoiceFields(customer=Ref("8-1", "Smith")))])
    assert "<CustomerRef><ListID>8-1</ListID></CustomerRef>" in message


def test_invoice_mod_marks_new_lines() -> None:
    root = etree.fromstring(build_message([ALL_REQUESTS["invoice_mod"]()]).encode())
    assert [e.text for e in root.iter("TxnLineID")] == ["1B-1", "-1"]


def test_payment_without_applications_is_explicitly_not_auto_applied() -> None:
    root = etree.fromstring(build_message([ALL_REQUESTS["payment_add_unapplied"]()]).encode())
    assert root.findtext(".//IsAutoApply") == "false"
    assert root.findtext(".//TotalAmount") == "0.00"


def test_query_choices_are_exclusive() -> None:
    with pytest.raises(ValueError):
        list_query("CustomerQueryRq", "1", list_ids=["a"], full_names=["b"])
    with pytest.raises(ValueError):
        txn_query("InvoiceQueryRq", "1", txn_ids=["a"], max_returned=3)
    with pytest.raises(ValueError):
        txn_query("InvoiceQueryRq", "1", from_modified=WHEN, from_txn_date=date(2024, 1, 1))


def test_iterators_only_where_quickbooks_accepts_them() -> None:
    with pytest.raises(ValueError, match="does not accept an iterator"):
        list_query("AccountQueryRq", "1", max_returned=5, iterator="Start")
    with pytest.raises(ValueError, match="needs max_returned"):
        list_query("CustomerQueryRq", "1", iterator="Start")
    with pytest.raises(ValueError, match="iterator_id"):
        list_query("CustomerQueryRq", "1", max_returned=5, iterator="Continue")


_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\ufffe\uffff:"
        + "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r"),
    ),
    min_size=1,
    max_size=41,
).filter(lambda s: s.strip() != "")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(name=_TEXT, memo=st.text(max_size=200).filter(lambda s: "\r" not in s))
def test_any_text_round_trips_through_the_schema(name: str, memo: str, qbxml13: QbxmlSchema) -> None:
    try:
        request = customer_add("1", CustomerFields(name=name, notes=memo))
    except Exception as exc:  # control characters in memo are refused with the typed error
        from desktop_app.errors import QbxmlLimitError

        assert isinstance(exc, QbxmlLimitError)
        return
    root = qbxml13.validate(build_message([request]))
    assert root.findtext(".//Name") == name
    assert (root.findtext(".//Notes") or "") == memo
