"""From QuickBooks to the app: the first-run import and the payment pull.

Imports use iterators where QuickBooks allows them (not AccountQuery or
StandardTermsQuery) and keep the iterator on the queue item, so a session that ends half
way resumes; QuickBooks forgets iterators between sessions (3391), and the import then
restarts from the top — harmless, because every record is matched by name and linked,
never duplicated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import Account, Invoice, Payment, QbLink, Setting, Terms
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, UnitOfWork
from desktop_app.services import qb_matching, tax_rates
from desktop_app.services.numbers_in_use import record_quickbooks_ref_numbers
from desktop_app.services.qb_links import link_if_free
from desktop_app.services.queue_states import MOVING, QueueState, finish, requeue
from desktop_app.services.sync_center import FIRST_RUN_IMPORTS
from desktop_app.services.sync_queue import cancel_pending, enqueue_in
from qbwc_server import qbxml as q
from qbwc_server.qbxml.build import ListQueryTag
from qbwc_server.sync import import_records
from qbwc_server.sync.built import Built

PAGE = 100
QUICKBOOKS = Actor(name="QuickBooks sync", role="admin")
#: import action → (query, accepts an iterator)
IMPORTS: dict[str, tuple[q.build.ListQueryTag | str, bool]] = {
    "import_accounts": ("AccountQueryRq", False),
    "import_terms": ("StandardTermsQueryRq", False),
    "import_payment_methods": ("PaymentMethodQueryRq", False),
    "import_sales_tax_codes": ("SalesTaxCodeQueryRq", False),
    "import_items": ("ItemQueryRq", True),
    "import_vendors": ("VendorQueryRq", True),
    "import_employees": ("EmployeeQueryRq", False),
    "import_other_names": ("OtherNameQueryRq", False),
    "import_customers": ("CustomerQueryRq", True),
    "import_invoice_numbers": ("InvoiceQueryRq", True),
    "pull_payments": ("ReceivePaymentQueryRq", True),
    # Queued by earlier versions (and by Settings for the sales-tax items alone).
    "import_sales_tax": ("ItemSalesTaxQueryRq", True),
    "import_items_service": ("ItemServiceQueryRq", True),
    "import_items_noninventory": ("ItemNonInventoryQueryRq", True),
}
#: Lists read for their names only: a customer of ours may not take one of them.
NAMES_ONLY = {"import_vendors": "vendor", "import_employees": "employee", "import_other_names": "other_name"}
NAME_ELEMENTS = ("ListID", "EditSequence", "Name", "IsActive")
#: Invoice numbers are small records: more of them per page.
NUMBERS_PAGE = 500
#: The first-run import (defined once, with the screen that starts it).
FIRST_RUN = FIRST_RUN_IMPORTS


def has_invoices_in_quickbooks(session: Session) -> bool:
    return session.scalar(select(QbLink.id).where(QbLink.entity_type == "invoice").limit(1)) is not None


def queue_payment_pull(session: Session) -> None:
    """Pull payments entered in QuickBooks, if any invoice of ours is there to receive them
    and no pull is on its way already (a message planned ahead may hold one: ``ahead``)."""
    if has_invoices_in_quickbooks(session) and session.scalar(_PULL_ON_ITS_WAY) is None:
        # One waiting for a person (QuickBooks kept leaving it unanswered) stays so: taking it
        # out here would send it again in every session, and in this one for ever.
        enqueue_in(session, "import", None, "pull_payments", reset_attention=False)


_PULL_ON_ITS_WAY = (
    select(SyncItem.id)
    .where(
        SyncItem.entity_type == "import",
        SyncItem.action == "pull_payments",
        SyncItem.state == QueueState.SENT,
    )
    .limit(1)
)


def _setting(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    return row.value if row else ""


def _put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def build_import(session: Session, item: SyncItem, request_id: str) -> Built:
    tag, iterates = IMPORTS[item.action]
    iterator: Literal["Start", "Continue"] | None = None
    if iterates:
        iterator = "Continue" if item.iterator_id else "Start"
    if item.action == "pull_payments":
        since_text = _setting(session, "sync.last_payment_pull")
        since = datetime.fromisoformat(since_text) if since_text else datetime(2000, 1, 1, tzinfo=UTC)
        element = q.txn_query(
            "ReceivePaymentQueryRq",
            request_id,
            max_returned=None if item.iterator_id else PAGE,
            from_modified=None if item.iterator_id else since - timedelta(minutes=5),
            include_line_items=True,
            iterator=iterator,
            iterator_id=item.iterator_id or None,
        )
        if item.iterator_id:
            element = q.txn_query(
                "ReceivePaymentQueryRq",
                request_id,
                max_returned=PAGE,
                iterator="Continue",
                iterator_id=item.iterator_id,
            )
        return Built("pull", element)
    if item.action == "import_invoice_numbers":
        # Only the numbers: JobDesk must never hand out one QuickBooks already uses.
        element = q.txn_query(
            "InvoiceQueryRq",
            request_id,
            max_returned=NUMBERS_PAGE,
            include_line_items=False,
            include_ret=("TxnID", "RefNumber"),
            iterator=iterator,
            iterator_id=item.iterator_id or None,
        )
        return Built("import", element)
    include_ret = NAME_ELEMENTS if item.action in NAMES_ONLY else ()
    if iterates:
        element = q.list_query(
            cast("ListQueryTag", tag),
            request_id,
            max_returned=PAGE,
            iterator=iterator,
            iterator_id=item.iterator_id or None,
            active_status=None if item.iterator_id else "All",
            include_ret=include_ret,
        )
    else:
        element = q.list_query(
            cast("ListQueryTag", tag), request_id, active_status="All", include_ret=include_ret
        )
    return Built("import", element)


def apply_import(session: Session, item: SyncItem, result: q.Result) -> None:
    status = result.status
    uow = UnitOfWork.joining(session, QUICKBOOKS)
    if item.action == "import_invoice_numbers":
        record_quickbooks_ref_numbers(uow, [r.ref_number or "" for r in result.records])
    else:
        _PAGE_HANDLERS[item.action](uow, result.records)
    remaining = status.iterator_remaining_count or 0
    if item.action == "pull_payments":
        last_page = not (status.iterator_id and remaining > 0)
        _advance_pull_mark(session, result, first_page=not item.iterator_id, last_page=last_page)
    if status.iterator_id and remaining > 0:
        item.iterator_id = status.iterator_id
        requeue(item, item.phase, f"{remaining:,} more to read from QuickBooks.")
        return
    item.iterator_id = ""
    if item.action == "pull_payments":
        # When it was done, in our clock: the next pull is due ``sync.payment_pull_minutes`` later.
        _put_setting(session, "sync.payment_pull_done_at", now().isoformat())
    elif not session.scalar(
        select(SyncItem.id).where(
            SyncItem.entity_type == "import",
            SyncItem.action.in_(FIRST_RUN),
            SyncItem.state.in_(MOVING),
            SyncItem.id != item.id,
        )
    ):
        _put_setting(session, "sync.import_done", "true")
    finish(item, "Imported from QuickBooks.")


def now() -> datetime:
    """Our clock (one place, so that a test can move it with QuickBooks')."""
    return datetime.now(UTC)


def _advance_pull_mark(session: Session, result: q.Result, *, first_page: bool, last_page: bool) -> None:
    """The next pull starts from the newest change QuickBooks showed, in QuickBooks' own clock
    (the QuickBooks PC's clock may differ from ours), less how long this pull took.

    A pull that finds nothing leaves the mark where it was, and the next one asks again from
    there. The mark moves only once the last page is read: QuickBooks does not send the pages
    in order of change, so a pull read again from the top (QuickBooks forgot where it was, a
    person's Retry) must start from where the last whole pull ended, not from the newest
    change of a page already read. And a pull's iterator holds only the payments there when
    it started, while a page read later shows changes made since: a payment entered meanwhile
    is in no page, and a mark at the newest change would pass it. Taking off the pull's length
    (in our clock: only a difference of it is used) brings the mark back to about when the
    pull started in QuickBooks' clock; the next pull's few minutes of overlap cover the time
    QuickBooks took to answer the first page."""
    if first_page:
        _put_setting(session, "sync.payment_pull_started", now().isoformat())
        _put_setting(session, "sync.payment_pull_reading", "")
    newest = _stamp(_setting(session, "sync.payment_pull_reading"))
    for record in result.records:
        stamp = _stamp(record.get("TimeModified") or "")
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
    if not last_page:
        if newest is not None:
            _put_setting(session, "sync.payment_pull_reading", newest.isoformat())
        return
    _put_setting(session, "sync.payment_pull_reading", "")
    started = _stamp(_setting(session, "sync.payment_pull_started"))
    if newest is None:
        return
    if started is not None:
        took = now() - started
        if took < timedelta(0):
            return  # our clock was set back meanwhile: how long it took is not known
        newest -= took
    current = _stamp(_setting(session, "sync.last_payment_pull"))
    if current is None or newest > current:
        _put_setting(session, "sync.last_payment_pull", newest.isoformat())


def _stamp(text: str) -> datetime | None:
    """A time QuickBooks or the settings hold (naive ones are UTC); None when unreadable."""
    try:
        stamp = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


# -- matching and linking ------------------------------------------------------------------------


def _link(session: Session, entity_type: str, entity_id: int, record: q.Record) -> None:
    qb_id = record.list_id or record.txn_id
    if not qb_id:
        return  # a record QuickBooks sent without its id cannot be linked; it is skipped
    # Either side already linked (to another record) stays as it is.
    link_if_free(
        session,
        entity_type,
        entity_id,
        qb_id,
        edit_sequence=record.edit_sequence or "",
        qb_name=record.full_name or "",
    )


def _linked_id(session: Session, entity_type: str, qb_id: str | None) -> int | None:
    if not qb_id:
        return None
    return session.scalar(
        select(QbLink.entity_id).where(QbLink.entity_type == entity_type, QbLink.qb_id == qb_id)
    )


def _import_account(uow: UnitOfWork, record: q.Record) -> None:
    session = uow.session
    full_name = record.full_name or ""
    account = session.scalar(select(Account).where(Account.full_name == full_name))
    if account is None:
        account = Account(
            name=(record.name or full_name)[:41],
            full_name=full_name[:159],
            account_type=record.get("AccountType") or "",
            active=record.is_active is not False,
        )
        session.add(account)
        session.flush()
    _link(session, "account", account.id, record)


def _import_terms(uow: UnitOfWork, record: q.Record) -> None:
    session = uow.session
    name = (record.name or "")[:31]
    terms = session.scalar(select(Terms).where(Terms.name == name))
    if terms is None:
        days = int(record.get("StdDueDays") or 0)
        terms = Terms(name=name, kind="net_days" if days else "upon_receipt", net_days=days or None)
        session.add(terms)
        session.flush()
    _link(session, "terms", terms.id, record)


def _import_sales_tax(uow: UnitOfWork, record: q.Record) -> None:
    session = uow.session
    if not record.name:
        return
    # Every QuickBooks sales-tax item is a rate invoices may name (matched by name).
    tax = tax_rates.record_quickbooks_item(session, record.name, record.decimal("TaxRate"))
    _link(session, "tax_item", tax.id, record)
    if not _setting(session, "tax.item_name"):
        _put_setting(session, "tax.item_name", record.name)
        rate = record.decimal("TaxRate")
        if rate is not None and not _setting(session, "tax.default_rate"):
            _put_setting(session, "tax.default_rate", str(rate))


def _import_page(kind: str) -> Callable[[UnitOfWork, Sequence[q.Record]], None]:
    """A page of one list: kept, then matched with ours (``services.qb_matching``)."""

    def handler(uow: UnitOfWork, found: Sequence[q.Record]) -> None:
        if kind == "item":
            for record in found:
                if record.kind == "ItemSalesTaxRet":
                    _import_sales_tax(uow, record)  # a rate invoices may name
        qb_matching.import_page(uow, import_records.records(kind, found))

    return handler


def _import_and_keep(
    kind: str, each: Callable[[UnitOfWork, q.Record], None]
) -> Callable[[UnitOfWork, Sequence[q.Record]], None]:
    """Accounts, terms and sales-tax items: made as JobDesk records as before, and kept."""

    def handler(uow: UnitOfWork, found: Sequence[q.Record]) -> None:
        for record in found:
            each(uow, record)
        qb_matching.import_page(uow, import_records.records(kind, found))

    return handler


def _linked_ids(session: Session, entity_type: str, qb_ids: list[str]) -> set[str]:
    """Of these QuickBooks ids, those linked to a record of ours (500 a query)."""
    linked: set[str] = set()
    for start in range(0, len(qb_ids), 500):
        linked.update(
            session.scalars(
                select(QbLink.qb_id).where(
                    QbLink.entity_type == entity_type, QbLink.qb_id.in_(qb_ids[start : start + 500])
                )
            )
        )
    return linked


def _pull_payments(uow: UnitOfWork, found: Sequence[q.Record]) -> None:
    """A page of QuickBooks' payments: those not linked to one of ours yet are pulled. Most
    are ours (sent by JobDesk) or pulled before: that is asked for the page in one query."""
    known = _linked_ids(uow.session, "payment", [r.txn_id for r in found if r.txn_id])
    for record in found:
        if record.txn_id in known:
            continue  # pulled before, or sent by us
        _pull_payment(uow, record)
        if record.txn_id:
            known.add(record.txn_id)  # the same payment twice in a page is pulled once


def _pull_payment(uow: UnitOfWork, record: q.Record) -> None:
    """A payment entered in QuickBooks against our invoices, not linked to one of ours
    (``_pull_payments``): record and apply it here, once."""
    from desktop_app.services import invoices, payments

    session = uow.session
    if "[JobDesk P" in (record.get("Memo") or ""):
        return  # ours, sent before its link was stored; the queue's lookup links it
    applications: list[tuple[int, object]] = []
    customer_id: int | None = None
    for line in record.lines("AppliedToTxnRet"):
        invoice_id = _linked_id(session, "invoice", line.txn_id)
        amount = line.decimal("Amount")
        if invoice_id is None or amount is None:
            continue
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status == "void":
            continue
        customer_id = invoice.customer_id
        applications.append((invoice_id, min(amount, invoices.balance_of(uow, invoice))))
    applications = [(i, a) for i, a in applications if isinstance(a, Decimal) and a > 0]
    total = record.total_amount
    if customer_id is None or total is None or total <= 0 or record.txn_id is None:
        return  # not for any invoice of ours: stays QuickBooks' business
    detail = payments.record_payment(
        uow,
        customer_id,
        total,
        "other",
        record.date("TxnDate") or datetime.now(UTC).date(),
        reference=(record.ref_number or "")[:20],
        memo=f"Entered in QuickBooks. {record.get('Memo') or ''}".strip(),
        applications=applications,
    )
    payment = session.get(Payment, detail.id)
    assert payment is not None
    payment.origin = "quickbooks"
    _link(session, "payment", payment.id, record)
    session.flush()
    cancel_pending(uow, "payment", payment.id)


_PAGE_HANDLERS: dict[str, Callable[[UnitOfWork, Sequence[q.Record]], None]] = {
    "pull_payments": _pull_payments,
    "import_accounts": _import_and_keep("account", _import_account),
    "import_terms": _import_and_keep("terms", _import_terms),
    "import_sales_tax": _import_page("item"),
    "import_payment_methods": _import_page("payment_method"),
    "import_sales_tax_codes": _import_page("sales_tax_code"),
    "import_items": _import_page("item"),
    "import_items_service": _import_page("item"),
    "import_items_noninventory": _import_page("item"),
    "import_vendors": _import_page("vendor"),
    "import_employees": _import_page("employee"),
    "import_other_names": _import_page("other_name"),
    "import_customers": _import_page("customer"),
}
