"""Customers: create, edit, find, deactivate; sub-customers; balances from invoices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, type_coerce

from desktop_app.db.credit_models import CreditApplication
from desktop_app.db.models import Customer, Invoice, Job, Payment, PaymentApplication
from desktop_app.db.types import Money
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO
from desktop_app.errors import Conflict, ValidationError
from desktop_app.services.common import audit, clean_text, diff, get, snapshot
from desktop_app.services.contact_checks import check_email, check_phone, check_state, check_zip
from desktop_app.services.events import record_event
from desktop_app.services.locations import LocationDetail, to_detail
from desktop_app.services.paging import Page
from desktop_app.services.search import contains_matcher

#: QuickBooks nests sub-customers and jobs at most five levels deep.
MAX_DEPTH = 5
MAX_PAGE = 500


@dataclass(frozen=True)
class CustomerFields:
    """Everything the customer form edits; an update replaces all of it."""

    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    company: str = ""
    mobile_phone: str = ""
    home_phone: str = ""
    work_phone: str = ""
    email: str = ""
    notes: str = ""
    bill_street: str = ""
    bill_unit: str = ""
    bill_city: str = ""
    bill_state: str = ""
    bill_zip: str = ""
    parent_id: int | None = None
    tax_exempt: bool = False


@dataclass(frozen=True)
class CustomerSummary:
    id: int
    display_name: str
    company: str
    phone: str
    email: str
    parent_id: int | None
    active: bool
    open_balance: Decimal
    version: int


@dataclass(frozen=True)
class CustomerDetail:
    id: int
    first_name: str
    last_name: str
    display_name: str
    company: str
    mobile_phone: str
    home_phone: str
    work_phone: str
    email: str
    notes: str
    bill_street: str
    bill_unit: str
    bill_city: str
    bill_state: str
    bill_zip: str
    parent_id: int | None
    parent_name: str
    tax_exempt: bool
    active: bool
    version: int
    locations: tuple[LocationDetail, ...]
    job_count: int
    open_balance: Decimal

    def to_fields(self) -> CustomerFields:
        return CustomerFields(**{name: getattr(self, name) for name in _FIELDS})


_FIELDS = tuple(f.name for f in fields(CustomerFields))
#: CustomerAdd/CustomerMod Notes in US QuickBooks Desktop.
NOTES_MAX = 4095
#: The most QuickBooks keeps in each field (the form stops typing there and says so).
TEXT_LIMITS = {
    "first_name": 25,
    "last_name": 25,
    "display_name": 41,
    "company": 41,
    "mobile_phone": 21,
    "home_phone": 21,
    "work_phone": 21,
    "email": 1023,
    # US QuickBooks Desktop keeps at most 4,095 characters of a customer's Notes, and the
    # sync never cuts text: the form stops there instead.
    "notes": NOTES_MAX,
    "bill_street": 41,
    "bill_unit": 41,
    "bill_city": 31,
    "bill_state": 21,
    "bill_zip": 13,
}
PHONE_FIELDS = {"mobile_phone": "Mobile phone", "home_phone": "Home phone", "work_phone": "Work phone"}
SORTS: dict[str, Any] = {
    "display_name": Customer.display_name_key,
    "company": func.lower(Customer.company),
    "email": func.lower(Customer.email),
    "created": Customer.id,
}


def name_key(name: str) -> str:
    """Names compare trimmed, with runs of spaces as one, ignoring case."""
    return " ".join(name.split()).lower()


def _checked(uow: UnitOfWork, values: CustomerFields, customer_id: int | None) -> dict[str, Any]:
    if not isinstance(values, CustomerFields):
        raise ValidationError("customer", "Customer details are missing.")
    data: dict[str, Any] = {
        name: clean_text(getattr(values, name), name, max_length=limit) for name, limit in TEXT_LIMITS.items()
    }
    for name, label in PHONE_FIELDS.items():
        data[name] = check_phone(data[name], name, label)
    data["email"] = check_email(data["email"])
    data["bill_state"] = check_state(data["bill_state"], "bill_state")
    data["bill_zip"] = check_zip(data["bill_zip"], "bill_zip")
    display = " ".join(data["display_name"].split())
    if not display:
        person = " ".join(part for part in (data["first_name"], data["last_name"]) if part)
        display = data["company"] or person
    if not display:
        raise ValidationError("display_name", "Enter a display name, a company, or a first and last name.")
    if len(display) > 41:
        raise ValidationError("display_name", "The display name can be at most 41 characters.")
    if ":" in display:
        # QuickBooks writes sub-customers and jobs as Parent:Child, so ':' would split the name.
        raise ValidationError("display_name", "The display name cannot contain a colon (:).")
    data["display_name"] = display
    if not isinstance(values.tax_exempt, bool):
        raise ValidationError("tax_exempt", "Tax exempt must be yes or no.")
    data["tax_exempt"] = values.tax_exempt
    data["parent_id"] = _checked_parent(uow, values.parent_id, customer_id)
    key = name_key(display)
    clash = uow.session.scalar(select(Customer.id).where(Customer.display_name_key == key))
    if clash is not None and clash != customer_id:
        # Bad input, not someone else's edit: said at the field like any other mistake.
        raise ValidationError(
            "display_name", f"A customer named “{display}” already exists. Choose a different display name."
        )
    data["display_name_key"] = key
    return data


def _checked_parent(uow: UnitOfWork, parent_id: object, customer_id: int | None) -> int | None:
    if parent_id is None:
        return None
    if not isinstance(parent_id, int) or isinstance(parent_id, bool):
        raise ValidationError("parent_id", "The parent customer was not found.")
    parent = uow.session.get(Customer, parent_id)
    if parent is None:
        raise ValidationError("parent_id", "The parent customer was not found.")
    depth = 1
    current: Customer | None = parent
    while current is not None:
        if current.id == customer_id:
            raise ValidationError(
                "parent_id", "A customer cannot be placed under itself or its own sub-customer."
            )
        depth += 1
        current = uow.session.get(Customer, current.parent_id) if current.parent_id is not None else None
    if depth > MAX_DEPTH:
        raise ValidationError("parent_id", f"Sub-customers can be nested at most {MAX_DEPTH} levels deep.")
    return parent_id


def _check_version(customer: Customer, expected_version: int) -> None:
    if customer.version != expected_version:
        raise Conflict(
            "Another user changed this customer after you opened it. Reload it to see their "
            "changes, then make yours again."
        )


def create_customer(uow: UnitOfWork, values: CustomerFields) -> CustomerDetail:
    data = _checked(uow, values, None)
    customer = Customer(active=True, **data)
    uow.session.add(customer)
    uow.flush()
    audit(
        uow,
        "create",
        "customer",
        customer.id,
        summary=f"Customer {customer.display_name} created",
        changes=diff({}, {k: v for k, v in data.items() if k != "display_name_key"}),
    )
    record_event(uow, "customer.created", "customer", customer.id)
    return _detail(uow, customer)


def update_customer(
    uow: UnitOfWork, customer_id: int, expected_version: int, values: CustomerFields
) -> CustomerDetail:
    customer = get(uow, Customer, customer_id, "Customer")
    _check_version(customer, expected_version)
    data = _checked(uow, values, customer.id)
    before = snapshot(customer, tuple(data))
    changes = diff(before, data)
    changes.pop("display_name_key", None)
    if changes:
        for name, value in data.items():
            setattr(customer, name, value)
        uow.flush()
        audit(
            uow,
            "update",
            "customer",
            customer.id,
            summary=f"Customer {customer.display_name} changed",
            changes=changes,
        )
        record_event(uow, "customer.updated", "customer", customer.id)
    return _detail(uow, customer)


def _set_active(uow: UnitOfWork, customer_id: int, expected_version: int, active: bool) -> CustomerDetail:
    customer = get(uow, Customer, customer_id, "Customer")
    _check_version(customer, expected_version)
    if customer.active != active:
        customer.active = active
        uow.flush()
        verb = "reactivated" if active else "deactivated"
        audit(
            uow,
            "reactivate" if active else "deactivate",
            "customer",
            customer.id,
            summary=f"Customer {customer.display_name} {verb}",
            changes={"active": [not active, active]},
        )
        record_event(uow, "customer.updated", "customer", customer.id)
    return _detail(uow, customer)


def deactivate_customer(uow: UnitOfWork, customer_id: int, expected_version: int) -> CustomerDetail:
    """Hidden from pickers and the default list; history and balances stay."""
    return _set_active(uow, customer_id, expected_version, False)


def reactivate_customer(uow: UnitOfWork, customer_id: int, expected_version: int) -> CustomerDetail:
    return _set_active(uow, customer_id, expected_version, True)


def get_customer(uow: UnitOfWork, customer_id: int) -> CustomerDetail:
    return _detail(uow, get(uow, Customer, customer_id, "Customer"))


def _detail(uow: UnitOfWork, customer: Customer) -> CustomerDetail:
    parent_name = ""
    if customer.parent_id is not None:
        parent_name = (
            uow.session.scalar(select(Customer.display_name).where(Customer.id == customer.parent_id)) or ""
        )
    job_count = uow.session.scalar(select(func.count(Job.id)).where(Job.customer_id == customer.id)) or 0
    return CustomerDetail(
        **{name: getattr(customer, name) for name in _FIELDS},
        id=customer.id,
        parent_name=parent_name,
        active=customer.active,
        version=customer.version,
        locations=tuple(to_detail(loc) for loc in customer.locations),
        job_count=job_count,
        open_balance=open_balances(uow, [customer.id]).get(customer.id, ZERO),
    )


def open_balances(uow: UnitOfWork, customer_ids: Iterable[int]) -> dict[int, Decimal]:
    """Sum of open invoice balances per customer: total − deposit credit − payments applied.

    Summed in the database per customer (three grouped queries however many invoices),
    so a page of customers costs the same with ten invoices or ten thousand.
    """
    ids = list(customer_ids)
    if not ids:
        return {}
    live = Invoice.status != "void"
    billed = uow.session.execute(
        select(
            Invoice.customer_id,
            type_coerce(func.sum(Invoice.total), Money()),
            type_coerce(func.sum(Invoice.deposit_credit), Money()),
        )
        .where(Invoice.customer_id.in_(ids), live)
        .group_by(Invoice.customer_id)
    )
    balances: dict[int, Decimal] = {}
    for customer_id, total, credit in billed:
        balances[customer_id] = (total or ZERO) - (credit or ZERO)
    paid = uow.session.execute(
        select(Invoice.customer_id, type_coerce(func.sum(PaymentApplication.amount), Money()))
        .join(Invoice, Invoice.id == PaymentApplication.invoice_id)
        .join(Payment, Payment.id == PaymentApplication.payment_id)
        .where(Invoice.customer_id.in_(ids), live, Payment.deleted_at.is_(None))
        .group_by(Invoice.customer_id)
    )
    for customer_id, applied in paid:
        balances[customer_id] = balances.get(customer_id, ZERO) - (applied or ZERO)
    credited = uow.session.execute(
        select(Invoice.customer_id, type_coerce(func.sum(CreditApplication.amount), Money()))
        .join(Invoice, Invoice.id == CreditApplication.invoice_id)
        .where(Invoice.customer_id.in_(ids), live)
        .group_by(Invoice.customer_id)
    )
    for customer_id, applied in credited:
        balances[customer_id] = balances.get(customer_id, ZERO) - (applied or ZERO)
    return balances


def _search_filter(uow: UnitOfWork, search: str) -> ColumnElement[bool] | None:
    words = search.split()
    if not words:
        return None
    conditions: list[ColumnElement[bool]] = []
    for word in words:
        pattern = f"%{_escape_like(word.lower())}%"
        digits = "".join(ch for ch in word if ch.isdigit())
        matches = contains_matcher(uow, word)
        columns: list[ColumnElement[bool]] = [
            Customer.display_name_key.like(pattern, escape="\\"),
            matches(Customer.company),
            matches(Customer.email),
        ]
        for phone in (Customer.mobile_phone, Customer.work_phone, Customer.home_phone):
            columns.append(phone.like(pattern, escape="\\"))
            if len(digits) >= 3 and digits != word:
                # "(555) 123" should find 555-1234 however the number was typed.
                columns.append(phone.like(f"%{digits}%"))
        conditions.append(or_(*columns))
    return and_(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_paging(offset: object, limit: object) -> tuple[int, int]:
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValidationError("offset", "The page offset must be zero or more.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise ValidationError("limit", f"A page holds between 1 and {MAX_PAGE} rows.")
    return offset, limit


def list_customers(
    uow: UnitOfWork,
    *,
    search: str = "",
    active: bool | None = True,
    parent_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    sort: str = "display_name",
    descending: bool = False,
) -> Page[CustomerSummary]:
    """One page of customers; ``active=None`` lists active and inactive together."""
    offset, limit = check_paging(offset, limit)
    search = clean_text(search, "search", max_length=200)
    if sort not in SORTS:
        raise ValidationError("sort", f"Customers cannot be sorted by “{sort}”.")
    query: Select[Any] = select(Customer)
    condition = _search_filter(uow, search)
    if condition is not None:
        query = query.where(condition)
    if active is not None:
        query = query.where(Customer.active.is_(active))
    if parent_id is not None:
        query = query.where(Customer.parent_id == parent_id)
    total = uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    rows = list(uow.session.scalars(query.order_by(order, Customer.id).offset(offset).limit(limit)))
    balances = open_balances(uow, [row.id for row in rows])
    return Page(
        rows=tuple(
            CustomerSummary(
                id=row.id,
                display_name=row.display_name,
                company=row.company,
                phone=row.mobile_phone or row.work_phone or row.home_phone,
                email=row.email,
                parent_id=row.parent_id,
                active=row.active,
                open_balance=balances.get(row.id, ZERO),
                version=row.version,
            )
            for row in rows
        ),
        total=total,
        offset=offset,
        limit=limit,
    )
