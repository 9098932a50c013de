"""Company set-up: what a new QuickBooks file has, and deterministic sample data for imports and demos."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from qbwc_server.simulator.store import ListElement


class SeedableCompany(Protocol):
    """What seeding needs of a company (``company.QuickBooksCompany`` has it).

    A protocol, not an import: the company installs a bare company from here when it is made.
    """

    @property
    def terms(self) -> list[ListElement]: ...

    def find_list(self, kind: str, full_name: str) -> ListElement | None: ...

    def add_list_element(
        self,
        kind: str,
        name: str,
        data: dict[str, str] | None = None,
        *,
        parent: ListElement | None = None,
        is_active: bool = True,
    ) -> ListElement: ...


DEFAULT_TAX_RATE = "8.25"
DEFAULT_TAX_ITEM = "State Tax"

_ACCOUNTS = (
    ("Checking", "Bank"),
    ("Undeposited Funds", "OtherCurrentAsset"),
    ("Accounts Receivable", "AccountsReceivable"),
    ("Sales Tax Payable", "OtherCurrentLiability"),
    ("Construction Income", "Income"),
    ("Materials Income", "Income"),
    ("Job Materials", "CostOfGoodsSold"),
)
#: A new company's payment methods and their PaymentMethodType (the XSD's enumeration).
PAYMENT_METHODS = (
    ("Cash", "Cash"),
    ("Check", "Check"),
    ("Visa", "Visa"),
    ("MasterCard", "MasterCard"),
    ("E-Check", "ECheck"),
)
_FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Ema",
    "Finn",
    "Gus",
    "Hana",
    "Iris",
    "José",
    "Kai",
    "Lena",
    "Miles",
    "Nora",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tomás",
)
_LAST = (
    "Alvarez",
    "Brooks",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "García",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Nguyen",
    "O'Brien",
    "Patel",
    "Quist",
    "Rossi",
    "Smith",
    "Tanaka",
)
_STREETS = ("Oak St", "Maple Ave", "Cedar Ln", "Main St", "River Rd", "Hill Dr", "Lake Blvd", "Pine Ct")
_CITIES = (
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Portland", "OR", "972"),
    ("Raleigh", "NC", "276"),
)
_JOBS = (
    "Kitchen Remodel",
    "Bathroom",
    "Deck",
    "Roof Repair",
    "Basement Finish",
    "Addition",
    "Windows & Doors",
)
_SERVICES = (
    ("Labor", "65.00"),
    ("Demolition", "55.00"),
    ("Framing", "70.00"),
    ("Electrical", "95.00"),
    ("Plumbing", "90.00"),
    ("Painting", "45.00"),
    ("Tile Setting", "75.00"),
    ("Project Management", "85.00"),
)
_MATERIALS = (
    ("Lumber", "4.25"),
    ("Drywall Sheet", "14.98"),
    ("Tile (sq ft)", "3.49"),
    ("Paint (gal)", "38.50"),
    ("Fasteners", "0.12"),
    ("Concrete Bag", "6.79"),
)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    customers: int
    jobs: int
    vendors: int
    items: int


def install_bare(company: SeedableCompany) -> None:
    """What QuickBooks puts in a new company file: accounts, the Tax/Non sales-tax codes,
    terms and payment methods. No sales-tax item: QuickBooks has none until one is made."""
    for name, account_type in _ACCOUNTS:
        company.add_list_element("Account", name, {"AccountType": account_type})
    company.add_list_element("SalesTaxCode", "Tax", {"IsTaxable": "true", "Desc": "Taxable Sales"})
    company.add_list_element("SalesTaxCode", "Non", {"IsTaxable": "false", "Desc": "Non-Taxable Sales"})
    company.add_list_element("StandardTerms", "Due on receipt", {"StdDueDays": "0"})
    company.add_list_element("StandardTerms", "Net 15", {"StdDueDays": "15"})
    company.add_list_element("StandardTerms", "Net 30", {"StdDueDays": "30"})
    company.add_list_element(
        "StandardTerms", "2% 10 Net 30", {"StdDueDays": "30", "StdDiscountDays": "10", "DiscountPct": "2"}
    )
    company.add_list_element("DateDrivenTerms", "Due 15th", {"DayOfMonthDue": "15", "DueNextMonthDays": "5"})
    for method, method_type in PAYMENT_METHODS:
        company.add_list_element("PaymentMethod", method, {"PaymentMethodType": method_type})


def add_sales_tax_item(
    company: SeedableCompany,
    name: str = DEFAULT_TAX_ITEM,
    rate: str = DEFAULT_TAX_RATE,
    *,
    agency: str = "State Board of Equalization",
) -> ListElement:
    """A sales-tax item paid to ``agency`` (a vendor, made if missing), as a user would set one up."""
    vendor = company.find_list("Vendor", agency) or company.add_list_element("Vendor", agency, {})
    return company.add_list_element(
        "ItemSalesTax",
        name,
        {"ItemDesc": f"{name} sales tax", "TaxRate": rate, "TaxVendorRef": vendor.list_id},
    )


def install_defaults(company: SeedableCompany) -> None:
    """A bare company plus the "State Tax" item: the company older tests were written against."""
    install_bare(company)
    add_sales_tax_item(company)


def _by_name(company: SeedableCompany, kind: str, name: str) -> ListElement:
    found = company.find_list(kind, name)
    if found is None:
        raise LookupError(f"{kind} {name!r} is missing; was install_defaults run?")
    return found


def seed_company(
    company: SeedableCompany,
    *,
    customers: int = 40,
    jobs: int = 20,
    vendors: int = 8,
    items: int = 14,
    inactive_every: int = 13,
    seed: int = 1,
) -> SeedSummary:
    """Fill the company with sample lists; the same arguments always give the same company."""
    rng = random.Random(seed)
    income = _by_name(company, "Account", "Construction Income")
    materials = _by_name(company, "Account", "Materials Income")
    tax, non = _by_name(company, "SalesTaxCode", "Tax"), _by_name(company, "SalesTaxCode", "Non")
    terms = [e for e in company.terms if e.kind == "StandardTerms"]
    made: list[ListElement] = []
    used: set[str] = set()
    for index in range(customers):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        name = f"{last}, {first}"
        if name.casefold() in used:
            name = f"{name} {index}"
        used.add(name.casefold())
        city, state, zip_prefix = rng.choice(_CITIES)
        data = {
            "FirstName": first,
            "LastName": last,
            "BillAddress/Addr1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            "BillAddress/City": city,
            "BillAddress/State": state,
            "BillAddress/PostalCode": f"{zip_prefix}{rng.randint(0, 99):02d}",
            "Phone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "Email": f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com",
            "TermsRef": rng.choice(terms).list_id,
            "SalesTaxCodeRef": (non if index % 7 == 0 else tax).list_id,
        }
        is_active = not (inactive_every and index % inactive_every == inactive_every - 1)
        made.append(company.add_list_element("Customer", name, data, is_active=is_active))
    job_count = 0
    for index in range(min(jobs, len(made) * len(_JOBS))):
        parent = made[index % len(made)]
        job_name = _JOBS[(index // len(made)) % len(_JOBS)]
        status = rng.choice(("Pending", "Awarded", "InProgress", "Closed"))
        company.add_list_element(
            "Customer", job_name, {"JobStatus": status, "JobDesc": f"{job_name} job"}, parent=parent
        )
        job_count += 1
    for index in range(vendors):
        company.add_list_element(
            "Vendor", f"{rng.choice(_LAST)} Supply {index + 1}", {"CompanyName": f"Supplier {index + 1}"}
        )
    catalogue = [("ItemService", n, p, income, tax) for n, p in _SERVICES]
    catalogue += [("ItemNonInventory", n, p, materials, tax) for n, p in _MATERIALS]
    for kind, name, price, account, code in catalogue[:items]:
        company.add_list_element(
            kind,
            name,
            {
                "SalesTaxCodeRef": (non if kind == "ItemService" else code).list_id,
                "SalesOrPurchase/Desc": name,
                "SalesOrPurchase/Price": price,
                "SalesOrPurchase/AccountRef": account.list_id,
            },
        )
    return SeedSummary(customers=len(made), jobs=job_count, vendors=vendors, items=min(items, len(catalogue)))
