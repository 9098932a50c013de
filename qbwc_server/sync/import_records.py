"""QuickBooks' list records (qbXML) as the plain values the core keeps and matches.

The core never sees qbXML: each record the import reads becomes a ``QbRecord`` with
what a JobDesk record would be made from in ``detail``. An answer missing a ListID or a
name is skipped (QuickBooks' answers are data, not promises).
"""

from __future__ import annotations

from collections.abc import Iterable

from desktop_app.services.qb_records import QbRecord
from qbwc_server import mapping as m
from qbwc_server import qbxml as q

#: The text a JobDesk customer is made from: detail key → QuickBooks element.
_CUSTOMER_FIELDS = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "company": "CompanyName",
    "home_phone": "Phone",
    "work_phone": "AltPhone",
    "email": "Email",
    "notes": "Notes",
    "bill_street": "BillAddress/Addr1",
    "bill_unit": "BillAddress/Addr2",
    "bill_city": "BillAddress/City",
    "bill_state": "BillAddress/State",
    "bill_zip": "BillAddress/PostalCode",
}


def _base(
    kind: str, record: q.Record, *, record_type: str = "", detail: dict[str, str] | None = None
) -> QbRecord | None:
    list_id, name = record.list_id, record.name
    if not list_id or not name:
        return None
    return QbRecord(
        kind=kind,
        list_id=list_id,
        name=name,
        full_name=record.get("FullName") or name,
        edit_sequence=record.edit_sequence or "",
        parent_list_id=record.get("ParentRef/ListID") or "",
        active=record.is_active is not False,
        record_type=record_type,
        detail=detail or {},
    )


def customer_or_job(record: q.Record) -> QbRecord | None:
    """A CustomerRet: a customer at the top, a job (sub-customer) under a parent."""
    if record.get("ParentRef/ListID"):
        detail = {
            "job_status": record.get("JobStatus") or "",
            "start_date": record.get("JobStartDate") or "",
            "end_date": record.get("JobEndDate") or "",
        }
        return _base("job", record, detail=detail)
    detail = {key: record.get(path) or "" for key, path in _CUSTOMER_FIELDS.items()}
    detail["mobile_phone"] = m.qb_value(record, "Mobile") or ""
    detail["tax_exempt"] = "true" if (record.get("SalesTaxCodeRef/FullName") or "") == "Non" else "false"
    return _base("customer", record, detail=detail)


def item(record: q.Record) -> QbRecord | None:
    """Any ItemRet (service, non-inventory, other charge, inventory, group, discount, sales tax …)."""
    price = (
        record.get("SalesOrPurchase/Price")
        or record.get("SalesAndPurchase/SalesPrice")
        or record.get("SalesPrice")
        or ""
    )
    detail = {
        "price": price,
        "description": record.get("SalesOrPurchase/Desc")
        or record.get("SalesAndPurchase/SalesDesc")
        or record.get("SalesDesc")
        or record.get("ItemDesc")
        or "",
        "taxable": "true" if (record.get("SalesTaxCodeRef/FullName") or "") == "Tax" else "false",
        "income_account": record.get("SalesOrPurchase/AccountRef/FullName")
        or record.get("SalesAndPurchase/IncomeAccountRef/FullName")
        or record.get("IncomeAccountRef/FullName")
        or "",
        "tax_rate": record.get("TaxRate") or "",
    }
    return _base("item", record, record_type=record.kind.removesuffix("Ret"), detail=detail)


def plain(kind: str, record: q.Record) -> QbRecord | None:
    """Vendors, employees, other names, accounts, terms, payment methods, sales-tax codes."""
    record_type = ""
    detail: dict[str, str] = {}
    if kind == "account":
        record_type = record.get("AccountType") or ""
        detail = {"account_number": record.get("AccountNumber") or ""}
    elif kind == "terms":
        record_type = record.kind.removesuffix("Ret")
        detail = {"due_days": record.get("StdDueDays") or ""}
    elif kind == "payment_method":
        record_type = record.get("PaymentMethodType") or ""
    elif kind == "sales_tax_code":
        detail = {"taxable": "true" if record.flag("IsTaxable") else "false"}
    return _base(kind, record, record_type=record_type, detail=detail)


def records(kind: str, found: Iterable[q.Record]) -> list[QbRecord]:
    converted = (
        customer_or_job(r) if kind == "customer" else item(r) if kind == "item" else plain(kind, r)
        for r in found
    )
    return [r for r in converted if r is not None]
