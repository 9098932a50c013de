"""Sync test data through services and the loopback session (no ORM in the GUI tests)."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.services import (
    accounts,
    credit_applications,
    credit_memos,
    customers,
    invoices,
    items,
    jobs,
    sync_queue,
)
from desktop_app.services.lines import LineInput
from desktop_app.ui.context import AppContext
from qbwc_server import qbxml as q
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync.engine import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.gui.helpers import make_customer, make_job


def sync_with_alert(ctx: AppContext) -> QuickBooksCompany:
    """A job and its invoice sent to a simulated QuickBooks; the invoice's line item has no
    income account, so QuickBooks' side leaves one alert (edit / retry / dismiss)."""
    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(sync_queue.send_records, [("invoice", invoice.id)])
    company = QuickBooksCompany()
    for _ in range(6):  # a session may only queue a dependency; the next poll sends it
        run_session(SyncEngine(ctx.db), company)
        if not SyncEngine(ctx.db).has_work():
            break
    return company


def run_sync(ctx: AppContext, company: QuickBooksCompany) -> None:
    """Poll like the Web Connector until JobDesk has nothing left to send."""
    for _ in range(6):  # a session may only queue a dependency; the next poll sends it
        run_session(SyncEngine(ctx.db), company)
        if not SyncEngine(ctx.db).has_work():
            break


def qb_send(company: QuickBooksCompany, *requests: q.Request) -> None:
    """Someone working in QuickBooks directly (not through JobDesk)."""
    q.parse_response(company.process(q.build_message(list(requests))))


def company_with_income(ctx: AppContext) -> QuickBooksCompany:
    """A simulated QuickBooks whose "Construction Income" is JobDesk's default income account."""
    company = QuickBooksCompany()
    income = next(a for a in company.accounts if a.name == "Construction Income")
    ctx.write(
        accounts.upsert_accounts_from_quickbooks,
        [accounts.QuickBooksAccount(list_id=income.list_id, full_name=income.name, account_type="Income")],
    )
    account = next(a for a in ctx.read(accounts.list_accounts) if a.full_name == "Construction Income")
    ctx.write(accounts.set_default_income_account, account.id)
    return company


def sync_with_number_conflict(ctx: AppContext, *, same_invoice: bool = False) -> QuickBooksCompany:
    """Our invoice 1000 meets an invoice 1000 already in QuickBooks: a number-conflict alert.

    ``same_invoice``: QuickBooks' 1000 is for the same job and amount, so Link is offered too;
    otherwise it belongs to someone else (Renumber / Send anyway).
    """
    company = company_with_income(ctx)
    labor_in_qb = q.ItemFields(name="Labor", income_account=q.Ref.by_name("Construction Income"))
    qb_send(company, q.item_add("l", labor_in_qb))
    customer = ctx.write(
        customers.create_customer,
        customers.CustomerFields(display_name="Smith, Ann", first_name="Ann", last_name="Smith"),
    )
    labor = ctx.write(items.create_item, items.ItemFields(name="Labor", unit_price="85"))
    job = ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer.id, name="Kitchen", lines=(LineInput(quantity="10", item_id=labor.id),)
        ),
    )
    started = ctx.write(jobs.start_job, job.id, job.version)
    ctx.write(jobs.finish_job, job.id, started.version)
    if same_invoice:
        ctx.write(sync_queue.send_records, [("customer", customer.id)])
        run_sync(ctx, company)
        theirs, amount = "Smith, Ann:1000 Kitchen", "850.00"
    else:
        theirs, amount = "Walk-in, Sam", "99.00"
        qb_send(company, q.customer_add("c", q.CustomerFields(name=theirs)))
    line = q.InvoiceLineFields(item=q.Ref.by_name("Labor"), amount=Decimal(amount))
    qb_send(
        company,
        q.invoice_add("i", q.InvoiceFields(customer=q.Ref.by_name(theirs), ref_number="1000", lines=(line,))),
    )
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(invoices.issue_invoice, invoice.id)
    ctx.write(sync_queue.send_records, [("invoice", invoice.id)])
    run_sync(ctx, company)
    return company


def sync_links_only_change(ctx: AppContext) -> QuickBooksCompany:
    """A credit memo of $80.00, $50.00 of it applied to an invoice, synced to a QuickBooks that
    applies credits with links only; then $20.00 unapplied here, which the SDK cannot change
    there: one "by_hand" alert (Done in QuickBooks / Retry / Dismiss)."""
    company = company_with_income(ctx)
    company.credit_links_only = True
    customer = ctx.write(customers.create_customer, customers.CustomerFields(display_name="Lopez, Ana"))
    labor = ctx.write(items.create_item, items.ItemFields(name="Labor", unit_price="85"))
    job = ctx.write(
        jobs.create_job,
        jobs.JobFields(
            customer_id=customer.id, name="Bath", lines=(LineInput(quantity="10", item_id=labor.id),)
        ),
    )
    started = ctx.write(jobs.start_job, job.id, job.version)
    ctx.write(jobs.finish_job, job.id, started.version)
    invoice = ctx.write(invoices.create_invoice, job.id)
    ctx.write(invoices.issue_invoice, invoice.id)
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer.id,
            job_id=job.id,
            reason="warranty",
            lines=(LineInput(quantity="1", item_id=labor.id, rate="80.00"),),
        ),
    )
    ctx.write(credit_applications.apply_credit, credit.id, [(invoice.id, "50.00")])
    ctx.write(sync_queue.send_records, [("invoice", invoice.id), ("credit_memo", credit.id)])
    run_sync(ctx, company)
    ctx.write(credit_applications.unapply_credit, credit.id, invoice.id, "20.00")
    run_sync(ctx, company)
    return company
