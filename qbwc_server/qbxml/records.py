"""Builder inputs: small frozen dataclasses, one per QuickBooks record.

Conventions shared by every builder:

* ``None`` means "do not send the element". On a Mod that leaves QuickBooks' value
  as it is; an empty string on a Mod clears the value.
* ``Ref`` points at a list element by ListID when known, else by FullName.
* Money is ``Decimal``; dates are ``datetime.date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a list element; ``list_id`` wins over ``full_name`` when both are set."""

    list_id: str | None = None
    full_name: str | None = None

    def __post_init__(self) -> None:
        if not self.list_id and not self.full_name:
            raise ValueError("a Ref needs a list_id or a full_name")

    @classmethod
    def by_id(cls, list_id: str) -> Ref:
        return cls(list_id=list_id)

    @classmethod
    def by_name(cls, full_name: str) -> Ref:
        return cls(full_name=full_name)


@dataclass(frozen=True, slots=True)
class Address:
    addr1: str | None = None
    addr2: str | None = None
    addr3: str | None = None
    addr4: str | None = None
    addr5: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    note: str | None = None


class JobStatus(StrEnum):
    AWARDED = "Awarded"
    CLOSED = "Closed"
    IN_PROGRESS = "InProgress"
    NONE = "None"
    NOT_AWARDED = "NotAwarded"
    PENDING = "Pending"


@dataclass(frozen=True, slots=True)
class CustomerFields:
    """A customer, or a job when ``parent`` is set (QuickBooks calls jobs sub-customers)."""

    name: str
    parent: Ref | None = None
    is_active: bool | None = None
    company_name: str | None = None
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    bill_address: Address | None = None
    ship_address: Address | None = None
    phone: str | None = None
    mobile: str | None = None
    alt_phone: str | None = None
    fax: str | None = None
    email: str | None = None
    contact: str | None = None
    terms: Ref | None = None
    sales_tax_code: Ref | None = None  # "Tax" / "Non"
    item_sales_tax: Ref | None = None
    resale_number: str | None = None
    account_number: str | None = None
    job_status: JobStatus | None = None
    job_start_date: date | None = None
    job_projected_end: date | None = None
    job_end_date: date | None = None
    job_desc: str | None = None
    notes: str | None = None


class ItemKind(StrEnum):
    SERVICE = "ItemService"
    NON_INVENTORY = "ItemNonInventory"


@dataclass(frozen=True, slots=True)
class ItemFields:
    """A service or non-inventory item, sold only (QuickBooks' SalesOrPurchase form).

    ``income_account`` is required by QuickBooks on an Add.
    """

    name: str
    kind: ItemKind = ItemKind.SERVICE
    parent: Ref | None = None
    is_active: bool | None = None
    description: str | None = None
    price: Decimal | None = None
    income_account: Ref | None = None
    sales_tax_code: Ref | None = None
    manufacturer_part_number: str | None = None  # non-inventory only


@dataclass(frozen=True, slots=True)
class StandardTermsFields:
    name: str
    due_days: int | None = None
    discount_days: int | None = None
    discount_pct: Decimal | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class SalesTaxItemFields:
    """A sales-tax item: the rate QuickBooks charges on taxable lines (8.25 means 8.25 %)."""

    name: str
    rate: Decimal
    description: str | None = None
    tax_vendor: Ref | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLineFields:
    """One invoice line. ``txn_line_id`` matters on a Mod only: None adds a new line."""

    item: Ref | None = None
    description: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None
    sales_tax_code: Ref | None = None  # "Tax" / "Non"
    service_date: date | None = None
    txn_line_id: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceFields:
    customer: Ref
    txn_date: date | None = None
    ref_number: str | None = None
    ar_account: Ref | None = None
    template: Ref | None = None
    bill_address: Address | None = None
    ship_address: Address | None = None
    po_number: str | None = None
    terms: Ref | None = None
    due_date: date | None = None
    item_sales_tax: Ref | None = None
    memo: str | None = None
    is_to_be_printed: bool | None = None
    is_to_be_emailed: bool | None = None
    customer_sales_tax_code: Ref | None = None
    lines: tuple[InvoiceLineFields, ...] = ()


@dataclass(frozen=True, slots=True)
class AppliedPayment:
    txn_id: str
    payment_amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentFields:
    """A received payment. ``applications`` empty and ``is_auto_apply`` False leaves it unapplied."""

    customer: Ref
    txn_date: date | None = None
    ref_number: str | None = None
    total_amount: Decimal | None = None
    payment_method: Ref | None = None
    memo: str | None = None
    deposit_to_account: Ref | None = None
    ar_account: Ref | None = None
    applications: tuple[AppliedPayment, ...] = field(default=())
    is_auto_apply: bool = False


@dataclass(frozen=True, slots=True)
class CreditMemoFields:
    """A credit memo for a customer or job (``customer`` is its Customer:Job).

    Its lines have the elements of invoice lines (a CreditMemoLineAdd carries ItemRef, Desc,
    Quantity, Rate, Amount, ServiceDate, SalesTaxCodeRef in the same order), so they are
    ``InvoiceLineFields``; ``txn_line_id`` matters on a Mod only (None: a new line, TxnLineID -1).
    """

    customer: Ref
    txn_date: date | None = None
    ref_number: str | None = None
    ar_account: Ref | None = None
    item_sales_tax: Ref | None = None
    memo: str | None = None
    is_to_be_printed: bool | None = None
    customer_sales_tax_code: Ref | None = None
    lines: tuple[InvoiceLineFields, ...] = ()


@dataclass(frozen=True, slots=True)
class AppliedCredit:
    """Part of a credit memo (by its TxnID) set against one invoice."""

    credit_txn_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CreditToInvoice:
    """The credits set against one invoice (by its TxnID) in a credit-applying payment."""

    invoice_txn_id: str
    credits: tuple[AppliedCredit, ...]


@dataclass(frozen=True, slots=True)
class CreditApplicationFields:
    """Applying credit memos to invoices, QuickBooks Desktop's way: a ReceivePayment of $0.00.

    ``customer`` must be the invoices' and the credits' Customer:Job.
    """

    customer: Ref
    applications: tuple[CreditToInvoice, ...]
    txn_date: date | None = None
    ar_account: Ref | None = None
    memo: str | None = None
