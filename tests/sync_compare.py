"""Record-for-record, cent-for-cent comparison of a JobDesk company with the QuickBooks simulator."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Customer, Invoice, Item, Job, Payment, QbLink
from desktop_app.db.uow import Database
from desktop_app.services.invoices import balance_of
from qbwc_server.mapping import job_qb_name
from qbwc_server.simulator import QuickBooksCompany


def differences(db: Database, qb: QuickBooksCompany) -> list[str]:
    """Every way the two companies disagree, in words (empty when they match)."""
    problems: list[str] = []
    lists = {e.list_id: e for e in qb.customers + qb.items}
    qb_invoices = {i.txn_id: i for i in qb.invoices}
    qb_payments = {p.txn_id: p for p in qb.payments}
    with db.reader() as uow:
        s = uow.session
        links = {(link.entity_type, link.entity_id): link.qb_id for link in s.scalars(select(QbLink))}

        def linked(kind: str, record_id: int, label: str) -> str | None:
            qb_id = links.get((kind, record_id))
            if qb_id is None:
                problems.append(f"{label} is not in QuickBooks")
            return qb_id

        for customer in s.scalars(select(Customer)):
            qb_id = links.get(("customer", customer.id))
            if qb_id is not None and lists[qb_id].name != customer.display_name:
                problems.append(
                    f"customer {customer.display_name} is named {lists[qb_id].name} in QuickBooks"
                )
        for job in s.scalars(select(Job)):
            qb_id = linked("job", job.id, f"job {job.number}")
            if qb_id is None:
                continue
            element = lists[qb_id]
            if element.name != job_qb_name(job) or element.parent_id != links.get(
                ("customer", job.customer_id)
            ):
                problems.append(f"job {job.number} differs in QuickBooks ({element.name})")
        for item in s.scalars(select(Item)):
            qb_id = links.get(("item", item.id))
            if qb_id is not None and lists[qb_id].name != item.name:
                problems.append(f"item {item.name} is named {lists[qb_id].name} in QuickBooks")
        ours = 0
        for invoice in s.scalars(select(Invoice)):
            qb_id = links.get(("invoice", invoice.id))
            if invoice.status == "void":
                if qb_id is not None and not qb_invoices[qb_id].is_void:
                    problems.append(f"invoice {invoice.number} is void here but not in QuickBooks")
                if qb_id is not None:
                    ours += 1
                continue
            qb_id = linked("invoice", invoice.id, f"invoice {invoice.number}")
            if qb_id is None:
                continue
            ours += 1
            theirs = qb_invoices[qb_id]
            total = invoice.total - invoice.deposit_credit
            balance = balance_of(uow, invoice)
            if theirs.ref_number != invoice.number:
                problems.append(f"invoice {invoice.number} is numbered {theirs.ref_number} in QuickBooks")
            if theirs.total != total or qb.invoice_balance(theirs) != balance:
                problems.append(
                    f"invoice {invoice.number}: ours {total}/{balance}, QuickBooks {theirs.total}/"
                    f"{qb.invoice_balance(theirs)}"
                )
        if ours != len(qb.invoices):
            problems.append(f"QuickBooks has {len(qb.invoices)} invoices, we linked {ours}")
        problems += _credit_differences(s, links, qb)
        paid = 0
        for payment in s.scalars(select(Payment).where(Payment.deleted_at.is_(None))):
            qb_id = linked("payment", payment.id, f"payment {payment.id}")
            if qb_id is None:
                continue
            paid += 1
            theirs_p = qb_payments[qb_id]
            applied_here = sorted(
                (links.get(("invoice", a.invoice_id)) or "?", a.amount) for a in payment.applications
            )
            applied_there = sorted((a.invoice_id, a.amount) for a in theirs_p.applications)
            if theirs_p.total != payment.amount or applied_here != applied_there:
                problems.append(f"payment {payment.id} differs: {applied_here} vs {applied_there}")
        # A credit's $0.00 payment only carries out its application (``_credit_differences``).
        money_payments = [p for p in qb.payments if not (p.credits and p.total == 0)]
        if paid != len(money_payments):
            problems.append(f"QuickBooks has {len(money_payments)} payments, we have {paid}")
        money_here = sum(
            (i.total - i.deposit_credit for i in s.scalars(select(Invoice)) if i.status != "void"),
            Decimal("0.00"),
        )
    money_there = sum((i.total for i in qb.invoices if not i.is_void), Decimal("0.00"))
    if money_here != money_there:
        problems.append(f"invoiced money differs: ours {money_here}, QuickBooks {money_there}")
    return problems


def _credit_differences(s: Session, links: dict[tuple[str, int], str], qb: QuickBooksCompany) -> list[str]:
    """Credit memos (total, void) and where each is applied, against QuickBooks."""
    problems: list[str] = []
    linked = {qb_id for (kind, _id), qb_id in links.items() if kind == "credit_memo"}
    if linked != set(qb.state.credit_memos):
        problems.append(f"QuickBooks has {len(qb.state.credit_memos)} credit memos, we linked {len(linked)}")
    for credit in s.scalars(select(CreditMemo)):
        qb_id = links.get(("credit_memo", credit.id))
        theirs = qb.state.credit_memos.get(qb_id or "")
        label = f"credit memo {credit.number}"
        if credit.status == "void":
            if theirs is not None and not theirs.is_void:
                problems.append(f"{label} is void here but not in QuickBooks")
            continue
        if theirs is None:
            problems.append(f"{label} is not in QuickBooks")
            continue
        if theirs.total != credit.total:
            problems.append(f"{label}: ours {credit.total}, QuickBooks {theirs.total}")
        here = sorted((links.get(("invoice", a.invoice_id)) or "?", a.amount) for a in credit.applications)
        there = sorted(
            (use.invoice_id, use.amount)
            for payment in qb.payments
            for use in payment.credits
            if use.credit_id == qb_id
        )
        if here != there:
            problems.append(f"{label} is applied {here} here, {there} in QuickBooks")
    return problems
