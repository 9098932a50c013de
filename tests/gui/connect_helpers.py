"""An office meeting a QuickBooks company that already holds some of its names and numbers.

Data is made through services and the simulator; the Web Connector is the loopback
session (``run_sync``), as in the other sync GUI tests.
"""

from __future__ import annotations

from decimal import Decimal

from desktop_app.services import customers, sync_queue
from desktop_app.ui.context import AppContext
from qbwc_server import qbxml as q
from qbwc_server.simulator import QuickBooksCompany
from tests.gui.sync_helpers import qb_send

#: Ours, and what QuickBooks calls the same people.
OURS = ("O'Brien, Pavel", "Kim, Hiro", "Smith, Ann", "Brand New Homes")
THEIRS = ("OBrien, Pavel", "Hiro Kim", "Smith, Ann")
#: QuickBooks' invoice numbers: JobDesk's first number (1000) is among them.
QB_NUMBERS = range(1000, 1012)


def office_company() -> QuickBooksCompany:
    """The office's QuickBooks company: three customers, one like each of ours, and 12 invoices."""
    company = QuickBooksCompany()
    qb_send(company, *(q.customer_add(str(n), q.CustomerFields(name=name)) for n, name in enumerate(THEIRS)))
    line = q.InvoiceLineFields(description="Service call", amount=Decimal("125.00"))
    qb_send(
        company,
        *(
            q.invoice_add(
                str(n),
                q.InvoiceFields(customer=q.Ref.by_name("Smith, Ann"), ref_number=str(n), lines=(line,)),
            )
            for n in QB_NUMBERS
        ),
    )
    return company


def our_customers(ctx: AppContext, *, queue: bool = True) -> dict[str, int]:
    """Our customers (queued for QuickBooks unless ``queue`` is False): name → id."""
    made = {
        name: ctx.write(customers.create_customer, customers.CustomerFields(display_name=name)).id
        for name in OURS
    }
    if queue:
        ctx.write(sync_queue.send_records, [("customer", n) for n in made.values()], changes=("sync",))
    return made


def bind(ctx: AppContext, name: str = "Rock Castle Construction") -> None:
    """What the Web Connector's first session with the company open does: bind to it."""
    from qbwc_server.binding import bind_company

    ctx.write(bind_company, name, r"C:\Users\Public\Documents\Intuit\QuickBooks\rock castle.qbw")


def quickbooks_names(company: QuickBooksCompany) -> list[str]:
    return sorted(c.name for c in company.customers)
