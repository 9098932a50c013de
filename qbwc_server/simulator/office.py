"""An office's existing QuickBooks company, holding near matches of JobDesk's own names.

``seed_office(company, ours)`` fills a company as an office that has used QuickBooks for
years has it: customers and jobs, a price book of four item types (and a group, a
discount, a subtotal, a sales-tax group), three sales-tax items, six terms, vendors,
employees, other names, payment methods and invoices numbered from 1000. Given the names
JobDesk already holds (plain data: the simulator knows nothing of the app), it plants a
record beside some of them for every kind of resemblance a first connection has to decide
(``Reason``), and returns a manifest listing each one.

Records go straight into the store, not through qbXML (10,000 customers and 20,000
invoices build in seconds), but through the same name index and the same name check a
request meets: nothing is planted that QuickBooks would refuse. Totals are computed as
an InvoiceAdd computes them. The same arguments always give the same company.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from qbwc_server.simulator import lists, txns
from qbwc_server.simulator import office_names as names
from qbwc_server.simulator.company import QuickBooksCompany
from qbwc_server.simulator.core import Core, Refusal
from qbwc_server.simulator.item_sales import item_description, item_price
from qbwc_server.simulator.office_manifest import (
    PLANTED,
    Collision,
    OfficeManifest,
    OfficeSize,
    OurNames,
    Reason,
)
from qbwc_server.simulator.store import Invoice, InvoiceLine, ListElement

__all__ = ["Collision", "OfficeManifest", "OfficeSize", "OurNames", "Reason", "seed_office"]

#: QuickBooks Desktop's longest customer or job name (one level) and item name.
NAME_MAX = 41
ITEM_NAME_MAX = 31
_CENT = Decimal("0.01")


_MAIN_ITEM_KINDS = ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory")
_JOB_STATUSES = ("Pending", "Awarded", "InProgress", "Closed", "NotAwarded")
_EXTRA_TERMS = (("Net 60", {"StdDueDays": "60"}),)
_EXTRA_METHODS = (
    ("American Express", "AmericanExpress"),
    ("Discover", "Discover"),
    ("Debit Card", "DebitCard"),
)
_EXTRA_ACCOUNTS = (
    ("Inventory Asset", "OtherCurrentAsset"),
    ("Cost of Goods Sold", "CostOfGoodsSold"),
    ("Service Income", "Income"),
    ("Other Charges Income", "Income"),
    ("Discounts Given", "Income"),
)
_TAX_ITEMS = (
    ("Sacramento County", "8.75", "CDTFA"),
    ("Placer County", "7.75", "CDTFA"),
    ("Carson City NV", "7.6", "Nevada Dept of Taxation"),
)
_OTHER_NAMES = ("City Permit Office", "County Recorder", "Owner Draw", "Petty Cash")


#: What a new job takes from its customer in QuickBooks (the job can change it afterwards).
_INHERITED = ("BillAddress/", "TermsRef", "SalesTaxCodeRef", "ItemSalesTaxRef")


def _inherited(parent: ListElement) -> dict[str, str]:
    return {path: value for path, value in parent.data.items() if path.startswith(_INHERITED)}


def _preference(name: str, reason: Reason) -> int:
    """0 for a name that shows ``reason`` best (an apostrophe to drop, a firm that also sells)."""
    if reason is Reason.PUNCTUATION:
        return 0 if any(mark in name for mark in "'’&.") else 1
    if reason is Reason.VENDOR:
        return 0 if names.person_of(name) is None else 1
    return 0


def seed_office(
    company: QuickBooksCompany,
    ours: OurNames | None = None,
    size: OfficeSize | None = None,
    *,
    seed: int = 1,
) -> OfficeManifest:
    """Fill ``company`` (a new one: QuickBooks' accounts, codes, terms, methods) as an office's.

    ``ours``: JobDesk's names to plant near matches of (none by default); ``size``: the
    issue's office (500 customers …) by default, ``OfficeSize.benchmark()`` for the benchmark.
    """
    office = _Office(company.core, ours or OurNames(), size or OfficeSize(), random.Random(seed))
    return office.build()


class _Office:
    def __init__(self, core: Core, ours: OurNames, size: OfficeSize, rng: random.Random) -> None:
        self.core, self.ours, self.size, self.rng = core, ours, size, rng
        self.collisions: list[Collision] = []
        # Keys of every name of ours: the office's own names never come near one of them.
        self.our_keys = {names.match_key(n) for n in ours.customers}
        self.our_keys |= {names.match_key(job) for _, job in ours.jobs}
        self.our_keys |= {names.match_key(item) for item, _ in ours.items}
        self.used_customers: set[str] = set()  # ours, already planted beside
        self.exact_parents: dict[str, ListElement] = {}
        self.planted_jobs: set[tuple[str, str]] = set()  # (our customer, our job)
        self.customers: list[ListElement] = []  # the office's own top-level customers
        self.jobs: list[ListElement] = []
        self.sellable: list[ListElement] = []

    # -- the whole company ------------------------------------------------------------------

    def build(self) -> OfficeManifest:
        self._setup_lists()
        self._plant_customers()
        self._plant_jobs((Reason.JOB_NUMBER, Reason.EXACT))
        self._plant_items()
        self._own_people()
        self._own_customers()
        # A job under another parent goes under one of the office's own customers.
        self._plant_jobs((Reason.OTHER_PARENT,))
        self._own_jobs()
        self._own_items()
        self._invoices()
        return self._manifest()

    def add(
        self,
        kind: str,
        name: str,
        data: dict[str, str],
        *,
        parent: ListElement | None = None,
        active: bool = True,
    ) -> ListElement:
        parent_id = None if parent is None else parent.list_id
        self.core.check_name_free(kind, name, parent_id)
        return lists.new_element(self.core, kind, name, data, parent_id=parent_id, is_active=active)

    def named(self, kind: str, name: str) -> ListElement:
        found = self.core.find({kind}, full_name=name)
        if found is None:
            raise LookupError(f"{kind} {name!r} is missing: seed_office wants a new company")
        return found

    def _ensure(self, kind: str, name: str, data: dict[str, str]) -> ListElement:
        return self.core.find({kind}, full_name=name) or self.add(kind, name, data)

    def _setup_lists(self) -> None:
        for name, account_type in _EXTRA_ACCOUNTS:
            self._ensure("Account", name, {"AccountType": account_type})
        for name, data in _EXTRA_TERMS:
            self._ensure("StandardTerms", name, dict(data))
        for name, method_type in _EXTRA_METHODS:
            self._ensure("PaymentMethod", name, {"PaymentMethodType": method_type})
        self.tax, self.non = self.named("SalesTaxCode", "Tax"), self.named("SalesTaxCode", "Non")
        self.terms = [e for e in self.core.elements({"StandardTerms", "DateDrivenTerms"}) if e.is_active]
        self.tax_items = []
        for name, rate, agency in _TAX_ITEMS:
            vendor = self._ensure("Vendor", agency, {"IsTaxAgency": "true", "CompanyName": agency})
            self.tax_items.append(
                self._ensure(
                    "ItemSalesTax",
                    name,
                    {"ItemDesc": f"{name} sales tax", "TaxRate": rate, "TaxVendorRef": vendor.list_id},
                )
            )

    # -- what resembles JobDesk's names -------------------------------------------------------

    def _count(self, record: str, reason: Reason) -> int:
        return next(n for r, why, n in PLANTED if (r, why) == (record, reason))

    def _plant(
        self,
        record: str,
        ours: str,
        kind: str,
        name: str,
        data: dict[str, str],
        reason: Reason,
        *,
        parent: ListElement | None = None,
    ) -> ListElement | None:
        """A planted record, or None when QuickBooks would refuse it (the name is taken)."""
        try:
            element = self.add(kind, name, data, parent=parent)
        except Refusal:
            return None
        self.collisions.append(
            Collision(record, ours, self.core.full_name(element), kind, reason, element.list_id)
        )
        return element

    def _plant_customers(self) -> None:
        shuffled = sorted(set(self.ours.customers))
        self.rng.shuffle(shuffled)
        for record, reason, wanted in PLANTED:
            if record != "customer":
                continue
            planted = 0
            # The names that show a resemblance best go first (a stable sort keeps the shuffle).
            for ours in sorted(shuffled, key=partial(_preference, reason=reason)):
                if planted == wanted:
                    break
                if ours not in self.used_customers and self._plant_customer(ours, reason):
                    self.used_customers.add(ours)
                    planted += 1

    def _plant_customer(self, ours: str, reason: Reason) -> bool:
        if reason is Reason.VENDOR:
            data = {"CompanyName": ours} if names.person_of(ours) is None else {}
            return self._plant("customer", ours, "Vendor", ours, data, reason) is not None
        if reason is Reason.EMPLOYEE:
            person = names.person_of(ours)
            if person is None:
                return False
            first, last = person
            # QuickBooks Desktop names an employee from the person's names (EmployeeAdd has no
            # Name for QBD), first name first.
            data = {"FirstName": first, "LastName": last}
            return self._plant("customer", ours, "Employee", f"{first} {last}", data, reason) is not None
        variant = {
            Reason.EXACT: ours,
            Reason.PUNCTUATION: names.punctuation_variant(ours),
            Reason.SPACING: names.spacing_variant(ours),
            Reason.CASE: names.case_variant(ours),
            Reason.LAST_FIRST: names.first_last_variant(ours),
        }[reason]
        if variant is None or len(variant) > NAME_MAX:
            return False
        element = self._plant("customer", ours, "Customer", variant, self._customer_data(variant), reason)
        if element is not None and reason is Reason.EXACT:
            self.exact_parents[ours] = element
        return element is not None

    def _parent_exact(self, ours: str) -> ListElement | None:
        """Our customer in QuickBooks under the same name (planted now if it is free to be)."""
        if ours in self.exact_parents:
            return self.exact_parents[ours]
        if ours in self.used_customers or not self._plant_customer(ours, Reason.EXACT):
            return None
        self.used_customers.add(ours)
        return self.exact_parents[ours]

    def _plant_jobs(self, reasons: tuple[Reason, ...]) -> None:
        candidates = sorted(set(self.ours.jobs))
        self.rng.shuffle(candidates)
        taken = self.planted_jobs
        for reason in reasons:
            planted = 0
            for customer, job in candidates:
                if planted == self._count("job", reason):
                    break
                if (customer, job) in taken or len(job) > NAME_MAX:
                    continue
                if reason is Reason.OTHER_PARENT:
                    if customer in self.used_customers:
                        continue  # one resemblance at a time: this customer has one already
                    parent: ListElement | None = self._office_customer()
                    name: str | None = job
                else:
                    name = job if reason is Reason.EXACT else names.job_number_variant(job)
                    parent = None if name is None else self._parent_exact(customer)
                if name is None or parent is None:
                    continue
                data = {**_inherited(parent), "JobStatus": "InProgress", "JobDesc": name}
                if self._plant("job", f"{customer}:{job}", "Customer", name, data, reason, parent=parent):
                    taken.add((customer, job))
                    planted += 1

    def _plant_items(self) -> None:
        candidates = sorted(set(self.ours.items))
        self.rng.shuffle(candidates)
        used: set[str] = set()
        for reason in (Reason.ITEM_TYPE, Reason.EXACT):
            planted = 0
            for name, our_kind in candidates:
                if planted == self._count("item", reason) or name in used or len(name) > ITEM_NAME_MAX:
                    continue
                same = "ItemService" if our_kind == "service" else "ItemNonInventory"
                if reason is Reason.EXACT:
                    kind = same
                elif our_kind == "service":
                    kind = ("ItemNonInventory", "ItemOtherCharge")[planted % 2]
                else:
                    kind = ("ItemInventory", "ItemService")[planted % 2]
                if self._plant("item", name, kind, name, self._item_data(kind, name), reason):
                    used.add(name)
                    planted += 1

    # -- the office's own records -------------------------------------------------------------

    def _fresh(self, kind: str, candidates: Iterable[str], limit: int = NAME_MAX) -> Iterator[str]:
        """Top-level names from ``candidates`` that come near none of ours, fit QuickBooks and
        are free in ``kind``'s name space when they are handed out."""
        for name in candidates:
            if (
                len(name) <= limit
                and names.match_key(name) not in self.our_keys
                and self.core.names.holder(kind, None, name) is None
            ):
                yield name

    def _customer_data(self, name: str, *, firm: bool = False) -> dict[str, str]:
        rng = self.rng
        city, state, zip3 = rng.choice(names.CITIES)
        person = None if firm else names.person_of(name)
        data = {"CompanyName": name} if person is None else {"FirstName": person[0], "LastName": person[1]}
        data.update(
            {
                "BillAddress/Addr1": f"{rng.randint(10, 9999)} {rng.choice(names.STREETS)}",
                "BillAddress/City": city,
                "BillAddress/State": state,
                "BillAddress/PostalCode": f"{zip3}{rng.randint(0, 99):02d}",
                "Phone": f"530-555-{rng.randint(1000, 9999)}",
                "TermsRef": rng.choice(self.terms).list_id,
                "SalesTaxCodeRef": (self.non if rng.random() < 0.1 else self.tax).list_id,
                "ItemSalesTaxRef": rng.choice(self.tax_items).list_id,
            }
        )
        return data

    def _own_people(self) -> None:
        people = names.people()
        vendors = self._fresh("Vendor", (f"{s} {w}" for s in names.LAST for w in names.VENDOR_WORDS))
        have = len(self.core.elements({"Vendor"}))
        for index, name in zip(range(max(0, self.size.vendors - have)), vendors, strict=False):
            self.add("Vendor", name, {"CompanyName": name}, active=index % 15 != 14)
        wanted = self.size.employees - len(self.core.elements({"Employee"}))
        for first, last in people:
            if wanted <= 0:
                break
            name = f"{first} {last}"
            if next(self._fresh("Employee", (name,)), None) is not None:
                self.add("Employee", name, {"FirstName": first, "LastName": last})
                wanted -= 1
        for name in list(self._fresh("OtherName", _OTHER_NAMES))[: self.size.other_names]:
            self.add("OtherName", name, {})

    def _own_customers(self) -> None:
        have = len([e for e in self.core.elements({"Customer"}) if e.parent_id is None])
        wanted = max(0, self.size.customers - have)
        first, last = list(names.FIRST), list(names.LAST)
        self.rng.shuffle(first)
        self.rng.shuffle(last)
        people = (f"{surname}, {given}" for given, surname in names.people(tuple(first), tuple(last)))
        firms = names.numbered(tuple(f"{s} {w}" for w in names.COMPANY_WORDS for s in last))
        people_names, firm_names = self._fresh("Customer", people), self._fresh("Customer", firms)
        for index in range(wanted):
            firm = index % 6 == 5
            name = next(firm_names) if firm else next(people_names)
            active = index % 25 != 24
            element = self.add("Customer", name, self._customer_data(name, firm=firm), active=active)
            self.customers.append(element)

    def _office_customer(self) -> ListElement:
        """An office customer (made now if none is yet), active."""
        active = [c for c in self.customers if c.is_active]
        if not active:
            name = next(self._fresh("Customer", (f"{s}, {f}" for f, s in names.people())))
            self.customers.append(self.add("Customer", name, self._customer_data(name)))
            return self.customers[-1]
        return self.rng.choice(active)

    def _own_jobs(self) -> None:
        have = len([e for e in self.core.elements({"Customer"}) if e.parent_id is not None])
        parents = [c for c in self.customers if c.is_active]
        if not parents:
            return
        per_parent: dict[str, int] = {}
        for _ in range(max(0, self.size.jobs - have)):
            parent = self.rng.choice(parents)
            while per_parent.get(parent.list_id, 0) >= len(names.JOB_WORDS):
                parent = self.rng.choice(parents)
            taken = per_parent.get(parent.list_id, 0)
            per_parent[parent.list_id] = taken + 1
            name = names.JOB_WORDS[taken]
            data = {**_inherited(parent), "JobStatus": self.rng.choice(_JOB_STATUSES)}
            data["JobDesc"] = f"{name} for {parent.name}"
            self.jobs.append(self.add("Customer", name, data, parent=parent))

    def _item_data(self, kind: str, name: str) -> dict[str, str]:
        price = Decimal(self.rng.randint(150, 25000)) / 100
        income = self.named("Account", "Service Income" if kind == "ItemService" else "Materials Income")
        if kind == "ItemInventory":
            return {
                "SalesTaxCodeRef": self.tax.list_id,
                "SalesDesc": name,
                "SalesPrice": f"{price:.2f}",
                "IncomeAccountRef": income.list_id,
                "PurchaseDesc": name,
                "PurchaseCost": f"{price * Decimal('0.6'):.2f}",
                "COGSAccountRef": self.named("Account", "Cost of Goods Sold").list_id,
                "AssetAccountRef": self.named("Account", "Inventory Asset").list_id,
                "QuantityOnHand": str(self.rng.randint(0, 80)),
            }
        if kind == "ItemOtherCharge":
            income = self.named("Account", "Other Charges Income")
        return {
            "SalesTaxCodeRef": (self.non if kind in ("ItemService", "ItemOtherCharge") else self.tax).list_id,
            "SalesOrPurchase/Desc": name,
            "SalesOrPurchase/Price": f"{price:.2f}",
            "SalesOrPurchase/AccountRef": income.list_id,
        }

    def _own_items(self) -> None:
        total = self.size.items
        quota = {
            "ItemService": total * 3 // 8,
            "ItemNonInventory": total // 3,
            "ItemOtherCharge": total // 6,
        }
        quota["ItemInventory"] = total - sum(quota.values())
        pools = {
            "ItemService": names.SERVICES,
            "ItemNonInventory": names.MATERIALS,
            "ItemOtherCharge": names.CHARGES,
            "ItemInventory": names.STOCK,
        }
        for kind in _MAIN_ITEM_KINDS:
            have = len(self.core.elements({kind}))
            fresh = self._fresh(kind, names.numbered(pools[kind]), ITEM_NAME_MAX)
            for index in range(max(0, quota[kind] - have)):
                name = next(fresh)
                self.add(kind, name, self._item_data(kind, name), active=index % 20 != 19)
        self.sellable = [e for e in self.core.elements(_MAIN_ITEM_KINDS) if e.is_active]
        self._extra_items()

    def _extra_items(self) -> None:
        """One item of each other type the import must read: a group, a discount, a subtotal,
        a sales-tax group."""
        extras = ("Subtotal", "Loyalty Discount", "Rough-in Kit", "Sacramento Combined")
        wanted = dict.fromkeys(extras, False) | dict.fromkeys(self._fresh("ItemGroup", extras), True)
        if wanted["Subtotal"]:
            self.add("ItemSubtotal", "Subtotal", {"ItemDesc": "Subtotal"})
        if wanted["Loyalty Discount"]:
            account = self.named("Account", "Discounts Given")
            data = {"ItemDesc": "Loyal customer discount", "SalesTaxCodeRef": self.non.list_id}
            data |= {"DiscountRatePercent": "5", "AccountRef": account.list_id}
            self.add("ItemDiscount", "Loyalty Discount", data)
        materials = [e for e in self.sellable if e.kind == "ItemNonInventory"][:2]
        if wanted["Rough-in Kit"] and materials:
            data = {"ItemDesc": "Bath rough-in kit", "IsPrintItemsInGroup": "false"}
            for number, item in enumerate(materials):
                data[f"ItemGroupLine.{number}/ItemRef"] = item.list_id
                data[f"ItemGroupLine.{number}/Quantity"] = str(number + 2)
            self.add("ItemGroup", "Rough-in Kit", data)
        if wanted["Sacramento Combined"]:
            data = {"ItemDesc": "County and district"}
            for number, item in enumerate(self.tax_items[:2]):
                data[f"ItemSalesTaxRef.{number}"] = item.list_id
            self.add("ItemSalesTaxGroup", "Sacramento Combined", data)

    # -- invoices --------------------------------------------------------------------------

    def _invoices(self) -> None:
        billed = [e for e in self.core.elements({"Customer"}) if e.is_active]
        if not billed or not self.sellable or not self.size.invoices:
            return
        today = self.core.today()
        span = 730  # two years of invoices before today, oldest first
        for index in range(self.size.invoices):
            number = self.size.first_invoice_number + index
            customer = self.rng.choice(billed)
            txn_date = today - timedelta(days=span - span * index // self.size.invoices)
            self._invoice(str(number), customer, txn_date)

    def _invoice(self, ref_number: str, customer: ListElement, txn_date: date) -> Invoice:
        core = self.core
        lines = []
        for item in self.rng.sample(self.sellable, self.rng.randint(1, 3)):
            price = item_price(item) or Decimal("0")
            quantity = Decimal(self.rng.randint(1, 12))
            core.state.next_id += 1
            lines.append(
                InvoiceLine(
                    txn_line_id=f"{core.state.next_id:X}-{core.stamp()}",
                    item_id=item.list_id,
                    description=item_description(item),
                    quantity=quantity,
                    rate=price,
                    amount=(quantity * price).quantize(_CENT, rounding=ROUND_HALF_UP),
                    tax_code_id=item.data.get("SalesTaxCodeRef"),
                )
            )
        now = core.tick()
        txn_id, txn_number = core.new_txn_id()
        invoice = Invoice(
            txn_id=txn_id,
            txn_number=txn_number,
            edit_sequence=core.stamp(),
            time_created=now,
            time_modified=now,
            customer_id=customer.list_id,
            txn_date=txn_date,
            ref_number=ref_number,
            data={"TermsRef": customer.data["TermsRef"]} if "TermsRef" in customer.data else {},
            lines=lines,
            sales_tax_item_id=customer.data.get("ItemSalesTaxRef"),
        )
        txns.compute_totals(core, invoice)
        core.state.invoices[txn_id] = invoice
        return invoice

    # -- what was made -----------------------------------------------------------------------

    def _manifest(self) -> OfficeManifest:
        core = self.core
        customers = core.elements({"Customer"})
        top = [c for c in customers if c.parent_id is None]
        item_kinds = sorted(
            {e.kind for e in core.elements(lists.QUERY_KINDS["ItemQueryRq"])} - {"ItemSalesTax"}
        )
        numbers = sorted(int(i.ref_number or 0) for i in core.state.invoices.values())
        return OfficeManifest(
            customers=len(top),
            inactive_customers=sum(not c.is_active for c in top),
            jobs=len(customers) - len(top),
            items=tuple((kind, len(core.elements({kind}))) for kind in item_kinds),
            sales_tax_items=len(core.elements({"ItemSalesTax"})),
            terms=len(core.elements({"StandardTerms", "DateDrivenTerms"})),
            vendors=len(core.elements({"Vendor"})),
            employees=len(core.elements({"Employee"})),
            other_names=len(core.elements({"OtherName"})),
            payment_methods=len(core.elements({"PaymentMethod"})),
            invoices=len(core.state.invoices),
            first_invoice_number=numbers[0] if numbers else 0,
            last_invoice_number=numbers[-1] if numbers else 0,
            collisions=tuple(self.collisions),
        )
