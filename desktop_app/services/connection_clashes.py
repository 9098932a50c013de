"""Invoices of ours whose numbers QuickBooks already uses, all found and renumbered at once.

A company that has used QuickBooks for years holds thousands of invoice numbers; invoices
JobDesk numbered before the connection often land on some of them. QuickBooks would take
both (it allows duplicate RefNumbers), so the sync holds each such invoice with an alert:
one alert at a time, found only when it is sent (BuildOps' invoice-number conflicts).
Here the connection's numbering step lists them all before anything is sent, and the
admin renumbers them in one step, by the numbering rules in force:

* simple numbering: the invoice takes the invoice counter's next free number;
* numbers that follow the job ("match" numbering, progress invoicing): the job takes the
  next free job number (``numbering.renumber_job``), and its invoices follow it; a job with
  an invoice already in QuickBooks keeps its number and the clashing invoice alone takes
  the invoice counter's next number.

Apply the safe start first (``connection_numbering``): the new numbers then lie above
every number QuickBooks uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import Customer, Invoice, Job
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import NumberingMode
from desktop_app.domain.status import InvoiceStatus
from desktop_app.errors import ValidationError
from desktop_app.services import numbering
from desktop_app.services.common import audit, require_admin
from desktop_app.services.connection_numbering import quickbooks_invoice_numbers
from desktop_app.services.numbering_settings import config
from desktop_app.services.qb_links import in_quickbooks_clause


@dataclass(frozen=True)
class InvoiceClash:
    invoice_id: int
    number: str
    customer: str
    job_number: str
    total: Decimal
    status: str


@dataclass(frozen=True)
class Renumbered:
    invoice_id: int
    old_number: str
    new_number: str


@dataclass(frozen=True)
class ClashReport:
    renumbered: tuple[Renumbered, ...]
    summary: str


def invoice_clashes(uow: UnitOfWork) -> tuple[InvoiceClash, ...]:
    """Our invoices not in QuickBooks (and not void) whose number QuickBooks already uses."""
    taken = {number.lower() for number in quickbooks_invoice_numbers(uow)}
    if not taken:
        return ()
    rows = uow.session.execute(
        select(Invoice, Customer.display_name, Job.number)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(Job, Job.id == Invoice.job_id)
        .where(Invoice.status != InvoiceStatus.VOID.value, ~in_quickbooks_clause("invoice", Invoice.id))
        .order_by(Invoice.number)
    )
    return tuple(
        InvoiceClash(
            invoice_id=invoice.id,
            number=invoice.number,
            customer=customer,
            job_number=job_number or "",
            total=invoice.total,
            status=invoice.status,
        )
        for invoice, customer, job_number in rows
        if invoice.number.lower() in taken
    )


def renumber_clashes(uow: UnitOfWork) -> ClashReport:
    """Admin: give every clashing invoice a number QuickBooks does not use (audited)."""
    require_admin(uow, "renumber invoices")
    clashes = invoice_clashes(uow)
    cfg = config(uow)
    follows_job = cfg.progress or cfg.mode is NumberingMode.MATCH
    done: list[Renumbered] = []
    moved_jobs: set[int] = set()
    for clash in clashes:
        invoice = uow.session.get(Invoice, clash.invoice_id)
        if invoice is None or invoice.number != clash.number:
            continue  # renumbered with its job already
        if follows_job and invoice.job_id is not None and invoice.job_id not in moved_jobs:
            moved_jobs.add(invoice.job_id)
            try:
                result = numbering.renumber_job(uow, invoice.job_id, numbering.next_job_number(uow))
            except ValidationError:
                pass  # an invoice of the job is in QuickBooks: this invoice moves on its own
            else:
                done.extend(Renumbered(c.invoice_id, c.old_number, c.new_number) for c in result.invoices)
                uow.session.flush()
                if invoice.number != clash.number:
                    continue
        old = invoice.number
        invoice.number = numbering.next_invoice_number(uow)
        uow.session.flush()
        audit(
            uow,
            "renumber",
            "invoice",
            invoice.id,
            summary=f"Invoice {old} renumbered to {invoice.number}: QuickBooks already uses {old}",
            changes={"number": [old, invoice.number]},
        )
        done.append(Renumbered(invoice.id, old, invoice.number))
    if done:
        shown = ", ".join(f"{r.old_number} → {r.new_number}" for r in done[:10])
        more = " …" if len(done) > 10 else ""
        plural = "s" if len(done) != 1 else ""
        summary = f"Renumbered {len(done)} invoice{plural} whose numbers QuickBooks uses: {shown}{more}"
    else:
        summary = "No invoice of ours uses a number QuickBooks has."
    return ClashReport(renumbered=tuple(done), summary=summary)
