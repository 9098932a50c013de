"""A large company written straight into the tables, for benchmarks (seconds, not minutes).

The services are the only way the app writes data; this module exists because generating
10,000 invoices one service call at a time would make a benchmark mostly about set-up.
It writes the same shapes the services write (totals, applications, statuses) and the
sync queue items the triggers would have queued.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from desktop_app.db.models import (
    Account,
    Customer,
    Invoice,
    InvoiceLine,
    Item,
    Job,
    JobLine,
    Payment,
    PaymentApplication,
    Setting,
)
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Database
from desktop_app.domain.money import line_amount
from desktop_app.domain.totals import compute_totals

TAX = Decimal("8.25")


@dataclass(frozen=True)
class BulkSize:
    customers: int = 2_000
    jobs: int = 5_000
    items: int = 100
    invoices: int = 10_000
    payments: int = 8_000


def generate_bulk(db: Database, size: BulkSize, *, seed: int = 1) -> dict[str, int]:
    """Invoices are two per job (a 40 % progress invoice, then the rest), most paid."""
    rng = random.Random(seed)
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now}
    with db.uow() as uow:
        s = uow.session
        s.add(Account(name="Construction Income", full_name="Construction Income", account_type="Income"))
        s.flush()
        account_id = s.scalar(select(Account.id))
        for key, value in (
            ("accounts.default_income_account_id", str(account_id)),
            ("tax.default_rate", str(TAX)),
            ("tax.item_name", "State Tax"),
            ("numbering.progress", "true"),
        ):
            s.merge(Setting(key=key, value=value))
        s.execute(
            insert(Item),
            [
                {
                    "id": n + 1,
                    "kind": "service" if n % 3 else "material",
                    "name": f"Item {n:04d}",
                    "name_key": f"item {n:04d}",
                    "description": f"Item number {n}",
                    "taxable": n % 3 == 0,
                    "unit_price": Decimal(rng.randint(5, 300)),
                    "income_account_id": account_id,
                    "active": True,
                    "version": 1,
                    **stamp,
                }
                for n in range(size.items)
            ],
        )
        s.execute(
            insert(Customer),
            [
                {
                    "id": n + 1,
                    "display_name": f"Customer {n:05d}",
                    "display_name_key": f"customer {n:05d}",
                    "first_name": "Pat",
                    "last_name": f"Buyer{n}",
                    "company": "",
                    "mobile_phone": "916-555-0100",
                    "home_phone": "",
                    "work_phone": "",
                    "email": f"c{n}@example.com",
                    "notes": "",
                    "bill_street": f"{n} Main St",
                    "bill_unit": "",
                    "bill_city": "Sacramento",
                    "bill_state": "CA",
                    "bill_zip": "95814",
                    "tax_exempt": False,
                    "active": True,
                    "version": 1,
                    **stamp,
                }
                for n in range(size.customers)
            ],
        )
        jobs, job_lines, job_totals = [], [], {}
        for n in range(size.jobs):
            lines = []
            for position in range(rng.randint(1, 3)):
                item = rng.randrange(size.items) + 1
                quantity = Decimal(rng.randint(1, 20))
                rate = Decimal(rng.randint(10, 200))
                lines.append((item, quantity, rate, item % 3 == 1, position))
            finished = date(2026, 1, 1) + timedelta(days=n % 300)
            jobs.append(
                {
                    "id": n + 1,
                    "number": str(10_000 + n),
                    "name": f"Job {n}",
                    "customer_id": n % size.customers + 1,
                    "status": "finished",
                    "started_on": finished,
                    "finished_on": finished,
                    "notes": "",
                    "version": 1,
                    **stamp,
                }
            )
            for item, quantity, rate, taxable, position in lines:
                job_lines.append(
                    {
                        "job_id": n + 1,
                        "item_id": item,
                        "description": f"Item {item - 1:04d}",
                        "quantity": quantity,
                        "rate": rate,
                        "amount": line_amount(quantity, rate),
                        "taxable": taxable,
                        "position": position,
                    }
                )
            totals = compute_totals(((line_amount(q, r), t) for _, q, r, t, _ in lines), TAX)
            job_totals[n + 1] = totals.total
        s.execute(insert(Job), jobs)
        s.execute(insert(JobLine), job_lines)
        invoices, invoice_lines = [], []
        per_job = max(1, size.invoices // size.jobs)
        invoice_id = 0
        for job in jobs:
            total = job_totals[job["id"]]
            shares = [total] if per_job == 1 else [(total * Decimal("0.4")).quantize(Decimal("0.01"))]
            if per_job > 1:
                shares.append(total - shares[0])
            for sequence, amount in enumerate(shares, start=1):
                if invoice_id >= size.invoices:
                    break
                invoice_id += 1
                invoices.append(
                    {
                        "id": invoice_id,
                        "number": f"{job['number']}-{sequence}",
                        "kind": "progress",
                        "customer_id": job["customer_id"],
                        "job_id": job["id"],
                        "job_sequence": sequence,
                        "invoice_date": job["finished_on"],
                        "due_date": job["finished_on"] + timedelta(days=30),
                        "subtotal": amount,
                        "tax_rate": Decimal("0"),
                        "tax": Decimal("0.00"),
                        "total": amount,
                        "deposit_credit": Decimal("0.00"),
                        "status": "open",
                        "issued_at": now,
                        "version": 1,
                        **stamp,
                    }
                )
                invoice_lines.append(
                    {
                        "invoice_id": invoice_id,
                        "job_id": job["id"],
                        "description": f"Progress billing {sequence}",
                        "quantity": Decimal(1),
                        "rate": amount,
                        "amount": amount,
                        "taxable": False,
                        "position": 0,
                    }
                )
        s.execute(insert(Invoice), invoices)
        s.execute(insert(InvoiceLine), invoice_lines)
        payments, applications = [], []
        for n, invoice in enumerate(invoices[: size.payments]):
            payments.append(
                {
                    "id": n + 1,
                    "customer_id": invoice["customer_id"],
                    "received_on": invoice["invoice_date"],
                    "amount": invoice["total"],
                    "method": "check",
                    "reference": str(5000 + n),
                    "memo": "",
                    "origin": "app",
                    "version": 1,
                    **stamp,
                }
            )
            applications.append(
                {"payment_id": n + 1, "invoice_id": invoice["id"], "amount": invoice["total"], **stamp}
            )
            invoice["status"] = "paid"
        s.execute(insert(Payment), payments)
        s.execute(insert(PaymentApplication), applications)
        paid_ids = [i["id"] for i in invoices[: size.payments]]
        from sqlalchemy import update

        for start in range(0, len(paid_ids), 500):
            s.execute(
                update(Invoice).where(Invoice.id.in_(paid_ids[start : start + 500])).values(status="paid")
            )
        uow.commit()
    return {
        "customers": size.customers,
        "jobs": size.jobs,
        "items": size.items,
        "invoices": len(invoices),
        "payments": len(payments),
    }
