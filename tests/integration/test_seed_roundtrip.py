"""A realistic company written through the ORM and read back: nothing lost, money exact."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from desktop_app.db.models import Customer, Invoice, InvoiceLine, Job, JobLine, ServiceLocation
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.money import line_amount
from desktop_app.services import customers, jobs

CUSTOMERS, JOBS, INVOICES = 50, 200, 400


def _rate(rng: random.Random) -> Decimal:
    # Five-decimal rates and awkward cents are where float storage would drift.
    return Decimal(rng.randint(1, 9_999_999)) / Decimal(100_000) + Decimal(rng.randint(0, 2_000))


def test_seeded_company_reads_back_exactly(db: Database, admin: Actor) -> None:
    rng = random.Random(20240501)
    expected_lines: list[tuple[Decimal, Decimal, Decimal]] = []
    expected_invoice_totals: list[Decimal] = []
    with db.uow(admin) as uow:
        people = []
        for n in range(CUSTOMERS):
            customer = Customer(
                display_name=f"Customer {n:02d}", display_name_key=f"customer {n:02d}", tax_exempt=n % 7 == 0
            )
            customer.locations.append(ServiceLocation(street=f"{n} Main St", city="Springfield"))
            people.append(customer)
        uow.session.add_all(people)
        uow.session.flush()
        job_rows = []
        for n in range(JOBS):
            owner = people[n % CUSTOMERS]
            job = Job(
                number=str(5000 + n),
                name=f"Job {n}",
                customer_id=owner.id,
                location_id=owner.locations[0].id,
                scheduled_start=date(2024, 1, 1) + timedelta(days=n),
            )
            for position in range(rng.randint(1, 4)):
                quantity = Decimal(rng.randint(1, 500_000)) / Decimal(1000)
                rate = _rate(rng)
                amount = line_amount(quantity, rate)
                expected_lines.append((quantity, rate, amount))
                job.lines.append(
                    JobLine(
                        position=position,
                        description=f"Work {position}",
                        quantity=quantity,
                        rate=rate,
                        amount=amount,
                        taxable=position % 2 == 0,
                    )
                )
            job_rows.append(job)
        uow.session.add_all(job_rows)
        uow.session.flush()
        for n in range(INVOICES):
            job = job_rows[n % JOBS]
            subtotal = Decimal(rng.randint(1, 10_000_000)) / Decimal(100)
            tax = (subtotal * Decimal("0.0825")).quantize(Decimal("0.01"))
            invoice = Invoice(
                number=str(90_000 + n),
                customer_id=job.customer_id,
                job_id=job.id,
                invoice_date=date(2024, 2, 1) + timedelta(days=n % 300),
                subtotal=subtotal,
                tax_rate=Decimal("8.2500"),
                tax=tax,
                total=subtotal + tax,
            )
            invoice.lines.append(
                InvoiceLine(
                    description="Billing",
                    quantity=Decimal("1"),
                    rate=subtotal,
                    amount=subtotal,
                    job_id=job.id,
                )
            )
            expected_invoice_totals.append(subtotal + tax)
            uow.session.add(invoice)
        uow.commit()

    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == CUSTOMERS
        assert uow.session.scalar(select(func.count()).select_from(Job)) == JOBS
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == INVOICES
        assert uow.session.scalar(select(func.count()).select_from(JobLine)) == len(expected_lines)
        stored_lines = sorted(
            uow.session.execute(select(JobLine.quantity, JobLine.rate, JobLine.amount)).all()
        )
        assert [tuple(row) for row in stored_lines] == sorted(expected_lines)
        totals = list(uow.session.scalars(select(Invoice.total).order_by(Invoice.number)))
        assert totals == expected_invoice_totals
        assert all(isinstance(value, Decimal) for value in totals)
        assert sum(totals, Decimal("0")) == sum(expected_invoice_totals, Decimal("0"))
        # The services read the same exact numbers: job totals and open balances to the cent.
        page = jobs.list_jobs(uow, limit=JOBS)
        by_number = {row.number: row.total for row in page.rows}
        detail = jobs.get_job(uow, page.rows[0].id)
        assert by_number[detail.number] == detail.totals.total
        balances = customers.open_balances(uow, [c.id for c in customers.list_customers(uow, limit=100).rows])
        assert sum(balances.values(), Decimal("0")) == sum(expected_invoice_totals, Decimal("0"))
