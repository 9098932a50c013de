"""Loading a page of queue items' records, and their links, in a few queries.

Planning a batch looks at each item's record, its lines and the QuickBooks links of
everything it refers to. Done one lookup at a time that is dozens of queries per
request; here it is a handful per page of items, and the rest is found in the session's
identity map and the link cache.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from desktop_app.db.models import Customer, Invoice, Item, Job, Payment, QbLink, TaxRate, Terms
from desktop_app.db.sync_models import SyncItem
from qbwc_server import mapping as m

MODELS = {
    "customer": Customer,
    "job": Job,
    "item": Item,
    "invoice": Invoice,
    "payment": Payment,
    "terms": Terms,
    "tax_item": TaxRate,
}


def prefetch(session: Session, items: Sequence[SyncItem]) -> None:
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.entity_id is not None and item.entity_type in MODELS:
            wanted[item.entity_type].add(item.entity_id)
    _load(session, wanted)
    # What those records refer to: their customers, jobs, items, terms and invoices.
    refs: dict[str, set[int]] = defaultdict(set)
    for invoice_id in wanted.get("invoice", ()):
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        refs["customer"].add(invoice.customer_id)
        if invoice.job_id is not None:
            refs["job"].add(invoice.job_id)
        if invoice.terms_id is not None:
            refs["terms"].add(invoice.terms_id)
        refs["item"].update(line.item_id for line in invoice.lines if line.item_id is not None)
    for job_id in wanted.get("job", ()):
        job = session.get(Job, job_id)
        if job is not None:
            refs["customer"].add(job.customer_id)
    for payment_id in wanted.get("payment", ()):
        payment = session.get(Payment, payment_id)
        if payment is not None:
            refs["customer"].add(payment.customer_id)
            refs["invoice"].update(a.invoice_id for a in payment.applications)
    # A payment's invoices are needed for their links and customers, not their lines.
    _load(session, {kind: ids for kind, ids in refs.items() if kind != "invoice"})
    _load(session, {"invoice": refs.get("invoice", set())}, children=False)
    # A payment names its invoices' customer or job.
    for invoice_id in refs.get("invoice", set()) - wanted.get("invoice", set()):
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and invoice.job_id is not None:
            refs["job"].add(invoice.job_id)
    _load(session, {"job": refs.get("job", set())})
    for job_id in list(refs.get("job", ())):
        job = session.get(Job, job_id)
        if job is not None:
            refs["customer"].add(job.customer_id)
    _load(session, {"customer": refs.get("customer", set())})
    for kind, ids in refs.items():
        wanted[kind] |= ids
    _links(session, wanted.items())


def prefetch_answered(session: Session, items: Sequence[SyncItem]) -> None:
    """What applying answers mostly reads: each item's own link, and invoices' totals."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.entity_id is not None and item.entity_type in MODELS:
            wanted[item.entity_type].add(item.entity_id)
    _load(session, {"invoice": wanted.get("invoice", set())}, children=False)
    _links(session, wanted.items())


def _load(session: Session, wanted: dict[str, set[int]], *, children: bool = True) -> None:
    for kind, ids in wanted.items():
        model = MODELS[kind]
        missing = [i for i in ids if session.identity_map.get(session.identity_key(model, i)) is None]
        if not missing:
            continue
        query = select(model).where(getattr(model, "id").in_(missing))  # noqa: B009 - every model here has an id
        # Requests never carry when a record was created or last edited.
        stamps = (getattr(model, "created_at"), getattr(model, "updated_at"))  # noqa: B009 - all are Timestamped
        query = query.options(*(defer(column) for column in stamps))
        if not children:
            pass
        elif model is Invoice:
            query = query.options(selectinload(Invoice.lines))
        elif model is Payment:
            query = query.options(selectinload(Payment.applications))
        # The identity map holds records weakly: keep them alive for the planning transaction.
        session.info.setdefault("jobdesk_prefetched", []).extend(session.scalars(query))


def _links(session: Session, wanted: Iterable[tuple[str, set[int]]]) -> None:
    cache = session.info.setdefault(m.LINK_CACHE, {})
    for kind, ids in wanted:
        unknown = [i for i in ids if (kind, i) not in cache]
        for start in range(0, len(unknown), 500):
            chunk = unknown[start : start + 500]
            found = {
                link.entity_id: link
                for link in session.scalars(
                    select(QbLink).where(QbLink.entity_type == kind, QbLink.entity_id.in_(chunk))
                )
            }
            for record_id in chunk:
                cache[(kind, record_id)] = found.get(record_id)
