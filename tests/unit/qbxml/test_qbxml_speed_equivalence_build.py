"""Speed work on the qbXML builders must not change a byte (issue 18): list requests.

Below is a frozen copy of the builders as they were before the speed work
(``qbwc_server/qbxml/build.py`` at commit ec85f36, verbatim), on the frozen field checks of
``test_qbxml_speed_equivalence_fields.py``. Hypothesis feeds the same varied inputs, valid
and invalid, to the frozen copy and to the live code; each must give the same bytes or raise
the same error with the same message and attributes. ``…_txns.py`` reuses these helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import build as live_build
from qbwc_server.qbxml import flat as live_flat
from qbwc_server.qbxml.flat import Flat
from qbwc_server.qbxml.records import (
    Address,
    CustomerFields,
    ItemFields,
    ItemKind,
    Ref,
    SalesTaxItemFields,
    StandardTermsFields,
)
from tests.unit.qbxml.test_qbxml_speed_equivalence_fields import (
    ANY,
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
    request_ids,
    variants,
)

MOBILE_CONTACT = "Mobile"

# ===== frozen copy of build.py (helpers and the list builders) =====


def new_request(tag: str, request_id: str) -> Request:
    """An empty ``<tag requestID="…">``."""
    if not request_id or len(request_id) > 50:
        raise ValueError("requestID must be 1 to 50 characters")
    return etree.Element(tag, requestID=request_id)


def leaf(parent: etree._Element, tag: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, tag).text = value


def ref(parent: etree._Element, tag: str, value: Ref | None, record: str) -> None:
    if value is None:
        return
    node = etree.SubElement(parent, tag)
    if value.list_id:
        leaf(node, "ListID", f.text(record, f"{tag}.ListID", value.list_id, f.ID_MAX))
    else:
        assert value.full_name is not None  # Ref.__post_init__ guarantees one of the two
        leaf(node, "FullName", f.full_name(record, f"{tag}.FullName", value.full_name))


def address(parent: etree._Element, tag: str, value: Address | None, record: str) -> None:
    parts = () if value is None else (value.addr1, value.addr2, value.addr3, value.addr4, value.addr5)
    if value is None or all(
        v is None for v in (*parts, value.city, value.state, value.postal_code, value.country, value.note)
    ):
        return  # nothing to say: no empty aggregate (a Mod clears a line with an empty value)
    node = etree.SubElement(parent, tag)
    lines = (value.addr1, value.addr2, value.addr3, value.addr4, value.addr5)
    for number, line in enumerate(lines, start=1):
        name = f"Addr{number}"
        leaf(node, name, None if line is None else f.text(record, f"{tag}.{name}", line, f.ADDR_LINE_MAX))
    for name, val, limit in (
        ("City", value.city, f.CITY_MAX),
        ("State", value.state, f.STATE_MAX),
        ("PostalCode", value.postal_code, f.POSTAL_CODE_MAX),
        ("Country", value.country, f.COUNTRY_MAX),
        ("Note", value.note, f.ADDR_NOTE_MAX),
    ):
        leaf(node, name, None if val is None else f.text(record, f"{tag}.{name}", val, limit))


def opt_text(record: str, field: str, value: str | None, limit: int) -> str | None:
    return None if value is None else f.text(record, field, value, limit)


def opt_amount(record: str, field: str, value: Decimal | None) -> str | None:
    return None if value is None else f.format_amount(record, field, value)


def opt_rate(record: str, field: str, value: Decimal | None) -> str | None:
    return None if value is None else f.format_rate(record, field, value)


def opt_date(value: date | None) -> str | None:
    return None if value is None else f.format_date(value)


def opt_bool(value: bool | None) -> str | None:
    return None if value is None else f.format_bool(value)


def _customer_body(node: etree._Element, c: CustomerFields, record: str, *, is_mod: bool) -> None:
    name = c.name if not is_mod or c.name else None
    leaf(node, "Name", None if name is None else f.list_name(record, "Name", name, f.NAME_MAX))
    leaf(node, "IsActive", opt_bool(c.is_active))
    ref(node, "ParentRef", c.parent, record)
    leaf(node, "CompanyName", opt_text(record, "CompanyName", c.company_name, f.COMPANY_NAME_MAX))
    leaf(node, "Salutation", opt_text(record, "Salutation", c.salutation, f.SALUTATION_MAX))
    leaf(node, "FirstName", opt_text(record, "FirstName", c.first_name, f.PERSON_NAME_MAX))
    leaf(node, "LastName", opt_text(record, "LastName", c.last_name, f.PERSON_NAME_MAX))
    address(node, "BillAddress", c.bill_address, record)
    address(node, "ShipAddress", c.ship_address, record)
    leaf(node, "Phone", opt_text(record, "Phone", c.phone, f.PHONE_MAX))
    leaf(node, "AltPhone", opt_text(record, "AltPhone", c.alt_phone, f.PHONE_MAX))
    leaf(node, "Fax", opt_text(record, "Fax", c.fax, f.PHONE_MAX))
    leaf(node, "Email", opt_text(record, "Email", c.email, f.EMAIL_MAX))
    leaf(node, "Contact", opt_text(record, "Contact", c.contact, f.CONTACT_MAX))
    if c.mobile:
        # US QuickBooks Desktop has no <Mobile> (Online only: the whole message would be
        # refused); it keeps a mobile number as the "Mobile" additional contact (qbXML 12+).
        contact = etree.SubElement(node, "AdditionalContactRef")
        leaf(contact, "ContactName", MOBILE_CONTACT)
        leaf(contact, "ContactValue", f.text(record, "Mobile", c.mobile, f.PHONE_MAX))
    ref(node, "TermsRef", c.terms, record)
    ref(node, "SalesTaxCodeRef", c.sales_tax_code, record)
    ref(node, "ItemSalesTaxRef", c.item_sales_tax, record)
    leaf(node, "ResaleNumber", opt_text(record, "ResaleNumber", c.resale_number, 15))
    leaf(node, "AccountNumber", opt_text(record, "AccountNumber", c.account_number, 99))
    leaf(node, "JobStatus", None if c.job_status is None else c.job_status.value)
    leaf(node, "JobStartDate", opt_date(c.job_start_date))
    leaf(node, "JobProjectedEndDate", opt_date(c.job_projected_end))
    leaf(node, "JobEndDate", opt_date(c.job_end_date))
    leaf(node, "JobDesc", opt_text(record, "JobDesc", c.job_desc, f.JOB_DESC_MAX))
    leaf(node, "Notes", None if c.notes is None else f.free_text(record, "Notes", c.notes))


def _record_label(kind: str, name: str) -> str:
    return f"{kind} '{name}'" if name else kind


def customer_add(request_id: str, customer: CustomerFields) -> Request:
    request = new_request("CustomerAddRq", request_id)
    _customer_body(
        etree.SubElement(request, "CustomerAdd"),
        customer,
        _record_label("Customer", customer.name),
        is_mod=False,
    )
    return request


def customer_mod(request_id: str, list_id: str, edit_sequence: str, customer: CustomerFields) -> Request:
    """A CustomerMod; ``customer.name`` empty leaves the name unchanged."""
    request = new_request("CustomerModRq", request_id)
    node = etree.SubElement(request, "CustomerMod")
    record = _record_label("Customer", customer.name or list_id)
    leaf(node, "ListID", f.text(record, "ListID", list_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _customer_body(node, customer, record, is_mod=True)
    return request


def _item_body(node: etree._Element, item: ItemFields, record: str, *, is_mod: bool) -> None:
    name = item.name if not is_mod or item.name else None
    leaf(node, "Name", None if name is None else f.list_name(record, "Name", name, f.ITEM_NAME_MAX))
    leaf(node, "IsActive", opt_bool(item.is_active))
    ref(node, "ParentRef", item.parent, record)
    if item.kind is ItemKind.NON_INVENTORY:
        leaf(
            node,
            "ManufacturerPartNumber",
            opt_text(record, "ManufacturerPartNumber", item.manufacturer_part_number, f.ITEM_NAME_MAX),
        )
    ref(node, "SalesTaxCodeRef", item.sales_tax_code, record)
    sales = (item.description, item.price, item.income_account)
    if is_mod and all(v is None for v in sales):
        return
    if not is_mod and item.income_account is None:
        raise QbxmlLimitError(record, "AccountRef", "an item needs an income account in QuickBooks.")
    sop = etree.SubElement(node, "SalesOrPurchaseMod" if is_mod else "SalesOrPurchase")
    leaf(
        sop,
        "Desc",
        None if item.description is None else f.text(record, "Desc", item.description, f.FREE_TEXT_MAX),
    )
    leaf(sop, "Price", opt_rate(record, "Price", item.price))
    ref(sop, "AccountRef", item.income_account, record)


def item_add(request_id: str, item: ItemFields) -> Request:
    """ItemServiceAddRq or ItemNonInventoryAddRq, by ``item.kind``."""
    request = new_request(f"{item.kind.value}AddRq", request_id)
    node = etree.SubElement(request, f"{item.kind.value}Add")
    _item_body(node, item, _record_label("Item", item.name), is_mod=False)
    return request


def item_mod(request_id: str, list_id: str, edit_sequence: str, item: ItemFields) -> Request:
    request = new_request(f"{item.kind.value}ModRq", request_id)
    node = etree.SubElement(request, f"{item.kind.value}Mod")
    record = _record_label("Item", item.name or list_id)
    leaf(node, "ListID", f.text(record, "ListID", list_id, f.ID_MAX))
    leaf(node, "EditSequence", f.text(record, "EditSequence", edit_sequence, f.EDIT_SEQUENCE_MAX))
    _item_body(node, item, record, is_mod=True)
    return request


def standard_terms_add(request_id: str, terms: StandardTermsFields) -> Request:
    request = new_request("StandardTermsAddRq", request_id)
    node = etree.SubElement(request, "StandardTermsAdd")
    record = _record_label("Terms", terms.name)
    leaf(node, "Name", f.list_name(record, "Name", terms.name, f.TERMS_NAME_MAX))
    leaf(node, "IsActive", opt_bool(terms.is_active))
    leaf(
        node,
        "StdDueDays",
        None if terms.due_days is None else f.format_int(record, "StdDueDays", terms.due_days),
    )
    leaf(
        node,
        "StdDiscountDays",
        None if terms.discount_days is None else f.format_int(record, "StdDiscountDays", terms.discount_days),
    )
    leaf(node, "DiscountPct", opt_rate(record, "DiscountPct", terms.discount_pct))
    return request


def sales_tax_item_add(request_id: str, tax: SalesTaxItemFields) -> Request:
    """ItemSalesTaxAddRq: the item an invoice's ItemSalesTaxRef names, with its rate."""
    request = new_request("ItemSalesTaxAddRq", request_id)
    node = etree.SubElement(request, "ItemSalesTaxAdd")
    record = _record_label("Sales tax", tax.name)
    leaf(node, "Name", f.list_name(record, "Name", tax.name, f.ITEM_NAME_MAX))
    leaf(node, "IsActive", opt_bool(tax.is_active))
    leaf(node, "ItemDesc", opt_text(record, "ItemDesc", tax.description, f.FREE_TEXT_MAX))
    leaf(node, "TaxRate", f.format_rate(record, "TaxRate", tax.rate))
    ref(node, "TaxVendorRef", tax.tax_vendor, record)
    return request


# ===== the comparisons =====


@SAME
@given(request_ids, inputs(CustomerFields))
def test_customer_add_is_unchanged(request_id: str, customer: CustomerFields) -> None:
    assert_same(customer_add, live_build.customer_add, request_id, customer)


@SAME
@given(request_ids, ids, ids, inputs(CustomerFields))
def test_customer_mod_is_unchanged(
    request_id: str, list_id: str, edit: str, customer: CustomerFields
) -> None:
    assert_same(customer_mod, live_build.customer_mod, request_id, list_id, edit, customer)


@SAME
@given(request_ids, ids, ids, inputs(ItemFields))
def test_item_add_and_mod_are_unchanged(request_id: str, list_id: str, edit: str, item: ItemFields) -> None:
    assert_same(item_add, live_build.item_add, request_id, item)
    assert_same(item_mod, live_build.item_mod, request_id, list_id, edit, item)


@SAME
@given(request_ids, inputs(StandardTermsFields), inputs(SalesTaxItemFields))
def test_terms_and_sales_tax_items_are_unchanged(
    request_id: str, terms: StandardTermsFields, tax: SalesTaxItemFields
) -> None:
    assert_same(standard_terms_add, live_build.standard_terms_add, request_id, terms)
    assert_same(sales_tax_item_add, live_build.sales_tax_item_add, request_id, tax)


@pytest.mark.parametrize(
    ("old", "new", "base"),
    [
        (customer_add, live_build.customer_add, full(CustomerFields)),
        (customer_mod, live_build.customer_mod, full(CustomerFields)),
        (item_add, live_build.item_add, full(ItemFields)),
        (item_mod, live_build.item_mod, full(ItemFields, kind=ItemKind.SERVICE)),
        (standard_terms_add, live_build.standard_terms_add, full(StandardTermsFields)),
        (sales_tax_item_add, live_build.sales_tax_item_add, full(SalesTaxItemFields)),
    ],
    ids=["customer_add", "customer_mod", "item_add", "item_mod", "terms", "sales_tax_item"],
)
def test_every_field_at_every_limit_builds_the_same(
    old: Callable[..., Request], new: Callable[..., Request], base: Any
) -> None:
    """Deterministic: each field in turn at both sides of each limit, blank, with ':' or a
    control character, as odd numbers or None: the same bytes or the same error."""
    mod = old in (customer_mod, item_mod)
    for changed in variants(base):
        args = ("1", "80000001-1", "12") if mod else ("1",)
        assert_same(old, new, *args, changed)


def _into_parent(helper: Callable[..., None], tag: str) -> Callable[..., Request]:
    def run(value: Any, record: str) -> Request:
        parent = etree.Element("Parent")
        helper(parent, tag, value, record)
        return parent

    return run


def _into_flat(helper: Callable[..., None], tag: str) -> Callable[..., Request]:
    """``_into_parent`` of a helper that writes a flat request (customers, invoices)."""

    def run(value: Any, record: str) -> Request:
        out = Flat("Parent", "1")
        helper(out, tag, value, record)
        parent = out.element()
        del parent.attrib["requestID"]
        return parent

    return run


@SAME
@given(
    st.sampled_from(["BillAddress", "ShipAddress"]), inputs(Address), st.sampled_from(["", "Customer 'A'"])
)
def test_the_address_helper_is_unchanged(tag: str, value: Address, record: str) -> None:
    assert_same(_into_parent(address, tag), _into_flat(live_flat.address, tag), value, record)
    assert_same(_into_parent(address, tag), _into_flat(live_flat.address, tag), None, record)


@SAME
@given(
    st.sampled_from(["CustomerRef", "ItemRef", "TermsRef"]),
    ANY["Ref"] | GOOD["Ref"],
    st.sampled_from(["", "X"]),
)
def test_the_ref_and_leaf_helpers_are_unchanged(tag: str, value: Ref, record: str) -> None:
    assert_same(_into_parent(ref, tag), _into_parent(live_build.ref, tag), value, record)
    assert_same(_into_parent(ref, tag), _into_parent(live_build.ref, tag), None, record)
    assert_same(_into_parent(ref, tag), _into_flat(live_flat.ref, tag), value, record)
    assert_same(_into_parent(ref, tag), _into_flat(live_flat.ref, tag), None, record)
    assert_same(_into_parent(leaf, tag), _into_parent(live_build.leaf, tag), value.full_name, record)


def test_the_inputs_both_build_and_fail() -> None:
    """The generated customers reach both sides: some build, some fail (the sweep test goes
    through every field's errors, deterministically)."""
    reaches(inputs(CustomerFields), lambda customer: outcome(customer_add, "1", customer)[0] == "built")
    reaches(inputs(CustomerFields), lambda customer: outcome(customer_add, "1", customer)[0] == "raised")


def test_the_comparison_sees_a_changed_byte_and_a_changed_message() -> None:
    """The check above is not blind: one character of output or of an error's text differs."""
    customer = CustomerFields(name="Smith & Sons", phone="555")

    def one_more_space(request_id: str, c: CustomerFields) -> Request:
        request = customer_add(request_id, c)
        request[0][0].text = (request[0][0].text or "") + " "
        return request

    def other_wording(request_id: str, c: CustomerFields) -> Request:
        raise QbxmlLimitError("Customer", "Name", "Name cannot be blank!")

    assert outcome(one_more_space, "1", customer) != outcome(customer_add, "1", customer)
    blank = CustomerFields(name=" ")
    assert outcome(customer_add, "1", blank)[0] == "raised"
    assert outcome(other_wording, "1", blank) != outcome(customer_add, "1", blank)
