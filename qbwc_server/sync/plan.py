"""Deciding what one queue item sends next, and what it must wait for.

Phases of an item (``SyncItem.phase``), each one request:

* ``""``       first try: an Add when the record has no link, a Mod when it has one;
               invoices are first ``check``-ed for a clashing RefNumber.
* ``check``    InvoiceQuery by RefNumber before an InvoiceAdd (QuickBooks allows duplicates).
* ``verify``   a previous Add's answer was lost: look the record up before adding again.
* ``claim``    an Add got 3100 (name in use): look at the existing record to link to it.
* ``refresh``  a Mod got 3200 (stale EditSequence): re-read the record, then Mod again.
* ``add`` / ``mod`` / ``void`` / ``delete`` / ``import`` / ``pull``: as named.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import Customer, Invoice, Item, Job, Payment, QbLink, TaxRate, Terms
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from desktop_app.services.setting_specs import stored_value
from desktop_app.services.tax_rates import tax_rate_for
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built as Built
from qbwc_server.sync.built import to_xml as to_xml
from qbwc_server.sync.duplicates import delete_request
from qbwc_server.sync.imports import build_import

Dep = tuple[str, int]
LIST_TYPES = frozenset({"customer", "job", "item", "terms", "tax_item"})


class NothingToSend(Exception):
    """The record is already as QuickBooks has it (e.g. a Mod with no changed field)."""


def setting(session: Session, key: str, default: str = "") -> str:
    """A setting's stored text, read once per transaction (the settings service's cache)."""
    value = stored_value(session, key)
    return value if value is not None else default


def generic_item_id(session: Session) -> int:
    """The local "Sales" item for lines without a price-book item; created on first need."""
    cached: int | None = session.info.get("jobdesk_generic_item")
    if cached is not None:
        return cached
    key = m.GENERIC_ITEM.lower()
    found = session.scalar(select(Item.id).where(Item.name_key == key))
    if found is not None:
        session.info["jobdesk_generic_item"] = found
        return found
    item = Item(
        kind="service",
        name=m.GENERIC_ITEM,
        name_key=key,
        unit_price=0,
        description="Sales (lines without a price-book item)",
        taxable=False,
    )
    session.add(item)
    session.flush()
    return item.id


def dependencies(session: Session, item: SyncItem) -> tuple[list[Dep], list[Dep]]:
    """(list records that must be in QuickBooks first, transactions that must be linked first)."""
    assert item.entity_id is not None or item.entity_type == "import"
    lists: list[Dep] = []
    txns: list[Dep] = []
    if item.action != "upsert" or item.entity_id is None:
        return lists, txns
    if item.entity_type == "job":
        job = session.get(Job, item.entity_id)
        if job is not None:
            lists.append(("customer", job.customer_id))
    elif item.entity_type == "invoice":
        invoice = session.get(Invoice, item.entity_id)
        if invoice is not None:
            if invoice.job_id is not None:
                lists.append(("job", invoice.job_id))
            else:
                lists.append(("customer", invoice.customer_id))
            needs_generic = invoice.deposit_credit > 0
            for line in invoice.lines:
                if line.item_id is not None:
                    lists.append(("item", line.item_id))
                else:
                    needs_generic = True
            if needs_generic and not m.generic_item_list_id(session):
                # An item QuickBooks already has was chosen for these lines: nothing to add first.
                lists.append(("item", generic_item_id(session)))
            terms = session.get(Terms, invoice.terms_id) if invoice.terms_id else None
            if terms is not None and m.terms_sent_to_quickbooks(terms):
                lists.append(("terms", terms.id))
            if invoice.tax > 0:
                # QuickBooks computes the tax from its sales-tax item: that item first.
                lists.append(("tax_item", tax_rate_for(session, invoice.tax_rate).id))
    elif item.entity_type == "payment":
        payment = session.get(Payment, item.entity_id)
        if payment is not None:
            lists.append(("customer", payment.customer_id))
            txns.extend(("invoice", a.invoice_id) for a in payment.applications)
    return list(dict.fromkeys(lists)), list(dict.fromkeys(txns))


def _values_json(link: QbLink | None) -> dict[str, str]:
    if link is None or not link.synced_values:
        return {}
    loaded: dict[str, str] = json.loads(link.synced_values)
    return loaded


def build(session: Session, item: SyncItem, request_id: str) -> Built:
    """The request for the item's current phase. Raises NothingToSend when in step."""
    kind, record_id = item.entity_type, item.entity_id
    if kind == "import":
        return build_import(session, item, request_id)
    assert record_id is not None
    if item.action == "delete_duplicate":
        return Built(Phase.DELETE_DUPLICATE, delete_request(item, request_id))
    link = m.link_of(session, kind, record_id)
    if item.action == "void":
        assert link is not None
        return Built("void", q.txn_void(request_id, link.qb_id, "Invoice"))
    if item.action == "delete":
        assert link is not None
        return Built("delete", q.txn_del(request_id, link.qb_id, "ReceivePayment"))
    if item.phase == "refresh" and link is not None:
        return Built("refresh", _query_by_id(session, kind, request_id, link.qb_id))
    if item.phase in ("verify", "claim", "check") and link is None:
        return Built(item.phase, _lookup_query(session, kind, record_id, request_id))
    if kind == "invoice" and link is None and item.phase == "":
        return Built("check", _lookup_query(session, kind, record_id, request_id))
    return _build_upsert(session, kind, record_id, request_id, link)


def _build_upsert(session: Session, kind: str, record_id: int, request_id: str, link: QbLink | None) -> Built:
    synced = _values_json(link)
    if kind == "customer":
        customer = session.get(Customer, record_id)
        assert customer is not None
        values = m.customer_values(customer)
        if link is None:
            return Built(
                "add", q.customer_add(request_id, m.customer_fields(values, set(values), mod=False)), values
            )
        only = m.changed_only(values, synced)
        if not only:
            raise NothingToSend
        fields = m.customer_fields(values, only | {"Name"}, mod=True)
        return Built("mod", q.customer_mod(request_id, link.qb_id, link.edit_sequence, fields), values)
    if kind == "job":
        job = session.get(Job, record_id)
        assert job is not None
        values = m.job_values(session, job)
        if link is None:
            fields = m.job_fields(session, job, values, set(values), mod=False)
            return Built("add", q.customer_add(request_id, fields), values)
        only = m.changed_only(values, synced)
        if not only:
            raise NothingToSend
        fields = m.job_fields(session, job, values, only | {"Name"}, mod=True)
        return Built("mod", q.customer_mod(request_id, link.qb_id, link.edit_sequence, fields), values)
    if kind == "item":
        item = session.get(Item, record_id)
        assert item is not None
        values = m.item_values(session, item)
        if link is None:
            item_fields = m.item_fields(values, item.kind, set(values), mod=False)
            return Built("add", q.item_add(request_id, item_fields), values, {"kind": item.kind})
        only = m.changed_only(values, synced)
        if not only:
            raise NothingToSend
        item_fields = m.item_fields(values, item.kind, only | {"Name"}, mod=True)
        return Built("mod", q.item_mod(request_id, link.qb_id, link.edit_sequence, item_fields), values)
    if kind == "terms":
        terms = session.get(Terms, record_id)
        assert terms is not None
        if link is not None:
            raise NothingToSend  # standard terms never change once in QuickBooks
        return Built("add", q.standard_terms_add(request_id, m.terms_fields(terms)), {"Name": terms.name})
    if kind == "tax_item":
        tax = session.get(TaxRate, record_id)
        assert tax is not None
        if link is not None:
            raise NothingToSend  # the rate of a QuickBooks sales-tax item is QuickBooks' to change
        tax_fields = q.SalesTaxItemFields(name=tax.name, rate=tax.rate, description=f"Sales tax {tax.name}")
        return Built(
            "add", q.sales_tax_item_add(request_id, tax_fields), {"Name": tax.name, "TaxRate": str(tax.rate)}
        )
    if kind == "invoice":
        invoice = session.get(Invoice, record_id)
        assert invoice is not None
        mapped = m.invoice_fields(session, invoice)
        values = {"Total": str(mapped.expected_total), "Memo": invoice.memo, "RefNumber": invoice.number}
        extra = {"expected_total": str(mapped.expected_total)}
        if link is None:
            return Built("add", q.invoice_add(request_id, mapped.fields), values, extra)
        return Built(
            "mod", q.invoice_mod(request_id, link.qb_id, link.edit_sequence, mapped.fields), values, extra
        )
    if kind == "payment":
        payment = session.get(Payment, record_id)
        assert payment is not None
        payment_fields = m.payment_fields(session, payment)
        values = {"TotalAmount": str(payment.amount)}
        if link is None:
            return Built("add", q.receive_payment_add(request_id, payment_fields), values)
        return Built(
            "mod", q.receive_payment_mod(request_id, link.qb_id, link.edit_sequence, payment_fields), values
        )
    raise ValueError(f"cannot sync {kind}")


def _query_by_id(session: Session, kind: str, request_id: str, qb_id: str) -> q.Request:
    if kind in ("customer", "job"):
        return q.list_query("CustomerQueryRq", request_id, list_ids=[qb_id])
    if kind == "item":
        return q.list_query("ItemQueryRq", request_id, list_ids=[qb_id])
    if kind == "terms":
        return q.list_query("StandardTermsQueryRq", request_id, list_ids=[qb_id])
    if kind == "tax_item":
        return q.list_query("ItemSalesTaxQueryRq", request_id, list_ids=[qb_id])
    if kind == "invoice":
        return q.txn_query("InvoiceQueryRq", request_id, txn_ids=[qb_id])
    return q.txn_query("ReceivePaymentQueryRq", request_id, txn_ids=[qb_id])


def _lookup_query(session: Session, kind: str, record_id: int, request_id: str) -> q.Request:
    """Find our record in QuickBooks by what identifies it there (name, RefNumber, memo marker)."""
    if kind == "customer":
        customer = session.get(Customer, record_id)
        assert customer is not None
        return q.list_query("CustomerQueryRq", request_id, full_names=[m.customer_full_name(customer)])
    if kind == "job":
        job = session.get(Job, record_id)
        assert job is not None
        return q.list_query("CustomerQueryRq", request_id, full_names=[m.job_full_name(session, job)])
    if kind == "item":
        item = session.get(Item, record_id)
        assert item is not None
        return q.list_query("ItemQueryRq", request_id, full_names=[item.name])
    if kind == "terms":
        terms = session.get(Terms, record_id)
        assert terms is not None
        return q.list_query("StandardTermsQueryRq", request_id, full_names=[terms.name])
    if kind == "tax_item":
        tax = session.get(TaxRate, record_id)
        assert tax is not None
        return q.list_query("ItemSalesTaxQueryRq", request_id, full_names=[tax.name])
    if kind == "invoice":
        invoice = session.get(Invoice, record_id)
        assert invoice is not None
        return q.txn_query(
            "InvoiceQueryRq", request_id, ref_numbers=[invoice.number], include_line_items=False
        )
    payment = session.get(Payment, record_id)
    assert payment is not None
    return q.txn_query(
        "ReceivePaymentQueryRq",
        request_id,
        from_txn_date=payment.received_on,
        to_txn_date=payment.received_on + timedelta(days=0),
        include_line_items=False,
    )
