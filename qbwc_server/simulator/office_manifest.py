"""What an office's QuickBooks company holds, and how it resembles JobDesk's names.

``office.seed_office`` builds the company and returns an ``OfficeManifest``: its counts,
and one ``Collision`` for every record planted beside a name of JobDesk's, with the
``Reason`` it resembles it. Plain data, so an end-to-end test can check each was decided
as chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a QuickBooks record resembles one of JobDesk's."""

    EXACT = "exact"  # the same name: links automatically
    PUNCTUATION = "punctuation"  # O'Brien, Pavel ~ OBrien, Pavel
    SPACING = "spacing"  # Kim, Hiro ~ Kim,Hiro
    CASE = "case"  # Kim, Hiro ~ KIM, HIRO (QuickBooks refuses ours: names ignore case)
    LAST_FIRST = "last-first"  # Kim, Hiro ~ Hiro Kim
    OTHER_PARENT = "other-parent"  # our job's name, under another customer in QuickBooks
    JOB_NUMBER = "job-number"  # 1010 Panel upgrade ~ 1010 - Panel upgrade, same customer
    ITEM_TYPE = "item-type"  # our item's name on an item of another type
    VENDOR = "vendor"  # our customer's name on a vendor (the shared name list)
    EMPLOYEE = "employee"  # our customer, as an employee (QuickBooks names one First Last)


@dataclass(frozen=True)
class OurNames:
    """What JobDesk already holds, as plain names."""

    customers: tuple[str, ...] = ()
    #: (customer's name, the job's own QuickBooks name such as ``1010 Panel upgrade``)
    jobs: tuple[tuple[str, str], ...] = ()
    #: (item name, ``service`` or ``material``)
    items: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Collision:
    """One planted QuickBooks record and the JobDesk record it resembles."""

    record: str  # "customer", "job" or "item": the kind of JobDesk record
    ours: str  # JobDesk's name; a job as "Customer:Job"
    quickbooks: str  # the planted record's full name
    quickbooks_kind: str  # its list kind: "Customer", "Vendor", "Employee", "ItemService" …
    reason: Reason
    list_id: str

    @property
    def same_name(self) -> bool:
        """QuickBooks would refuse our name as it stands (3100): the names differ at most by case."""
        return self.ours.casefold() == self.quickbooks.casefold()


@dataclass(frozen=True)
class OfficeSize:
    customers: int = 500  # top level, planted ones included
    jobs: int = 300
    items: int = 120  # of four types: service, non-inventory, other charge, inventory
    invoices: int = 2000
    first_invoice_number: int = 1000
    vendors: int = 20
    employees: int = 8
    other_names: int = 4

    @classmethod
    def benchmark(cls) -> OfficeSize:
        """The size the import benchmark reads: 10,000 customers and 20,000 invoice numbers."""
        return cls(customers=10_000, jobs=6_000, invoices=20_000)


@dataclass(frozen=True)
class OfficeManifest:
    """What the company holds, and every planted resemblance to JobDesk's names."""

    customers: int
    inactive_customers: int
    jobs: int
    items: tuple[tuple[str, int], ...]  # (list kind, count), sales-tax items apart
    sales_tax_items: int
    terms: int
    vendors: int
    employees: int
    other_names: int
    payment_methods: int
    invoices: int
    first_invoice_number: int
    last_invoice_number: int
    collisions: tuple[Collision, ...]

    def items_of(self, kind: str) -> int:
        return dict(self.items).get(kind, 0)

    def by_reason(self, reason: Reason) -> tuple[Collision, ...]:
        return tuple(c for c in self.collisions if c.reason is reason)


#: How many of each resemblance are planted (when JobDesk has names to plant them beside).
PLANTED: tuple[tuple[str, Reason, int], ...] = (
    ("customer", Reason.PUNCTUATION, 3),
    ("customer", Reason.LAST_FIRST, 3),
    ("customer", Reason.EMPLOYEE, 2),
    ("customer", Reason.VENDOR, 2),
    ("customer", Reason.CASE, 2),
    ("customer", Reason.SPACING, 2),
    ("customer", Reason.EXACT, 6),
    ("job", Reason.JOB_NUMBER, 2),
    ("job", Reason.OTHER_PARENT, 2),
    ("job", Reason.EXACT, 3),
    ("item", Reason.ITEM_TYPE, 3),
    ("item", Reason.EXACT, 4),
)
