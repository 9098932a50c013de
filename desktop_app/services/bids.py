"""Bids (estimates): priced lines for a customer; an accepted bid becomes a job."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from desktop_app.db.models import Bid, BidLine, Counter, Customer
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import BID_TRANSITIONS, BidStatus, label
from desktop_app.domain.totals import Totals, compute_totals
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services.common import audit, check_date, clean_text, get
from desktop_app.services.customers import check_paging
from desktop_app.services.jobs import MAX_JOB_NAME, JobDetail, check_job_name, get_job, new_job
from desktop_app.services.lines import (
    CheckedLine,
    LineDetail,
    LineInput,
    apply_lines,
    as_inputs,
    check_lines,
    check_notes,
    line_details,
    lines_summary,
    tax_rate,
    totals_for,
)
from desktop_app.services.locations import LocationDetail, location_of_customer, to_detail
from desktop_app.services.paging import Page

BID_PREFIX = "B-"
FIRST_BID = 1001
MAX_TITLE = 100


@dataclass(frozen=True)
class BidFields:
    customer_id: int
    title: str
    location_id: int | None = None
    valid_until: date | None = None
    notes: str = ""
    lines: Sequence[LineInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class BidSummary:
    id: int
    number: str
    title: str
    customer_id: int
    customer_name: str
    status: str
    status_label: str
    valid_until: date | None
    total: Decimal
    job_id: int | None
    version: int


@dataclass(frozen=True)
class BidDetail:
    id: int
    number: str
    title: str
    customer_id: int
    customer_name: str
    location: LocationDetail | None
    status: str
    status_label: str
    valid_until: date | None
    notes: str
    job_id: int | None
    lines: tuple[LineDetail, ...]
    totals: Totals
    version: int

    def to_fields(self) -> BidFields:
        return BidFields(
            customer_id=self.customer_id,
            title=self.title,
            location_id=self.location.id if self.location is not None else None,
            valid_until=self.valid_until,
            notes=self.notes,
            lines=as_inputs(self.lines),
        )


SORTS: dict[str, Any] = {
    "number": Bid.id,
    "title": func.lower(Bid.title),
    "customer": Customer.display_name_key,
    "status": Bid.status,
    "valid_until": Bid.valid_until,
    "created": Bid.id,
}


def _next_number(uow: UnitOfWork) -> str:
    # Locking the counter row makes two users creating bids at once queue, not collide.
    row = uow.session.scalars(select(Counter).where(Counter.name == "bid").with_for_update()).first()
    if row is None:
        row = Counter(name="bid", next_value=FIRST_BID)
        uow.session.add(row)
    value = row.next_value
    row.next_value = value + 1
    return f"{BID_PREFIX}{value}"


def _check_version(bid: Bid, expected_version: int) -> None:
    if bid.version != expected_version:
        raise Conflict(
            f"Another user changed bid {bid.number} after you opened it. Reload it to see their "
            "changes, then make yours again."
        )


@dataclass(frozen=True)
class _Checked:
    customer: Customer
    title: str
    location_id: int | None
    valid_until: date | None
    notes: str
    lines: list[CheckedLine]


def _checked(uow: UnitOfWork, values: BidFields, *, new: bool) -> _Checked:
    if not isinstance(values, BidFields):
        raise ValidationError("bid", "Bid details are missing.")
    if not isinstance(values.customer_id, int) or isinstance(values.customer_id, bool):
        raise ValidationError("customer_id", "Choose a customer.")
    customer = uow.session.get(Customer, values.customer_id)
    if customer is None:
        raise ValidationError("customer_id", "The customer was not found. It may have been deleted.")
    if new and not customer.active:
        raise ValidationError(
            "customer_id", f"{customer.display_name} is inactive; reactivate the customer first."
        )
    title = " ".join(clean_text(values.title, "title", max_length=MAX_TITLE, required=True).split())
    location = location_of_customer(uow, customer.id, values.location_id)
    return _Checked(
        customer=customer,
        title=title,
        location_id=location.id if location is not None else None,
        valid_until=check_date(values.valid_until, "valid_until"),
        notes=check_notes(values.notes),
        lines=check_lines(uow, values.lines),
    )


def create_bid(uow: UnitOfWork, values: BidFields) -> BidDetail:
    data = _checked(uow, values, new=True)
    bid = Bid(
        number=_next_number(uow),
        customer_id=data.customer.id,
        location_id=data.location_id,
        title=data.title,
        status=BidStatus.DRAFT.value,
        valid_until=data.valid_until,
        notes=data.notes,
    )
    bid.lines = apply_lines([], data.lines, BidLine)
    uow.session.add(bid)
    uow.flush()
    audit(
        uow,
        "create",
        "bid",
        bid.id,
        summary=f"Bid {bid.number} {bid.title} created",
        changes={
            "title": [None, bid.title],
            "customer_id": [None, bid.customer_id],
            "lines": [None, lines_summary(bid.lines)],
        },
    )
    return _detail(uow, bid)


def update_bid(uow: UnitOfWork, bid_id: int, expected_version: int, values: BidFields) -> BidDetail:
    bid = get(uow, Bid, bid_id, "Bid")
    _check_version(bid, expected_version)
    if bid.status == BidStatus.ACCEPTED:
        raise InvalidTransition(f"Bid {bid.number} was accepted, so it can no longer be changed.")
    data = _checked(uow, values, new=False)
    before = _audit_view(bid)
    # The lines first: a line of another document is refused before anything changes.
    bid.lines = apply_lines(list(bid.lines), data.lines, BidLine)
    bid.customer_id = data.customer.id
    bid.location_id = data.location_id
    bid.title = data.title
    bid.valid_until = data.valid_until
    bid.notes = data.notes
    after = _audit_view(bid)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        # Line edits alone leave the bid row untouched; bumping it moves the version lock.
        bid.updated_at = utcnow()
        uow.flush()
        audit(uow, "update", "bid", bid.id, summary=f"Bid {bid.number} changed", changes=changes)
    return _detail(uow, bid)


def _audit_view(bid: Bid) -> dict[str, Any]:
    return {
        "customer_id": bid.customer_id,
        "location_id": bid.location_id,
        "title": bid.title,
        "valid_until": bid.valid_until.isoformat() if bid.valid_until else None,
        "notes": bid.notes,
        "lines": lines_summary(bid.lines),
    }


_VERBS = {
    BidStatus.DRAFT: "moved back to draft",
    BidStatus.SENT: "marked as sent",
    BidStatus.ACCEPTED: "accepted",
    BidStatus.DECLINED: "declined",
}


def _move(uow: UnitOfWork, bid: Bid, target: BidStatus) -> None:
    current = BidStatus(bid.status)
    if target not in BID_TRANSITIONS[current]:
        raise InvalidTransition(
            f"Bid {bid.number} is {label(current).lower()}, so it cannot be {_VERBS[target]}."
        )
    bid.status = target.value
    uow.flush()
    audit(
        uow,
        "status",
        "bid",
        bid.id,
        summary=f"Bid {bid.number} {_VERBS[target]}",
        changes={"status": [current.value, target.value]},
    )


def set_bid_status(uow: UnitOfWork, bid_id: int, expected_version: int, status: str) -> BidDetail:
    """Draft → sent → accepted/declined, as BID_TRANSITIONS allows."""
    bid = get(uow, Bid, bid_id, "Bid")
    _check_version(bid, expected_version)
    try:
        target = BidStatus(status)
    except ValueError:
        raise ValidationError("status", f"“{status}” is not a bid status.") from None
    _move(uow, bid, target)
    return _detail(uow, bid)


def convert_to_job(
    uow: UnitOfWork, bid_id: int, expected_version: int, *, job_name: str | None = None
) -> JobDetail:
    """Make a job from the bid (accepting it first if it is a draft or sent)."""
    bid = get(uow, Bid, bid_id, "Bid")
    _check_version(bid, expected_version)
    if bid.job_id is not None:
        number = get_job(uow, bid.job_id).number
        raise InvalidTransition(f"Bid {bid.number} was already converted to job {number}.")
    customer = get(uow, Customer, bid.customer_id, "Customer")
    if not customer.active:
        raise ValidationError(
            "customer_id", f"{customer.display_name} is inactive; reactivate the customer first."
        )
    if job_name is None:
        # Bid titles may be longer and hold colons; the job name follows QuickBooks' rules.
        job_name = bid.title.replace(":", "-")[:MAX_JOB_NAME].strip()
    name = check_job_name(job_name)
    if bid.status != BidStatus.ACCEPTED:
        _move(uow, bid, BidStatus.ACCEPTED)
    lines = [
        CheckedLine(None, ln.item_id, ln.description, ln.quantity, ln.rate, ln.taxable) for ln in bid.lines
    ]
    job = new_job(
        uow,
        customer,
        name,
        location_id=bid.location_id,
        scheduled_start=None,
        notes=bid.notes,
        lines=lines,
        bid_id=bid.id,
    )
    bid.job_id = job.id
    uow.flush()
    audit(
        uow,
        "convert",
        "bid",
        bid.id,
        summary=f"Bid {bid.number} converted to job {job.number}",
        changes={"job_id": [None, job.id]},
    )
    return get_job(uow, job.id)


def get_bid(uow: UnitOfWork, bid_id: int) -> BidDetail:
    return _detail(uow, get(uow, Bid, bid_id, "Bid"))


def _detail(uow: UnitOfWork, bid: Bid) -> BidDetail:
    customer = get(uow, Customer, bid.customer_id, "Customer")
    location = location_of_customer(uow, customer.id, bid.location_id)
    return BidDetail(
        id=bid.id,
        number=bid.number,
        title=bid.title,
        customer_id=customer.id,
        customer_name=customer.display_name,
        location=to_detail(location) if location is not None else None,
        status=bid.status,
        status_label=label(bid.status),
        valid_until=bid.valid_until,
        notes=bid.notes,
        job_id=bid.job_id,
        lines=line_details(uow, bid.lines),
        totals=totals_for(uow, customer, bid.lines),
        version=bid.version,
    )


def list_bids(
    uow: UnitOfWork,
    *,
    search: str = "",
    status: str | Sequence[str] | None = None,
    customer_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    sort: str = "number",
    descending: bool = True,
) -> Page[BidSummary]:
    offset, limit = check_paging(offset, limit)
    search = clean_text(search, "search", max_length=200)
    if sort not in SORTS:
        raise ValidationError("sort", f"Bids cannot be sorted by “{sort}”.")
    query = select(Bid, Customer).join(Customer, Customer.id == Bid.customer_id)
    words = search.lower().split()
    if words:
        query = query.where(
            and_(
                *(
                    or_(
                        func.lower(Bid.number).contains(word, autoescape=True),
                        func.lower(Bid.title).contains(word, autoescape=True),
                        Customer.display_name_key.contains(word, autoescape=True),
                    )
                    for word in words
                )
            )
        )
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        if any(s not in {b.value for b in BidStatus} for s in wanted):
            raise ValidationError("status", "Unknown bid status.")
        query = query.where(Bid.status.in_(wanted))
    if customer_id is not None:
        query = query.where(Bid.customer_id == customer_id)
    total = (
        uow.session.scalar(select(func.count()).select_from(query.with_only_columns(Bid.id).subquery())) or 0
    )
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    rows = list(uow.session.execute(query.order_by(order, Bid.id).offset(offset).limit(limit)))
    amounts: dict[int, list[tuple[Decimal, bool]]] = defaultdict(list)
    if rows:
        found = uow.session.execute(
            select(BidLine.bid_id, BidLine.amount, BidLine.taxable).where(
                BidLine.bid_id.in_([b.id for b, _ in rows])
            )
        )
        for bid_id, amount, taxable in found:
            amounts[bid_id].append((amount, taxable))
    rate = tax_rate(uow)
    return Page(
        rows=tuple(
            BidSummary(
                id=bid.id,
                number=bid.number,
                title=bid.title,
                customer_id=customer.id,
                customer_name=customer.display_name,
                status=bid.status,
                status_label=label(bid.status),
                valid_until=bid.valid_until,
                total=compute_totals(amounts[bid.id], rate, tax_exempt=customer.tax_exempt).total,
                job_id=bid.job_id,
                version=bid.version,
            )
            for bid, customer in rows
        ),
        total=total,
        offset=offset,
        limit=limit,
    )
