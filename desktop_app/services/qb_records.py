"""JobDesk's copy of an office's QuickBooks lists, and JobDesk records made from it.

The import hands each page it reads to ``remember`` as plain ``QbRecord`` values (the
qbXML stays in the server). Every record is kept in ``qb_list_records`` by kind and
ListID, refreshed when read again, with its ``match_key``; what a JobDesk record would be
created with travels in ``detail``, so a record held back for a person's decision can
be made later without asking QuickBooks again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.connection_models import QuickBooksListRecord
from desktop_app.db.models import Account, Customer, Item, Job, QbLink
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.name_match import match_key
from desktop_app.services.customers import name_key as customer_name_key
from desktop_app.services.qb_links import link_if_free

#: The kinds the import reads (``QuickBooksListRecord.kind``).
KINDS = frozenset(
    {
        "customer",
        "job",
        "vendor",
        "employee",
        "other_name",
        "item",
        "account",
        "terms",
        "payment_method",
        "sales_tax_code",
    }
)
#: QuickBooks names that share one list with customers (a name is used once across them).
NAME_LIST = ("customer", "vendor", "employee", "other_name")
#: QuickBooks item types JobDesk keeps in its own price book, and as which kind.
OUR_ITEM_KIND = {"ItemService": "service", "ItemNonInventory": "material"}
ITEM_TYPE_OF_KIND = {kind: item_type for item_type, kind in OUR_ITEM_KIND.items()}
_CHUNK = 500


@dataclass(frozen=True)
class QbRecord:
    """One QuickBooks list record as the import read it (no qbXML)."""

    kind: str
    list_id: str
    name: str
    full_name: str = ""
    edit_sequence: str = ""
    parent_list_id: str = ""
    #: ItemService, ItemInventory …; an account's AccountType; "" for the rest.
    record_type: str = ""
    active: bool = True
    #: What a JobDesk record would be made with (text values).
    detail: Mapping[str, str] = field(default_factory=dict)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def remember(uow: UnitOfWork, records: Iterable[QbRecord]) -> dict[tuple[str, str], QuickBooksListRecord]:
    """Keep (or refresh) a copy of each record; (kind, ListID) → its row. One read per kind."""
    session = uow.session
    wanted: dict[tuple[str, str], QbRecord] = {}
    for record in records:
        if record.kind in KINDS and record.list_id:
            wanted[(record.kind, record.list_id[:40])] = record
    rows: dict[tuple[str, str], QuickBooksListRecord] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, list_id in wanted:
        by_kind.setdefault(kind, []).append(list_id)
    for kind, ids in by_kind.items():
        for chunk in _chunks(ids):
            query = select(QuickBooksListRecord).where(
                QuickBooksListRecord.kind == kind, QuickBooksListRecord.list_id.in_(chunk)
            )
            rows.update({(row.kind, row.list_id): row for row in session.scalars(query)})
    now = utcnow()
    for key, record in wanted.items():
        row = rows.get(key)
        if row is None:
            row = QuickBooksListRecord(kind=key[0], list_id=key[1])
            session.add(row)
            rows[key] = row
        full_name = record.full_name or record.name
        row.edit_sequence = record.edit_sequence[:20]
        row.name = record.name[:41]
        row.full_name = full_name[:209]
        row.parent_list_id = record.parent_list_id[:40]
        row.record_type = record.record_type[:40]
        row.match_key = match_key(record.name)[:209]
        row.detail = json.dumps(dict(record.detail), sort_keys=True)
        row.active = record.active
        row.seen_at = now
    session.flush()
    return rows


def detail_of(row: QuickBooksListRecord) -> dict[str, str]:
    try:
        loaded = json.loads(row.detail or "{}")
    except ValueError:
        return {}  # a copy we cannot read is a copy without details, not a failed import
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


# -- links ----------------------------------------------------------------------------------------


def link(session: Session, entity_type: str, entity_id: int, row: QuickBooksListRecord) -> bool:
    """Link ours to QuickBooks' record; False (nothing changed) when either is linked already."""
    return link_if_free(
        session, entity_type, entity_id, row.list_id, edit_sequence=row.edit_sequence, qb_name=row.full_name
    )


def linked_ids(session: Session, entity_type: str, qb_ids: Sequence[str]) -> dict[str, int]:
    """QuickBooks ListID → our record linked to it, for one kind, in one read per 500."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(qb_ids)):
        query = select(QbLink.qb_id, QbLink.entity_id).where(
            QbLink.entity_type == entity_type, QbLink.qb_id.in_(chunk)
        )
        found.update({qb_id: entity_id for qb_id, entity_id in session.execute(query)})
    return found


# -- JobDesk records made from QuickBooks' ------------------------------------------------------


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def new_customer(session: Session, row: QuickBooksListRecord) -> Customer | None:
    """QuickBooks' customer as a JobDesk customer (None when ours already has its name)."""
    values = detail_of(row)
    name = row.name[:41]
    key = customer_name_key(name)
    if not key or session.scalar(select(Customer.id).where(Customer.display_name_key == key)) is not None:
        return None
    customer = Customer(
        display_name=name,
        display_name_key=key,
        first_name=values.get("first_name", "")[:25],
        last_name=values.get("last_name", "")[:25],
        company=values.get("company", "")[:41],
        home_phone=values.get("home_phone", "")[:21],
        mobile_phone=values.get("mobile_phone", "")[:21],
        work_phone=values.get("work_phone", "")[:21],
        email=values.get("email", "")[:1023],
        notes=values.get("notes", ""),
        bill_street=values.get("bill_street", "")[:41],
        bill_unit=values.get("bill_unit", "")[:41],
        bill_city=values.get("bill_city", "")[:31],
        bill_state=values.get("bill_state", "")[:21],
        bill_zip=values.get("bill_zip", "")[:13],
        active=row.active,
        tax_exempt=values.get("tax_exempt") == "true",
    )
    session.add(customer)
    return customer


_JOB_STATUS = {"InProgress": "in_progress", "Closed": "finished", "Awarded": "scheduled"}


def new_job(uow: UnitOfWork, row: QuickBooksListRecord, customer_id: int) -> Job:
    from desktop_app.services import numbering

    values = detail_of(row)
    job = Job(
        number=numbering.next_job_number(uow),
        name=row.name[:41],
        customer_id=customer_id,
        status=_JOB_STATUS.get(values.get("job_status", ""), "open"),
        started_on=_date(values.get("start_date")),
        finished_on=_date(values.get("end_date")),
    )
    uow.session.add(job)
    return job


def new_item(session: Session, row: QuickBooksListRecord) -> Item | None:
    """A service or non-inventory item as a price-book item (None for the other types, or
    when the price book already has the name)."""
    kind = OUR_ITEM_KIND.get(row.record_type)
    name = " ".join(row.name.split())[:31]
    key = customer_name_key(name)
    if kind is None or not key:
        return None
    if session.scalar(select(Item.id).where(Item.name_key == key)) is not None:
        return None
    values = detail_of(row)
    account_name = values.get("income_account", "")
    account_id = (
        session.scalar(select(Account.id).where(Account.full_name == account_name)) if account_name else None
    )
    item = Item(
        kind=kind,
        name=name,
        name_key=key,
        unit_price=_decimal(values.get("price")) or Decimal("0"),
        description=values.get("description", ""),
        taxable=values.get("taxable") == "true",
        income_account_id=account_id,
        active=row.active,
    )
    session.add(item)
    return item
