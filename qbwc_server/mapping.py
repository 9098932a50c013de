"""From JobDesk's records to qbXML fields, as the reference products map them.

* customer → Customer: names, company, mobile → the "Mobile" additional contact (US
  QuickBooks Desktop has no <Mobile> element), home → Phone (primary),
  work → AltPhone, email, notes, billing address; tax-exempt → sales tax code "Non".
* job → a sub-customer of its customer (FullName ``Customer:Job``) named
  ``<number> <name>`` (unique under the parent, as QuickBooks requires), with status and dates.
* price-book service → ItemService, material → ItemNonInventory, with its income account.
* invoice → Invoice: one job → CustomerRef is the job, several jobs → the customer;
  service location → ShipAddress (not copied onto the customer); a line with no
  price-book item → the generic "Sales" item (or the QuickBooks item chosen for it when
  connecting); paid deposits → a "Less deposit" line.
* payment → ReceivePayment with its applications, and the payment method and deposit-to
  account chosen for its method when connecting; a marker in the memo identifies it
  when a lost answer has to be checked.

Every mapping also yields a flat ``values`` dict (what we would send), kept on the link
after a sync: a later Mod sends only the fields that changed since, so a change made in
QuickBooks to another field is not overwritten.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import (
    Account,
    Customer,
    Invoice,
    Item,
    Job,
    Payment,
    QbLink,
    Terms,
)
from desktop_app.domain import qb_names
from desktop_app.domain.money import ZERO
from desktop_app.domain.status import ItemKind as LocalItemKind
from desktop_app.domain.status import TermsKind
from desktop_app.services.setting_specs import stored_value
from desktop_app.services.tax_rates import tax_rate_for
from qbwc_server import qbxml as q
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
)
from qbwc_server.qbxml.build import MOBILE_CONTACT

#: The generic item for lines that have no price-book item (ad hoc, progress, deposit).
GENERIC_ITEM = "Sales"

JOB_STATUS = {
    "open": JobStatus.PENDING,
    "scheduled": JobStatus.AWARDED,
    "in_progress": JobStatus.IN_PROGRESS,
    "finished": JobStatus.CLOSED,
    "cancelled": JobStatus.NOT_AWARDED,
}


LINK_CACHE = "jobdesk_link_cache"
_Record = TypeVar("_Record")


_LINK = select(QbLink).where(QbLink.entity_type == bindparam("kind"), QbLink.entity_id == bindparam("id"))


def link_of(session: Session, entity_type: str, entity_id: int) -> QbLink | None:
    """The record's link. While a batch is planned, lookups are remembered (hits and misses)."""
    cache: dict[tuple[str, int], QbLink | None] | None = session.info.get(LINK_CACHE)
    if cache is not None and (entity_type, entity_id) in cache:
        return cache[(entity_type, entity_id)]
    link = session.scalar(_LINK, {"kind": entity_type, "id": entity_id})
    if cache is not None:
        cache[(entity_type, entity_id)] = link
    return link


def cache_link(session: Session, entity_type: str, entity_id: int, link: QbLink | None) -> None:
    """Keep the link cache (when on) true after a link is made or removed."""
    cache: dict[tuple[str, int], QbLink | None] | None = session.info.get(LINK_CACHE)
    if cache is not None:
        cache[(entity_type, entity_id)] = link


def forget_link(session: Session, entity_type: str, entity_id: int) -> None:
    """Let the next lookup of this one record read the database."""
    cache: dict[tuple[str, int], QbLink | None] | None = session.info.get(LINK_CACHE)
    if cache is not None:
        cache.pop((entity_type, entity_id), None)


def forget_links(session: Session) -> None:
    """Drop the cache (after work that makes links without telling it, like imports)."""
    cache: dict[tuple[str, int], QbLink | None] | None = session.info.get(LINK_CACHE)
    if cache is not None:
        cache.clear()


def remember_links(session: Session) -> None:
    """Turn on the per-transaction link cache (the planner's many lookups, one query each)."""
    session.info.setdefault(LINK_CACHE, {})


def _opt(value: str) -> str | None:
    return value or None


def job_qb_name(job: Job) -> str:
    """The job's name in QuickBooks: number first, so two jobs never share a name (the job's
    QuickBooks panel says when QuickBooks cannot hold all of it: ``qb_names.job_name_note``)."""
    return qb_names.job_qb_name(job.number, job.name)


def customer_full_name(customer: Customer) -> str:
    return customer.display_name


def job_full_name(session: Session, job: Job) -> str:
    return f"{customer_full_name(_customer(session, job.customer_id))}:{job_qb_name(job)}"


def _ref(session: Session, entity_type: str, entity_id: int, full_name: str) -> Ref:
    link = link_of(session, entity_type, entity_id)
    return Ref.by_id(link.qb_id) if link else Ref.by_name(full_name)


# -- values: what we would send, flat, comparable ---------------------------------------------


def customer_values(customer: Customer) -> dict[str, str]:
    return {
        "Name": customer.display_name,
        "IsActive": "true" if customer.active else "false",
        "CompanyName": customer.company,
        "FirstName": customer.first_name,
        "LastName": customer.last_name,
        "BillAddress/Addr1": customer.bill_street,
        "BillAddress/Addr2": customer.bill_unit,
        "BillAddress/City": customer.bill_city,
        "BillAddress/State": customer.bill_state,
        "BillAddress/PostalCode": customer.bill_zip,
        "Phone": customer.home_phone,
        "Mobile": customer.mobile_phone,
        "AltPhone": customer.work_phone,
        "Email": customer.email,
        "Notes": customer.notes,
        "SalesTaxCodeRef/FullName": "Non" if customer.tax_exempt else "Tax",
    }


def qb_value(record: q.Record, key: str) -> str | None:
    """QuickBooks' value for one of our ``values`` keys, read from its answer."""
    if key == "Mobile":
        return record.additional_contact(MOBILE_CONTACT)
    return record.get(key)


def job_values(session: Session, job: Job) -> dict[str, str]:
    start = job.started_on or job.scheduled_start
    return {
        "Name": job_qb_name(job),
        "ParentRef/FullName": customer_full_name(_customer(session, job.customer_id)),
        "JobStatus": JOB_STATUS.get(job.status, JobStatus.NONE).value,
        "JobStartDate": start.isoformat() if start else "",
        "JobEndDate": job.finished_on.isoformat() if job.finished_on else "",
    }


def item_values(session: Session, item: Item) -> dict[str, str]:
    return {
        "Name": item.name,
        "IsActive": "true" if item.active else "false",
        # Entry keeps descriptions within QuickBooks' 4,095 characters; nothing is cut here.
        "Desc": item.description,
        "Price": str(item.unit_price.normalize()) if item.unit_price else "0",
        "IncomeAccountRef/FullName": income_account_name(session, item) or "",
        "SalesTaxCodeRef/FullName": "Tax" if item.taxable else "Non",
    }


def income_account_name(session: Session, item: Item) -> str | None:
    account_id = item.income_account_id
    if account_id is None:
        chosen = stored_value(session, "accounts.default_income_account_id") or ""
        account_id = int(chosen) if chosen.isdigit() and chosen != "0" else None
    if account_id is None:
        return None
    account = session.get(Account, account_id)
    return account.full_name if account else None


def _chosen_list_id(session: Session, key: str) -> str:
    """A QuickBooks ListID the admin chose in the connection wizard ("" when none)."""
    value = stored_value(session, key)
    return value.strip() if value is not None else ""


def generic_item_list_id(session: Session) -> str:
    """The QuickBooks item chosen for lines without a price-book item ("" → our own "Sales")."""
    return _chosen_list_id(session, "items.generic_item_list_id")


def _generic_item_ref(session: Session) -> Ref:
    chosen = generic_item_list_id(session)
    return Ref.by_id(chosen) if chosen else Ref.by_name(GENERIC_ITEM)


def _chosen_ref(session: Session, key: str) -> Ref | None:
    chosen = _chosen_list_id(session, key)
    return Ref.by_id(chosen) if chosen else None


def _customer(session: Session, customer_id: int) -> Customer:
    return _loaded(session, Customer, customer_id, "customer")


def _loaded(session: Session, model: type[_Record], record_id: int, what: str) -> _Record:
    """A record another one refers to; gone (deleted meanwhile): a plain error the sync
    turns into an alert on the item that needs it, never a crash."""
    record = loaded.get(session, model, record_id)
    if record is None:
        raise LookupError(f"{what} #{record_id} is no longer in JobDesk")
    return record


def changed_only(values: Mapping[str, str], synced: Mapping[str, str]) -> set[str]:
    """Keys whose value differs from what QuickBooks last agreed to (all keys if never synced)."""
    if not synced:
        return set(values)
    return {key for key, value in values.items() if synced.get(key) != value}


# -- fields for the builders -------------------------------------------------------------------


#: An address' parts, as ``values`` keys them after the address' name ("BillAddress/City").
_ADDRESS_PARTS = ("Addr1", "Addr2", "City", "State", "PostalCode")


@functools.cache
def _address_keys(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}/{name}" for name in _ADDRESS_PARTS)


def _address(values: Mapping[str, str], prefix: str, only: set[str], *, mod: bool) -> Address | None:
    """The address when a part of it is to be sent (``only``): every part we have; on a Mod,
    a part emptied here as an empty value, which clears it in QuickBooks (a part left out
    stays as QuickBooks has it)."""
    keys = _address_keys(prefix)
    if only.isdisjoint(keys):
        return None
    addr1, addr2, city, state, postal_code = (
        values.get(key, "") or ("" if mod and key in only else None) for key in keys
    )
    return Address(addr1=addr1, addr2=addr2, city=city, state=state, postal_code=postal_code)


def _pick(values: Mapping[str, str], key: str, only: set[str], *, mod: bool) -> str | None:
    """None = leave QuickBooks' value alone. On an Add, empty values are simply not sent."""
    if key not in only:
        return None
    value = values.get(key, "")
    return value if (value or mod) else None


def customer_fields(values: Mapping[str, str], only: set[str], *, mod: bool) -> CustomerFields:
    def pick(key: str) -> str | None:
        return _pick(values, key, only, mod=mod)

    tax = pick("SalesTaxCodeRef/FullName")
    active = pick("IsActive")
    return CustomerFields(
        name=values["Name"],
        is_active=None if active is None else active == "true",
        company_name=pick("CompanyName"),
        first_name=pick("FirstName"),
        last_name=pick("LastName"),
        bill_address=_address(values, "BillAddress", only, mod=mod),
        phone=pick("Phone"),
        mobile=pick("Mobile"),
        alt_phone=pick("AltPhone"),
        email=pick("Email"),
        notes=pick("Notes"),
        sales_tax_code=Ref.by_name(tax) if tax else None,
    )


def job_fields(
    session: Session, job: Job, values: Mapping[str, str], only: set[str], *, mod: bool
) -> CustomerFields:
    def pick(key: str) -> str | None:
        return _pick(values, key, only, mod=mod)

    start, end, status = pick("JobStartDate"), pick("JobEndDate"), pick("JobStatus")
    from datetime import date

    parent = None
    if not mod or "ParentRef/FullName" in only:
        customer = _customer(session, job.customer_id)
        parent = _ref(session, "customer", customer.id, customer_full_name(customer))
    return CustomerFields(
        name=values["Name"],
        parent=parent,
        job_status=JobStatus(status) if status else None,
        job_start_date=date.fromisoformat(start) if start else None,
        job_end_date=date.fromisoformat(end) if end else None,
    )


def item_fields(values: Mapping[str, str], kind: str, only: set[str], *, mod: bool) -> ItemFields:
    def pick(key: str) -> str | None:
        return _pick(values, key, only, mod=mod)

    price, account, tax, active = (
        pick("Price"),
        pick("IncomeAccountRef/FullName"),
        pick("SalesTaxCodeRef/FullName"),
        pick("IsActive"),
    )
    return ItemFields(
        name=values["Name"],
        kind=ItemKind.SERVICE if kind == LocalItemKind.SERVICE else ItemKind.NON_INVENTORY,
        is_active=None if active is None else active == "true",
        description=pick("Desc"),
        price=Decimal(price) if price else None,
        income_account=Ref.by_name(account) if account else None,
        sales_tax_code=Ref.by_name(tax) if tax else None,
    )


def terms_fields(terms: Terms) -> StandardTermsFields:
    return StandardTermsFields(name=terms.name, due_days=terms.net_days or 0)


def terms_sent_to_quickbooks(terms: Terms | None) -> bool:
    """Only "Net N" and "Due on receipt" are QuickBooks terms; the others set only DueDate."""
    return terms is not None and terms.kind in (TermsKind.NET_DAYS, TermsKind.UPON_RECEIPT)


def invoice_customer_ref(session: Session, invoice: Invoice) -> Ref:
    # The link first: a customer or job already in QuickBooks is named by its ListID, and
    # its record is not read (nor loaded ahead by ``prefetch``: ``refers_by_link``).
    job_id = invoice.job_id
    link = link_of(session, "job", job_id) if job_id else link_of(session, "customer", invoice.customer_id)
    if link is not None:
        return Ref.by_id(link.qb_id)
    if invoice.job_id is not None:
        return Ref.by_name(job_full_name(session, _loaded(session, Job, invoice.job_id, "job")))
    return Ref.by_name(customer_full_name(_customer(session, invoice.customer_id)))


@dataclass(frozen=True)
class InvoiceMapping:
    fields: InvoiceFields
    #: What QuickBooks should compute as the invoice total (ours, minus credited deposits).
    expected_total: Decimal


def invoice_fields(session: Session, invoice: Invoice) -> InvoiceMapping:
    lines: list[InvoiceLineFields] = []
    # A tax-exempt customer's invoice (rate 0) is non-taxable line by line, so QuickBooks
    # charges exactly what we computed whatever its own customer tax code says.
    taxed = invoice.tax_rate > 0
    for line in invoice.lines:
        item = loaded.get(session, Item, line.item_id) if line.item_id else None
        item_ref = _ref(session, "item", item.id, item.name) if item else _generic_item_ref(session)
        lines.append(
            InvoiceLineFields(
                item=item_ref,
                description=line.description or None,
                quantity=line.quantity if item else None,
                rate=line.rate if item else None,
                amount=line.amount,
                sales_tax_code=Ref.by_name("Tax" if line.taxable and taxed else "Non"),
            )
        )
    if invoice.deposit_credit > ZERO:
        lines.append(
            InvoiceLineFields(
                item=_generic_item_ref(session),
                description="Less deposit received",
                amount=-invoice.deposit_credit,
                sales_tax_code=Ref.by_name("Non"),
            )
        )
    terms = session.get(Terms, invoice.terms_id) if invoice.terms_id else None
    terms_ref = (
        _ref(session, "terms", terms.id, terms.name) if terms and terms_sent_to_quickbooks(terms) else None
    )
    ship = Address(
        addr1=_opt(invoice.ship_street),
        addr2=_opt(invoice.ship_unit),
        city=_opt(invoice.ship_city),
        state=_opt(invoice.ship_state),
        postal_code=_opt(invoice.ship_zip),
    )
    bill = Address(
        addr1=_opt(invoice.bill_name),
        addr2=_opt(invoice.bill_street),
        addr3=_opt(invoice.bill_unit),
        city=_opt(invoice.bill_city),
        state=_opt(invoice.bill_state),
        postal_code=_opt(invoice.bill_zip),
    )
    tax_item = None
    if invoice.tax > ZERO:
        tax = tax_rate_for(session, invoice.tax_rate)
        tax_item = _ref(session, "tax_item", tax.id, tax.name)
    fields = InvoiceFields(
        customer=invoice_customer_ref(session, invoice),
        txn_date=invoice.invoice_date,
        ref_number=invoice.number,
        bill_address=bill if any((bill.addr1, bill.addr2, bill.city)) else None,
        ship_address=ship if any((ship.addr1, ship.city)) else None,
        terms=terms_ref,
        due_date=invoice.due_date,
        item_sales_tax=tax_item,
        memo=invoice.memo or None,
        is_to_be_printed=False,
        lines=tuple(lines),
    )
    return InvoiceMapping(fields=fields, expected_total=invoice.total - invoice.deposit_credit)


def payment_marker(payment: Payment) -> str:
    """Written into the payment's memo so a lost answer can be checked in QuickBooks."""
    return f"[JobDesk P{payment.id}]"


def payment_fields(session: Session, payment: Payment) -> PaymentFields:
    applications: list[AppliedPayment] = []
    refs: set[str] = set()
    for application in payment.applications:
        invoice = _loaded(session, Invoice, application.invoice_id, "invoice")
        link = link_of(session, "invoice", invoice.id)
        if link is None:
            continue
        applications.append(AppliedPayment(txn_id=link.qb_id, payment_amount=application.amount))
        ref = invoice_customer_ref(session, invoice)
        refs.add(ref.list_id or ref.full_name or "")
    customer = _customer(session, payment.customer_id)
    if len(refs) == 1 and payment.applications:
        first = _loaded(session, Invoice, payment.applications[0].invoice_id, "invoice")
        customer_ref = invoice_customer_ref(session, first)
    else:
        customer_ref = _ref(session, "customer", customer.id, customer_full_name(customer))
    memo = " ".join(part for part in (payment.memo, f"({payment.method})", payment_marker(payment)) if part)
    return PaymentFields(
        customer=customer_ref,
        txn_date=payment.received_on,
        ref_number=payment.reference or None,
        total_amount=payment.amount,
        payment_method=_chosen_ref(session, f"payments.qb_method.{payment.method}"),
        memo=memo,
        deposit_to_account=_chosen_ref(session, f"payments.deposit_to.{payment.method}"),
        applications=tuple(applications),
    )
