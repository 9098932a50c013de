"""Generating a realistic company through the services, so every rule holds in the data.

The same seed gives the same company. ``seed_demo`` is what ``python -m desktop_app
seed-demo`` runs; ``generate_company`` takes exact counts for tests and benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from desktop_app.db.models import Account, Customer, Invoice
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import JobDeskError
from desktop_app.services import customers, invoices, items, jobs, locations, payments, settings
from desktop_app.services.lines import LineInput

DEMO_USER = Actor(name="Demo set-up", role="admin")
START = date(2026, 1, 5)

FIRST = (
    "Ann",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Frank",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kate",
    "Luis",
    "Maya",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yara",
    "Zoe",
)
LAST = (
    "Smith",
    "Garcia",
    "Nguyen",
    "Johnson",
    "Müller",
    "O'Brien",
    "Patel",
    "Kowalski",
    "Rossi",
    "Kim",
    "Brown",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Clark",
)
STREETS = ("Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm St", "Lakeview Dr", "Hillcrest Rd", "Main St")
CITIES = (
    ("Sacramento", "CA", "958"),
    ("Fresno", "CA", "937"),
    ("Reno", "NV", "895"),
    ("Eugene", "OR", "974"),
)
SERVICES = (
    ("Labor - Carpentry", "85"),
    ("Labor - Electrical", "110"),
    ("Labor - Plumbing", "105"),
    ("Labor - Painting", "65"),
    ("Demolition", "75"),
    ("Site Cleanup", "55"),
    ("Design Consultation", "120"),
    ("HVAC Service Call", "149"),
    ("Drywall Install", "70"),
    ("Tile Setting", "90"),
)
MATERIALS = (
    ("Lumber 2x4x8", "6.48"),
    ("Drywall Sheet 4x8", "14.98"),
    ("Paint Gallon", "38.5"),
    ("Copper Pipe 10ft", "32.75"),
    ("Wire 12/2 250ft", "89"),
    ("Tile Box", "42.25"),
    ("Cement Bag", "12.99"),
    ("Outlet GFCI", "21.5"),
    ("Faucet Kitchen", "189"),
    ("Insulation Roll", "54"),
)
JOB_NAMES = (
    "Kitchen remodel",
    "Bath renovation",
    "Deck build",
    "Basement finish",
    "Roof repair",
    "Water heater",
    "Panel upgrade",
    "Fence install",
    "Interior paint",
    "Garage door",
    "Window replacement",
    "Patio",
)


@dataclass(frozen=True)
class CompanySize:
    customers: int = 40
    jobs: int = 60
    items: int = 20
    invoices: int = 80
    payments: int = 50

    def scaled(self, factor: int) -> CompanySize:
        return CompanySize(
            *(n * factor for n in (self.customers, self.jobs, self.items, self.invoices, self.payments))
        )


def seed_demo(db: Database, *, scale: int = 1, seed: int = 1) -> dict[str, int]:
    """Fill an empty database with the demo company (counts multiplied by ``scale``)."""
    return generate_company(db, CompanySize().scaled(scale), seed=seed)


def generate_company(db: Database, size: CompanySize, *, seed: int = 1) -> dict[str, int]:
    with db.reader() as uow:
        if uow.session.scalar(select(func.count()).select_from(Customer)):
            raise JobDeskError("The database already has customers; seed-demo fills only an empty company.")
    rng = random.Random(seed)
    with db.uow(DEMO_USER) as uow:
        _company_settings(uow)
        item_ids = _price_book(uow, rng, size.items)
        customer_ids = _customers(uow, rng, size.customers)
        uow.commit()
    with db.uow(DEMO_USER) as uow:
        job_ids = _jobs(uow, rng, size.jobs, customer_ids, item_ids)
        uow.commit()
    with db.uow(DEMO_USER) as uow:
        invoice_ids = _invoices(uow, rng, size.invoices, job_ids)
        uow.commit()
    with db.uow(DEMO_USER) as uow:
        payment_count = _payments(uow, rng, size.payments, invoice_ids)
        uow.commit()
    return {
        "customers": len(customer_ids),
        "jobs": len(job_ids),
        "items": len(item_ids),
        "invoices": len(invoice_ids),
        "payments": payment_count,
    }


def _company_settings(uow: UnitOfWork) -> None:
    settings.set_setting(uow, "company.name", "Summit Ridge Builders")
    settings.set_setting(uow, "company.address", "1200 Granite Way\nSacramento, CA 95814")
    settings.set_setting(uow, "company.phone", "(916) 555-0142")
    settings.set_setting(uow, "company.email", "office@summitridge.example")
    settings.set_setting(uow, "numbering.progress", True)
    # The practice company (QuickBooks simulator) charges 8.25 % "State Tax" too.
    settings.set_setting(uow, "tax.default_rate", Decimal("8.25"))
    settings.set_setting(uow, "tax.item_name", "State Tax")
    for name in ("Construction Income", "Materials Income"):
        if uow.session.scalar(select(Account.id).where(Account.full_name == name)) is None:
            uow.session.add(Account(name=name, full_name=name, account_type="Income"))
    uow.session.flush()
    default = uow.session.scalar(select(Account.id).where(Account.full_name == "Construction Income"))
    settings.set_setting(uow, "accounts.default_income_account_id", int(default or 0))


def _price_book(uow: UnitOfWork, rng: random.Random, count: int) -> list[int]:
    materials_account = uow.session.scalar(select(Account.id).where(Account.full_name == "Materials Income"))
    ids = []
    used: set[str] = set()
    for n in range(count):
        service = n % 5 < 3
        base_name, price = (SERVICES if service else MATERIALS)[n * 3 % 10]
        name = base_name if base_name not in used else f"{base_name[:24]} #{n}"
        used.add(name)
        detail = items.create_item(
            uow,
            items.ItemFields(
                kind="service" if service else "material",
                name=name[:31],
                description=f"{base_name} (per unit)",
                unit_price=price,
                taxable=not service,
                income_account_id=None if service else materials_account,
            ),
        )
        ids.append(detail.id)
    return ids


def _customers(uow: UnitOfWork, rng: random.Random, count: int) -> list[int]:
    ids = []
    used: set[str] = set()
    for n in range(count):
        first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + n // len(FIRST)) % len(LAST)]
        city, state, zip3 = CITIES[n % len(CITIES)]
        company = f"{last} Properties LLC" if n % 6 == 0 else ""
        street = f"{100 + (n * 37) % 9800} {STREETS[n % len(STREETS)]}"
        display = company or f"{last}, {first}"
        if display in used:
            display = f"{display} ({n})"
        used.add(display)
        detail = customers.create_customer(
            uow,
            customers.CustomerFields(
                first_name=first,
                last_name=last,
                display_name=display[:41],
                company=company,
                mobile_phone=f"(916) 555-{1000 + n % 9000:04d}",
                email=f"{first.lower()}.{n}@example.com",
                bill_street=street,
                bill_city=city,
                bill_state=state,
                bill_zip=f"{zip3}{n % 100:02d}",
                tax_exempt=n % 17 == 0,
            ),
        )
        locations.add_location(
            uow,
            detail.id,
            locations.LocationFields(
                name="Home", street=street, city=city, state=state, zip=f"{zip3}{n % 100:02d}"
            ),
        )
        if n % 4 == 0:
            locations.add_location(
                uow,
                detail.id,
                locations.LocationFields(
                    name="Rental",
                    street=f"{n + 7} {STREETS[(n + 3) % 8]}",
                    city=city,
                    state=state,
                    zip=f"{zip3}{(n + 5) % 100:02d}",
                ),
            )
        ids.append(detail.id)
    return ids


def _jobs(
    uow: UnitOfWork, rng: random.Random, count: int, customer_ids: list[int], item_ids: list[int]
) -> list[int]:
    ids = []
    for n in range(count):
        customer_id = (
            customer_ids[n % len(customer_ids)] if n < len(customer_ids) else rng.choice(customer_ids)
        )
        location = locations.list_locations(uow, customer_id)
        lines = [
            LineInput(quantity=str(rng.randint(1, 40)), item_id=rng.choice(item_ids))
            for _ in range(rng.randint(1, 4))
        ]
        if n % 9 == 0:
            lines.append(
                LineInput(
                    quantity="1", description="Permit fee", rate=str(rng.randint(50, 400)), taxable=False
                )
            )
        start = START + timedelta(days=rng.randint(0, 200))
        job = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer_id,
                name=rng.choice(JOB_NAMES),
                location_id=location[0].id if location else None,
                scheduled_start=start,
                notes="Gate code 1234." if n % 5 == 0 else "",
                lines=tuple(lines),
            ),
        )
        # Most jobs have been worked on; a few are still open or were cancelled.
        roll = n % 10
        version = job.version
        if roll <= 7:
            version = jobs.start_job(uow, job.id, version, on=start).version
            if roll <= 5:
                jobs.finish_job(uow, job.id, version, on=start + timedelta(days=rng.randint(1, 20)))
        elif roll == 8:
            jobs.cancel_job(uow, job.id, version, reason="Customer postponed")
        ids.append(job.id)
    return ids


def _invoices(uow: UnitOfWork, rng: random.Random, target: int, job_ids: list[int]) -> list[int]:
    ids: list[int] = []
    finished = [j for j in job_ids if jobs.get_job(uow, j).status in ("finished", "in_progress")]

    def attempt(
        make: Callable[..., invoices.InvoiceDetail], *args: Any, **kwargs: Any
    ) -> invoices.InvoiceDetail | None:
        """Business rules may refuse an invoice (e.g. past 100 %): the generator skips it."""
        try:
            return make(*args, **kwargs)
        except JobDeskError:
            return None

    by_customer: dict[int, list[int]] = {}
    for index, job_id in enumerate(finished):
        if len(ids) >= target:
            break
        job = jobs.get_job(uow, job_id)
        today = (job.finished_on or job.started_on or START) + timedelta(days=1)
        style = index % 10
        if style <= 6:  # progress billing: 2–7 invoices of one job
            shares = rng.choice(
                (
                    (10, 10, 10, 10, 10, 10, None),
                    (20, 20, 20, 20, None),
                    (15, 15, 15, 15, 15, None),
                    (50, None),
                )
            )
            for share in shares:
                if len(ids) >= target:
                    break
                made = attempt(
                    invoices.create_progress_invoice,
                    uow,
                    job_id,
                    percent=share,
                    amount=None if share is not None else _remaining(uow, job_id),
                    today=today,
                )
                if made:
                    ids.append(made.id)
        elif style in (7, 8):  # deposit, then the main invoice
            deposit = attempt(invoices.create_deposit_invoice, uow, job_id, percent=20, today=today)
            if deposit:
                ids.append(deposit.id)
                invoices.issue_invoice(uow, deposit.id, on=today)
                if job.status == "finished":
                    payments.mark_paid(uow, deposit.id, received_on=today)
            main = attempt(invoices.create_invoice, uow, job_id, today=today)
            if main:
                ids.append(main.id)
        else:  # kept for one invoice over several jobs of the customer
            by_customer.setdefault(job.customer_id, []).append(job_id)
    for customer_id, group in by_customer.items():
        if len(ids) >= target:
            break
        if len(group) >= 2:
            made = attempt(lambda g=group, c=customer_id: invoices.create_multi_job_invoice(uow, c, g))
        else:
            made = attempt(lambda g=group: invoices.create_invoice(uow, g[0]))
        if made:
            ids.append(made.id)
    # Issue most; void a few (and re-invoice one of them), as offices do.
    for n, invoice_id in enumerate(ids):
        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None
        if invoice.issued_at is None and n % 8 != 7:
            invoices.issue_invoice(uow, invoice_id, on=invoice.invoice_date + timedelta(days=1))
    for invoice_id in ids[5::37]:
        detail = invoices.get_invoice(uow, invoice_id)
        if detail.status == "open" and detail.amount_paid == 0 and detail.kind == "progress":
            invoices.void_invoice(uow, invoice_id, reason="Wrong percentage")
            if detail.job_id is not None and len(ids) < target:
                made = attempt(
                    lambda j=detail.job_id: invoices.create_progress_invoice(
                        uow, j, amount=_remaining(uow, j)
                    )
                )
                if made:
                    ids.append(made.id)
    return ids


def _remaining(uow: UnitOfWork, job_id: int) -> Decimal:
    job = uow.session.get(jobs.Job, job_id)
    assert job is not None
    live = [
        i
        for i in invoices.job_invoices(uow, job_id)
        if i.status != "void" and i.kind in ("progress", "deposit")
    ]
    return invoices.job_total(uow, job) - sum((i.total for i in live), Decimal("0.00"))


def _payments(uow: UnitOfWork, rng: random.Random, target: int, invoice_ids: list[int]) -> int:
    count = 0
    methods = ("check", "card", "ach", "cash", "check")
    for n, invoice_id in enumerate(invoice_ids):
        if count >= target:
            break
        detail = invoices.get_invoice(uow, invoice_id)
        if detail.status != "open" or detail.issued_at is None or detail.balance <= 0:
            continue
        when = detail.invoice_date + timedelta(days=rng.randint(3, 40))
        if n % 5 == 4:  # a partial payment
            amount = (detail.balance / 2).quantize(Decimal("0.01"))
            payments.record_payment(
                uow,
                detail.customer_id,
                amount,
                methods[n % 5],
                when,
                reference=f"{1000 + n}",
                applications=[(invoice_id, amount)],
            )
        elif n % 11 == 3:  # money received before it was applied
            payments.record_payment(
                uow, detail.customer_id, detail.balance, methods[n % 5], when, reference=""
            )
        else:
            payments.mark_paid(
                uow, invoice_id, method=methods[n % 5], received_on=when, reference=f"{2000 + n}"
            )
        count += 1
    return count
