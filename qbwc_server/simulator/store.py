"""The simulated company's records and their JSON form (Decimal kept as text).

List elements and transactions keep their qbXML content as ``data``: an ordered map
from element path (``BillAddress/Addr1``, ``SalesOrPurchase/AccountRef``) to text.
Paths ending in ``Ref`` hold the ListID of the element referred to, resolved when the
request arrived, so a rename shows up in every reference the way it does in QuickBooks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

#: List kinds sharing one name space in QuickBooks (customers, vendors, employees, other names).
NAME_KINDS = frozenset({"Customer", "Vendor", "Employee", "OtherName"})
#: Every item type the simulator holds, in the order of the XSD's ItemQueryRs choice, which is
#: the order an ItemQuery answers in (by type, then by full name within a type).
ITEM_TYPE_ORDER = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
    "ItemGroup",
)
#: Item types share one name space in QuickBooks: a name is unique across all of them.
ITEM_KINDS = frozenset(ITEM_TYPE_ORDER)
TERMS_KINDS = frozenset({"StandardTerms", "DateDrivenTerms"})


def namespace(kind: str) -> str:
    """Names are unique (case-insensitively) within a namespace."""
    if kind in NAME_KINDS:
        return "Name"
    if kind in ITEM_KINDS:
        return "Item"
    if kind in TERMS_KINDS:
        return "Terms"
    return kind


@dataclass
class ListElement:
    kind: str
    list_id: str
    edit_sequence: str
    time_created: datetime
    time_modified: datetime
    name: str
    is_active: bool = True
    parent_id: str | None = None
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class InvoiceLine:
    txn_line_id: str
    item_id: str | None
    description: str | None
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal
    tax_code_id: str | None
    service_date: str | None = None


@dataclass
class Invoice:
    txn_id: str
    txn_number: int
    edit_sequence: str
    time_created: datetime
    time_modified: datetime
    customer_id: str
    txn_date: date
    ref_number: str | None
    data: dict[str, str] = field(default_factory=dict)
    lines: list[InvoiceLine] = field(default_factory=list)
    sales_tax_item_id: str | None = None
    subtotal: Decimal = Decimal("0.00")
    tax_percent: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0.00")
    is_void: bool = False

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


@dataclass
class Application:
    invoice_id: str
    amount: Decimal


@dataclass
class CreditUse:
    """Part of a credit memo set against an invoice by a received payment (SetCredit)."""

    invoice_id: str
    credit_id: str
    amount: Decimal


@dataclass
class Payment:
    txn_id: str
    txn_number: int
    edit_sequence: str
    time_created: datetime
    time_modified: datetime
    customer_id: str
    txn_date: date
    ref_number: str | None
    total: Decimal
    data: dict[str, str] = field(default_factory=dict)
    applications: list[Application] = field(default_factory=list)
    credits: list[CreditUse] = field(default_factory=list)
    #: Credits set with no payment (``QuickBooksCompany.credit_links_only``): QuickBooks made
    #: no transaction, only links; it is no payment to query, change or delete.
    links_only: bool = False

    @property
    def unused(self) -> Decimal:
        return self.total - sum((a.amount for a in self.applications), Decimal("0.00"))


@dataclass
class CompanyState:
    company_name: str = "JobDesk Sample Construction"
    file_path: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\JobDesk Sample.QBW"
    clock: datetime = datetime(2024, 1, 2, 9, 0, 0)
    next_id: int = 1
    next_txn_number: int = 1
    lists: dict[str, ListElement] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    #: Credit memos, kept as invoices are (lines, tax, totals); ``credit_memo`` says how they differ.
    credit_memos: dict[str, Invoice] = field(default_factory=dict)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, raw),) = value.items()
            if key == "$decimal":
                return Decimal(raw)
            if key == "$datetime":
                return datetime.fromisoformat(raw)
            if key == "$date":
                return date.fromisoformat(raw)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save_state(state: CompanyState, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_encode(asdict(state)), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write leaves the previous file intact


def load_state(path: Path) -> CompanyState:
    raw = _decode(json.loads(path.read_text(encoding="utf-8")))
    invoices = {
        k: Invoice(**{**v, "lines": [InvoiceLine(**line) for line in v["lines"]]})
        for k, v in raw["invoices"].items()
    }
    payments = {
        k: Payment(
            **{
                **v,
                "applications": [Application(**a) for a in v["applications"]],
                "credits": [CreditUse(**c) for c in v.get("credits", [])],
            }
        )
        for k, v in raw["payments"].items()
    }
    credit_memos = {
        k: Invoice(**{**v, "lines": [InvoiceLine(**line) for line in v["lines"]]})
        for k, v in raw.get("credit_memos", {}).items()
    }
    return CompanyState(
        company_name=raw["company_name"],
        file_path=raw["file_path"],
        clock=raw["clock"],
        next_id=raw["next_id"],
        next_txn_number=raw["next_txn_number"],
        lists={k: ListElement(**v) for k, v in raw["lists"].items()},
        invoices=invoices,
        payments=payments,
        credit_memos=credit_memos,
    )
