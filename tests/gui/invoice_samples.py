"""Invoices to print, built without a database: the layout is tested on exactly these."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from desktop_app.domain.status import InvoiceKind, InvoiceStatus
from desktop_app.services.invoice_details import InvoiceDetail, InvoiceLineDetail
from desktop_app.services.invoice_print import AppliedPayment, JobShare, PrintableInvoice, Sender

D = Decimal

SENDER = Sender(
    name="Summit Ridge Builders",
    address_lines=("1200 Granite Way", "Suite 4", "Sacramento, CA 95814"),
    phone="(916) 555-0142",
    email="office@summitridge.example",
    logo_path="",
)

DESCRIPTIONS = (
    "Demolition",
    "Framing labor: interior partition walls, headers over the two new doorways, blocking for cabinets",
    "Drywall",
    "Electrical rough-in",
    "Paint, two coats, walls and ceiling (owner-selected colors)",
)


def lines(count: int) -> tuple[InvoiceLineDetail, ...]:
    made = []
    for n in range(count):
        quantity = D(n % 7 + 1)
        rate = D("85.00") + D(n * 13) + D("0.50") * (n % 2)
        made.append(
            InvoiceLineDetail(
                id=n + 1,
                position=n,
                job_id=1,
                item_id=None,
                description=f"{DESCRIPTIONS[n % len(DESCRIPTIONS)]} ({n + 1})",
                quantity=quantity,
                rate=rate,
                amount=quantity * rate,
                taxable=n % 3 != 0,
            )
        )
    return tuple(made)


def invoice(count: int = 4, **changes: object) -> PrintableInvoice:
    body = lines(count)
    subtotal = sum((line.amount for line in body), D("0.00"))
    tax = D("41.25")
    total = subtotal + tax
    detail = InvoiceDetail(
        id=7,
        version=1,
        number="1042",
        kind=InvoiceKind.STANDARD,
        status=InvoiceStatus.OPEN,
        customer_id=3,
        customer_name="Kim, Hiro",
        job_id=1,
        job_number="1007",
        job_sequence=None,
        percent=None,
        invoice_date=date(2026, 3, 2),
        service_date=date(2026, 2, 27),
        terms_id=1,
        due_date=date(2026, 4, 1),
        bill_name="Kim, Hiro",
        bill_address=("359 Main St", "Apt 2", "Eugene", "OR", "97407"),
        memo="",
        customer_notes="Thank you for choosing us for your kitchen. The warranty covers labor for one year.",
        attachments=(),
        allowed_payment_methods=(),
        subtotal=subtotal,
        tax_rate=D("8.25"),
        tax=tax,
        total=total,
        deposit_credit=D("500.00"),
        credited_to_invoice_id=None,
        amount_paid=D("250.00"),
        balance=total - D("750.00"),
        issued_at=None,
        sent_at=None,
        voided_at=None,
        void_reason="",
        in_quickbooks=False,
        lines=body,
    )
    printable = PrintableInvoice(
        invoice=detail,
        sender=SENDER,
        terms_name="Net 30",
        job_name="Kitchen remodel",
        service_address=("Lake house", "18 Shore Rd", "Eugene, OR 97405"),
        payments=(AppliedPayment(date(2026, 3, 10), "Check", "2040", D("250.00")),),
        share=None,
    )
    return replace(printable, **changes)  # type: ignore[arg-type]


def progress_invoice() -> PrintableInvoice:
    base = invoice(1)
    amount = D("2264.40")
    line = InvoiceLineDetail(
        1, 0, 1, None, "Progress billing 40% of job 1007 – Kitchen remodel", D(1), amount, amount, False
    )
    detail = replace(
        base.invoice,
        number="1007-2",
        kind=InvoiceKind.PROGRESS,
        percent=D("40"),
        lines=(line,),
        subtotal=amount,
        tax=D("0.00"),
        tax_rate=D("0"),
        total=amount,
        deposit_credit=D("0.00"),
        amount_paid=D("0.00"),
        balance=amount,
        customer_notes="",
    )
    share = JobShare(
        percent=D("40"),
        job_total=D("5661.00"),
        previously_invoiced=D("1132.20"),
        this_invoice=amount,
        remaining=D("2264.40"),
    )
    return replace(base, invoice=detail, share=share, payments=())
