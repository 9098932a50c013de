"""The product's table of what US QuickBooks Desktop accepts equals Intuit's files.

Three independent readings must agree: the table committed in the product
(``qbwc_server/qbxml/qbd_table.py``), the same table derived afresh from the annotated
samples by ``tools/gen_qbd_table.py``, and the simulator's own reading of the samples
(``reference_rules``), which is written separately. Every element is also declared in
Intuit's XSD, and every request our builders make passes the pre-flight check and the XSD.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.qbxml.qbd_table import ACCEPTED
from qbwc_server.simulator.reference_rules import QbdRules, reference_dir
from tests.qbxml_schema import QbxmlSchema, load_schema, reference_rules, xsd_path

ROOT = Path(__file__).resolve().parents[3]
NO_XSD = "Intuit's qbXML 13.0 XSD not found (set JOBDESK_QBXML_XSD or provide ../shared/reference)"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_qbd_table", ROOT / "tools" / "gen_qbd_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rules() -> QbdRules:
    return reference_rules()


def test_the_committed_table_is_what_intuits_samples_say(rules: QbdRules) -> None:
    found = reference_dir()
    assert found is not None  # reference_rules() skipped otherwise
    derived = _generator().derive(found)
    assert derived == ACCEPTED, "qbd_table.py is stale: run python tools/gen_qbd_table.py"


def test_no_element_of_ours_is_one_the_samples_mark_not_in_qbd(rules: QbdRules) -> None:
    for tag, paths in ACCEPTED.items():
        refused = rules.not_in_qbd.get(tag, frozenset())
        assert not refused & set(paths), f"{tag}: {sorted(refused & set(paths))} are not in QBD"
        # And every element the samples list for the request, and QBD has, is in ours.
        limits = rules.max_length.get(tag, {})
        for path, limit in limits.items():
            if path in paths:
                assert paths[path] == limit, f"{tag}/{path}: ours {paths[path]}, Intuit's {limit}"
        missing = {p for p in limits if p not in paths and p not in refused}
        assert not missing, f"{tag}: length-limited elements missing from our table: {sorted(missing)}"


def test_known_facts_from_intuits_files() -> None:
    customer = ACCEPTED["CustomerAddRq"]
    assert "CustomerAdd/Mobile" not in customer and "CustomerAdd/PrintAs" not in customer
    assert "CustomerAdd/Pager" not in customer
    assert customer["CustomerAdd/Name"] == 41 and customer["CustomerAdd/FirstName"] == 25
    assert customer["CustomerAdd/AdditionalContactRef/ContactValue"] == 255
    assert ACCEPTED["InvoiceAddRq"]["InvoiceAdd/RefNumber"] == 11
    assert ACCEPTED["ItemServiceAddRq"]["ItemServiceAdd/Name"] == 31
    assert ACCEPTED["ItemSalesTaxAddRq"]["ItemSalesTaxAdd/Name"] == 31
    order = list(customer)
    assert order.index("CustomerAdd/Phone") < order.index("CustomerAdd/AdditionalContactRef")


def test_every_element_is_declared_in_intuits_xsd() -> None:
    path = xsd_path("13.0")
    if path is None:
        pytest.skip(
            "Intuit's qbXML 13.0 XSD not found (set JOBDESK_QBXML_XSD or provide ../shared/reference)"
        )
    declared: set[str] = set()
    for xsd in path.parent.glob("*.xsd"):
        for element in etree.parse(str(xsd)).iter("{http://www.w3.org/2001/XMLSchema}element"):
            declared.add(element.get("name") or element.get("ref") or "")
    for tag, paths in ACCEPTED.items():
        assert tag in declared, tag
        for element_path in paths:
            leaf = element_path.rsplit("/", 1)[-1]
            assert leaf in declared, f"{tag}: {element_path} is not in the XSD"


# -- the builders against the table and the XSD -----------------------------------------------


def _requests() -> list[q.Request]:
    address = q.Address(addr1="1 Main St", addr2="Unit 2", city="Sacramento", state="CA", postal_code="95814")
    customer = q.CustomerFields(
        name="Smith, Ann",
        is_active=True,
        company_name="Smith Co",
        first_name="Ann",
        last_name="Smith",
        bill_address=address,
        ship_address=address,
        phone="555-0100",
        mobile="555-0101",
        alt_phone="555-0102",
        email="ann@example.com",
        notes="Gate code 1234",
        sales_tax_code=q.Ref.by_name("Tax"),
    )
    line = q.InvoiceLineFields(
        item=q.Ref.by_name("Labor"),
        description="Labor",
        quantity=Decimal("2"),
        rate=Decimal("85"),
        amount=Decimal("170.00"),
        sales_tax_code=q.Ref.by_name("Non"),
    )
    invoice = q.InvoiceFields(
        customer=q.Ref.by_name("Smith, Ann"),
        txn_date=date(2026, 3, 5),
        ref_number="1000",
        bill_address=address,
        ship_address=address,
        terms=q.Ref.by_name("Net 30"),
        due_date=date(2026, 4, 4),
        item_sales_tax=q.Ref.by_name("State Tax"),
        memo="memo",
        is_to_be_printed=False,
        lines=(line,),
    )
    payment = q.PaymentFields(
        customer=q.Ref.by_name("Smith, Ann"),
        txn_date=date(2026, 3, 6),
        ref_number="4411",
        total_amount=Decimal("170.00"),
        memo="check",
        applications=(q.AppliedPayment("1-1", Decimal("170.00")),),
    )
    item = q.ItemFields(
        name="Labor",
        kind=q.ItemKind.SERVICE,
        description="Labor",
        price=Decimal("85"),
        income_account=q.Ref.by_name("Income"),
        sales_tax_code=q.Ref.by_name("Non"),
    )
    material = q.ItemFields(
        name="Paint",
        kind=q.ItemKind.NON_INVENTORY,
        price=Decimal("40"),
        income_account=q.Ref.by_name("Income"),
    )
    return [
        q.customer_add("1", customer),
        q.customer_mod("2", "80000001-1", "1", customer),
        q.item_add("3", item),
        q.item_mod("4", "80000002-1", "1", item),
        q.item_add("5", material),
        q.standard_terms_add("6", q.StandardTermsFields(name="Net 30", due_days=30)),
        q.sales_tax_item_add(
            "7", q.SalesTaxItemFields(name="State Tax", rate=Decimal("8.25"), description="CA")
        ),
        q.invoice_add("8", invoice),
        q.invoice_mod("9", "1-1", "1", invoice),
        q.receive_payment_add("10", payment),
        q.receive_payment_mod("11", "2-1", "1", payment),
        q.txn_void("12", "1-1"),
        q.txn_del("13", "2-1"),
        q.list_query("CustomerQueryRq", "14", full_names=["Smith, Ann"]),
        q.list_query("ItemSalesTaxQueryRq", "15", max_returned=100, iterator="Start"),
        q.txn_query("InvoiceQueryRq", "16", ref_numbers=["1000"], include_line_items=False),
        q.txn_query(
            "ReceivePaymentQueryRq", "17", from_txn_date=date(2026, 3, 6), to_txn_date=date(2026, 3, 6)
        ),
    ]


def test_every_request_the_builders_make_passes_the_preflight_check_and_the_xsd() -> None:
    requests = _requests()
    for request in requests:
        preflight.check(request)
    schema = load_schema("13.0")
    if schema is None:
        pytest.skip(
            "Intuit's qbXML 13.0 XSD not found (set JOBDESK_QBXML_XSD or provide ../shared/reference)"
        )
    QbxmlSchema(schema, "13.0").validate(q.build_message(requests))


def test_the_check_refuses_an_element_qbd_does_not_have() -> None:
    request = q.customer_add("1", q.CustomerFields(name="Smith, Ann"))
    etree.SubElement(request[0], "Mobile").text = "555-0101"
    with pytest.raises(preflight.PreflightError) as refused:
        preflight.check(request)
    assert refused.value.field == "CustomerAdd/Mobile"
    assert "whole message" in str(refused.value)


def test_the_check_refuses_elements_out_of_order() -> None:
    request = q.customer_add("1", q.CustomerFields(name="Smith, Ann", phone="555"))
    body = request[0]
    body.insert(0, body[-1])  # Phone before Name
    with pytest.raises(preflight.PreflightError, match="requires it before"):
        preflight.check(request)


def test_the_check_names_the_field_the_value_and_the_fix_for_a_long_value() -> None:
    request = q.customer_add("1", q.CustomerFields(name="Smith, Ann"))
    etree.SubElement(request[0], "JobDesc").text = "x" * 100
    with pytest.raises(preflight.PreflightError) as refused:
        preflight.check(request, "Customer Smith, Ann")
    error = refused.value
    assert error.field == "CustomerAdd/JobDesc" and error.value == "x" * 100
    assert "100 characters" in error.detail and "at most 99" in error.detail and "Shorten it" in error.detail
    assert str(error).startswith("Customer Smith, Ann:")


def test_a_request_we_do_not_know_is_refused() -> None:
    with pytest.raises(preflight.PreflightError, match="does not know"):
        preflight.check(etree.Element("VendorAddRq", requestID="1"))
