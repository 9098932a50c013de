"""The qbXML envelope and the list requests (customers, items, terms, accounts, host, company).

Every builder returns one ``…Rq`` element carrying its ``requestID``; ``build_message``
wraps a batch in ``<?qbxml version="13.0"?>``. Elements are appended in the XSD's
order, and lxml escapes all text: nothing here concatenates strings into XML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from lxml import etree

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import fields as f
from qbwc_server.qbxml import flat
from qbwc_server.qbxml.flat import Flat
from qbwc_server.qbxml.records import (
    CustomerFields,
    ItemFields,
    ItemKind,
    Ref,
    SalesTaxItemFields,
    StandardTermsFields,
)

Request = etree._Element
OnError = Literal["stopOnError", "continueOnError"]
IteratorMode = Literal["Start", "Continue", "Stop"]
ActiveStatus = Literal["ActiveOnly", "InactiveOnly", "All"]
ListQueryTag = Literal[
    "CustomerQueryRq",
    "VendorQueryRq",
    "EmployeeQueryRq",
    "OtherNameQueryRq",
    "ItemQueryRq",
    "ItemServiceQueryRq",
    "ItemNonInventoryQueryRq",
    "ItemSalesTaxQueryRq",
    "AccountQueryRq",
    "StandardTermsQueryRq",
    "DateDrivenTermsQueryRq",
    "PaymentMethodQueryRq",
    "SalesTaxCodeQueryRq",
]

QBXML_VERSION = "13.0"
#: The additional-contact name under which QuickBooks Desktop shows a mobile number.
MOBILE_CONTACT = "Mobile"

# Requests whose schema type carries the iterator attribute (qbXML 13.0).
ITERATOR_QUERIES = frozenset(
    {
        "CustomerQueryRq",
        "InvoiceQueryRq",
        "ReceivePaymentQueryRq",
        "ItemQueryRq",
        "ItemServiceQueryRq",
        "ItemNonInventoryQueryRq",
        "ItemSalesTaxQueryRq",
        "VendorQueryRq",
    }
)


def build_message(
    requests: Sequence[Request], *, on_error: OnError = "stopOnError", version: str = QBXML_VERSION
) -> str:
    """Wrap requests in the qbXML envelope; every request must carry a unique requestID."""
    _check_envelope(on_error, version)
    seen: set[str] = set()
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq", onError=on_error)
    for request in requests:
        request_id = request.get("requestID")
        if not request_id:
            raise ValueError(f"{request.tag} has no requestID")
        if request_id in seen:
            raise ValueError(f"requestID {request_id!r} is used twice in one message")
        seen.add(request_id)
        msgs.append(request)
    # The two header lines are fixed text; everything after them is serialised by lxml.
    return _with_header(etree.tostring(root, encoding="unicode"), version)


def build_message_from_text(
    requests: Sequence[tuple[str, str]], *, on_error: OnError = "stopOnError", version: str = QBXML_VERSION
) -> str:
    """``build_message`` of requests already serialised by lxml, as (requestID, text): the
    same message, character for character (a test compares the two), without serialising
    every request a second time (the sync keeps each request's text: it is stored with its
    queue item and its size decides the batch)."""
    if not requests:
        return build_message([], on_error=on_error, version=version)
    _check_envelope(on_error, version)
    seen: set[str] = set()
    for request_id, text in requests:
        if not request_id:
            raise ValueError("a request has no requestID")
        if request_id in seen:
            raise ValueError(f"requestID {request_id!r} is used twice in one message")
        seen.add(request_id)
        # The requestID given is the one the text carries (its first tag, as lxml writes it).
        if flat.request_id_attribute(request_id) not in text[: text.find(">") + 1]:
            raise ValueError(f"the request given as {request_id!r} does not carry that requestID")
    body = "".join(text for _request_id, text in requests)
    return _with_header(f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>', version)


def _check_envelope(on_error: str, version: str) -> None:
    if on_error not in ("stopOnError", "continueOnError"):
        raise ValueError(f"onError must be stopOnError or continueOnError, not {on_error!r}")
    if not re.fullmatch(r"\d{1,2}\.\d", version):
        raise ValueError(f"not a qbXML version: {version!r}")


def _with_header(body: str, version: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'


def new_request(tag: str, request_id: str) -> Request:
    """An empty ``<tag requestID="…">``."""
    if not request_id or len(request_id) > 50:
        raise ValueError("requestID must be 1 to 50 characters")
    return etree.Element(tag, requestID=request_id)


# -- element helpers, shared with build_txns --------------------------------------------------


# (The hot builders, customers and invoices, write ``flat.Flat`` requests with ``flat.ref`` and
# ``flat.address``; these make the other requests' trees.)
sub_element = etree.SubElement


def leaf(parent: etree._Element, tag: str, value: str | None) -> None:
    if value is not None:
        sub_element(parent, tag).text = value


def ref(parent: etree._Element, tag: str, value: Ref | None, record: str) -> None:
    if value is None:
        return
    node = sub_element(parent, tag)
    list_id = value.list_id
    if list_id:
        sub_element(node, "ListID").text = f.text(record, f"{tag}.ListID", list_id, f.ID_MAX)
    else:
        # (Ref.__post_init__ refuses a Ref with neither; a blank name is refused here in words.)
        sub_element(node, "FullName").text = f.full_name(record, f"{tag}.FullName", value.full_name or "")


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


def set_iterator(
    request: Request, iterator: IteratorMode | None, iterator_id: str | None, max_returned: int | None
) -> None:
    """Iterator attributes, only on queries whose schema accepts them."""
    if iterator is None:
        if iterator_id is not None:
            raise ValueError("iterator_id given without iterator")
        return
    if request.tag not in ITERATOR_QUERIES:
        raise ValueError(f"{request.tag} does not accept an iterator")
    if iterator == "Start":
        if iterator_id is not None:
            raise ValueError("iterator Start takes no iterator_id")
        if max_returned is None:
            raise ValueError("iterator Start needs max_returned")
    elif not iterator_id:
        raise ValueError(f"iterator {iterator} needs the iterator_id QuickBooks returned")
    request.set("iterator", iterator)
    if iterator_id:
        request.set("iteratorID", iterator_id)


# -- host and company -------------------------------------------------------------------------


def host_query(request_id: str) -> Request:
    return new_request("HostQueryRq", request_id)


def company_query(request_id: str) -> Request:
    return new_request("CompanyQueryRq", request_id)


# -- customers ----------------------------------------------------------------------------------


def _customer_body(out: Flat, c: CustomerFields, record: str, *, is_mod: bool) -> None:
    # Each field as ``out.leaf(Tag, checked value)``, without the calls for None.
    leaf, text = out.leaf, f.text
    name = c.name if not is_mod or c.name else None
    if name is not None:
        leaf("Name", f.list_name(record, "Name", name, f.NAME_MAX))
    if c.is_active is not None:
        leaf("IsActive", f.format_bool(c.is_active))
    flat.ref(out, "ParentRef", c.parent, record)
    if c.company_name is not None:
        leaf("CompanyName", text(record, "CompanyName", c.company_name, f.COMPANY_NAME_MAX))
    if c.salutation is not None:
        leaf("Salutation", text(record, "Salutation", c.salutation, f.SALUTATION_MAX))
    if c.first_name is not None:
        leaf("FirstName", text(record, "FirstName", c.first_name, f.PERSON_NAME_MAX))
    if c.last_name is not None:
        leaf("LastName", text(record, "LastName", c.last_name, f.PERSON_NAME_MAX))
    flat.address(out, "BillAddress", c.bill_address, record)
    flat.address(out, "ShipAddress", c.ship_address, record)
    if c.phone is not None:
        leaf("Phone", text(record, "Phone", c.phone, f.PHONE_MAX))
    if c.alt_phone is not None:
        leaf("AltPhone", text(record, "AltPhone", c.alt_phone, f.PHONE_MAX))
    if c.fax is not None:
        leaf("Fax", text(record, "Fax", c.fax, f.PHONE_MAX))
    if c.email is not None:
        leaf("Email", text(record, "Email", c.email, f.EMAIL_MAX))
    if c.contact is not None:
        leaf("Contact", text(record, "Contact", c.contact, f.CONTACT_MAX))
    if c.mobile:
        # US QuickBooks Desktop has no <Mobile> (Online only: the whole message would be
        # refused); it keeps a mobile number as the "Mobile" additional contact (qbXML 12+).
        out.open("AdditionalContactRef")
        leaf("ContactName", MOBILE_CONTACT)
        leaf("ContactValue", text(record, "Mobile", c.mobile, f.PHONE_MAX))
        out.close()
    flat.ref(out, "TermsRef", c.terms, record)
    flat.ref(out, "SalesTaxCodeRef", c.sales_tax_code, record)
    flat.ref(out, "ItemSalesTaxRef", c.item_sales_tax, record)
    if c.resale_number is not None:
        leaf("ResaleNumber", text(record, "ResaleNumber", c.resale_number, 15))
    if c.account_number is not None:
        leaf("AccountNumber", text(record, "AccountNumber", c.account_number, 99))
    if c.job_status is not None:
        leaf("JobStatus", c.job_status.value)
    if c.job_start_date is not None:
        leaf("JobStartDate", f.format_date(c.job_start_date))
    if c.job_projected_end is not None:
        leaf("JobProjectedEndDate", f.format_date(c.job_projected_end))
    if c.job_end_date is not None:
        leaf("JobEndDate", f.format_date(c.job_end_date))
    if c.job_desc is not None:
        leaf("JobDesc", text(record, "JobDesc", c.job_desc, f.JOB_DESC_MAX))
    if c.notes is not None:
        leaf("Notes", f.free_text(record, "Notes", c.notes))
    out.close()


def _record_label(kind: str, name: str) -> str:
    return f"{kind} '{name}'" if name else kind


def customer_add_flat(request_id: str, customer: CustomerFields) -> Flat:
    """A CustomerAdd, as the sync sends it (``customer_add`` is the same request as a tree)."""
    out = Flat("CustomerAddRq", request_id)
    out.open("CustomerAdd")
    _customer_body(out, customer, _record_label("Customer", customer.name), is_mod=False)
    return out


def customer_add(request_id: str, customer: CustomerFields) -> Request:
    return customer_add_flat(request_id, customer).element()


def customer_mod_flat(request_id: str, list_id: str, edit_sequence: str, customer: CustomerFields) -> Flat:
    """A CustomerMod; ``customer.name`` empty leaves the name unchanged."""
    record = _record_label("Customer", customer.name or list_id)
    out = flat.mod("CustomerMod", request_id, "ListID", list_id, edit_sequence, record)
    _customer_body(out, customer, record, is_mod=True)
    return out


def customer_mod(request_id: str, list_id: str, edit_sequence: str, customer: CustomerFields) -> Request:
    """A CustomerMod; ``customer.name`` empty leaves the name unchanged."""
    return customer_mod_flat(request_id, list_id, edit_sequence, customer).element()


def list_query(
    tag: ListQueryTag,
    request_id: str,
    *,
    list_ids: Iterable[str] = (),
    full_names: Iterable[str] = (),
    max_returned: int | None = None,
    active_status: ActiveStatus | None = None,
    from_modified: datetime | None = None,
    to_modified: datetime | None = None,
    name_starts_with: str | None = None,
    iterator: IteratorMode | None = None,
    iterator_id: str | None = None,
    include_ret: Iterable[str] = (),
) -> Request:
    """Any list query (``CustomerQueryRq``, ``ItemServiceQueryRq``, ``AccountQueryRq``…).

    QuickBooks takes ListIDs, FullNames, or a filter: never two of them. ``include_ret``
    names the only elements each record should carry (IncludeRetElement), e.g. a vendor's
    ListID and Name when only its name matters.
    """
    request = new_request(tag, request_id)
    ids, names = list(list_ids), list(full_names)
    uses_filter = any(
        v is not None for v in (max_returned, active_status, from_modified, to_modified, name_starts_with)
    )
    if sum((bool(ids), bool(names), uses_filter)) > 1:
        raise ValueError(f"{tag}: give list_ids, full_names or filters, not several")
    for list_id in ids:
        leaf(request, "ListID", f.text(tag, "ListID", list_id, f.ID_MAX))
    for name in names:
        leaf(request, "FullName", f.full_name(tag, "FullName", name))
    if max_returned is not None:
        leaf(request, "MaxReturned", f.format_int(tag, "MaxReturned", max_returned))
    leaf(request, "ActiveStatus", active_status)
    leaf(request, "FromModifiedDate", None if from_modified is None else f.format_datetime(from_modified))
    leaf(request, "ToModifiedDate", None if to_modified is None else f.format_datetime(to_modified))
    if name_starts_with is not None:
        node = etree.SubElement(request, "NameFilter")
        leaf(node, "MatchCriterion", "StartsWith")
        leaf(node, "Name", f.text(tag, "NameFilter", name_starts_with, f.FULL_NAME_MAX))
    for element in include_ret:
        leaf(request, "IncludeRetElement", f.text(tag, "IncludeRetElement", element, 50))
    set_iterator(request, iterator, iterator_id, max_returned)
    return request


# -- items ------------------------------------------------------------------------------------


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


# -- terms --------------------------------------------------------------------------------------


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


# -- sales-tax items ------------------------------------------------------------------------------


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
