"""The business records: customers, price book, bids, jobs, invoices, payments.

Money columns are ``Money()`` (exact, two decimals); quantities and rates ``Fixed(5)``.
Names that must be unique case-insensitively keep a normalised ``*_key`` column with a
unique index, which works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop_app.db.base import Base, Timestamped, Versioned
from desktop_app.db.types import Fixed, Money, UTCDateTime, utcnow

NAME = 100
SHORT = 41
PHONE = 21


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class Counter(Base):
    """A number sequence (jobs, invoices, bids, payments); rows are locked to allocate."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, nullable=False)


class Account(Versioned, Base):
    """A QuickBooks chart-of-accounts entry, filled by import from QuickBooks."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(SHORT))
    full_name: Mapped[str] = mapped_column(String(159), unique=True)
    account_type: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(Versioned, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(25), default="")
    last_name: Mapped[str] = mapped_column(String(25), default="")
    display_name: Mapped[str] = mapped_column(String(SHORT))
    display_name_key: Mapped[str] = mapped_column(String(SHORT), unique=True)
    company: Mapped[str] = mapped_column(String(SHORT), default="")
    mobile_phone: Mapped[str] = mapped_column(String(PHONE), default="")
    home_phone: Mapped[str] = mapped_column(String(PHONE), default="")
    work_phone: Mapped[str] = mapped_column(String(PHONE), default="")
    email: Mapped[str] = mapped_column(String(1023), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    bill_street: Mapped[str] = mapped_column(String(SHORT), default="")
    bill_unit: Mapped[str] = mapped_column(String(SHORT), default="")
    bill_city: Mapped[str] = mapped_column(String(31), default="")
    bill_state: Mapped[str] = mapped_column(String(21), default="")
    bill_zip: Mapped[str] = mapped_column(String(13), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    locations: Mapped[list[ServiceLocation]] = relationship(
        back_populates="customer", order_by="ServiceLocation.id"
    )


class ServiceLocation(Versioned, Base):
    __tablename__ = "service_locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(SHORT), default="")
    street: Mapped[str] = mapped_column(String(SHORT), default="")
    unit: Mapped[str] = mapped_column(String(SHORT), default="")
    city: Mapped[str] = mapped_column(String(31), default="")
    state: Mapped[str] = mapped_column(String(21), default="")
    zip: Mapped[str] = mapped_column(String(13), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    customer: Mapped[Customer] = relationship(back_populates="locations")


class Item(Versioned, Base):
    """A price-book item: a service or a material (QuickBooks item names: 31 characters)."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(31))
    name_key: Mapped[str] = mapped_column(String(31), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    unit_price: Mapped[Decimal] = mapped_column(Fixed(5))
    taxable: Mapped[bool] = mapped_column(Boolean, default=False)
    income_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (CheckConstraint("kind in ('service', 'material')", name="kind"),)


class Terms(Versioned, Base):
    """Due terms: upon receipt / start / completion, net N days, on a fixed date."""

    __tablename__ = "terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(31), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    net_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TaxRate(Versioned, Base):
    """A sales-tax rate invoices use; in QuickBooks a sales-tax item (names: 31 characters)."""

    __tablename__ = "tax_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(31))
    name_key: Mapped[str] = mapped_column(String(31), unique=True)
    #: Percent, as QuickBooks' TaxRate (8.25 means 8.25 %).
    rate: Mapped[Decimal] = mapped_column(Fixed(4))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class _LineColumns:
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Fixed(5))
    rate: Mapped[Decimal] = mapped_column(Fixed(5))
    amount: Mapped[Decimal] = mapped_column(Money())
    taxable: Mapped[bool] = mapped_column(Boolean, default=False)


class Bid(Versioned, Base):
    """An estimate; never sent to QuickBooks. An accepted bid converts into a job."""

    __tablename__ = "bids"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("service_locations.id"))
    title: Mapped[str] = mapped_column(String(NAME))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", use_alter=True))

    lines: Mapped[list[BidLine]] = relationship(order_by="BidLine.position", cascade="all, delete-orphan")


class BidLine(_LineColumns, Base):
    __tablename__ = "bid_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class Job(Versioned, Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(SHORT))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("service_locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    scheduled_start: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    finished_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"))
    #: A segment of a larger job points at it; segments are numbered N-1, N-2, ...
    parent_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    segment_index: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list[JobLine]] = relationship(order_by="JobLine.position", cascade="all, delete-orphan")


class JobLine(_LineColumns, Base):
    __tablename__ = "job_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class Invoice(Versioned, Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(11), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="standard")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    #: The job billed; None for an invoice that bills several jobs (its lines say which).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    #: Creation order among the job's invoices, for progress numbering (N-1, N-2, ...).
    job_sequence: Mapped[int | None] = mapped_column(Integer)
    #: The share of the job total a progress or deposit invoice bills (e.g. 30.0000).
    percent: Mapped[Decimal | None] = mapped_column(Fixed(4))
    invoice_date: Mapped[date] = mapped_column(Date)
    service_date: Mapped[date | None] = mapped_column(Date)
    terms_id: Mapped[int | None] = mapped_column(ForeignKey("terms.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    bill_name: Mapped[str] = mapped_column(String(SHORT), default="")
    bill_street: Mapped[str] = mapped_column(String(SHORT), default="")
    bill_unit: Mapped[str] = mapped_column(String(SHORT), default="")
    bill_city: Mapped[str] = mapped_column(String(31), default="")
    bill_state: Mapped[str] = mapped_column(String(21), default="")
    bill_zip: Mapped[str] = mapped_column(String(13), default="")
    ship_street: Mapped[str] = mapped_column(String(SHORT), default="")
    ship_unit: Mapped[str] = mapped_column(String(SHORT), default="")
    ship_city: Mapped[str] = mapped_column(String(31), default="")
    ship_state: Mapped[str] = mapped_column(String(21), default="")
    ship_zip: Mapped[str] = mapped_column(String(13), default="")
    memo: Mapped[str] = mapped_column(String(4095), default="")
    customer_notes: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[str] = mapped_column(Text, default="")
    allowed_payment_methods: Mapped[str] = mapped_column(String(100), default="")
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Fixed(4), default=Decimal("0"))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Paid deposits credited against this invoice (its balance shows them).
    deposit_credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: The main invoice a deposit was credited to, once issued.
    credited_to_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str] = mapped_column(String(255), default="")

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    __table_args__ = (
        Index("ix_invoices_job_sequence", "job_id", "job_sequence"),
        CheckConstraint("status in ('open', 'paid', 'void')", name="status"),
    )


class InvoiceLine(_LineColumns, Base):
    __tablename__ = "invoice_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    #: The job this line bills: lets one invoice bill several jobs of one customer.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class Payment(Versioned, Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(20), default="")
    memo: Mapped[str] = mapped_column(String(4095), default="")
    #: Set when the payment came from QuickBooks (pulled), so it is never pulled twice.
    origin: Mapped[str] = mapped_column(String(12), default="app")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    applications: Mapped[list[PaymentApplication]] = relationship(
        back_populates="payment", cascade="all, delete-orphan"
    )
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class PaymentApplication(Timestamped, Base):
    """Part of a payment applied to one invoice; the unapplied remainder is derived."""

    __tablename__ = "payment_applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    payment: Mapped[Payment] = relationship(back_populates="applications")
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class QbLink(Base):
    """Which QuickBooks record a local record is: ListID/TxnID and its EditSequence.

    Unique both ways: a local record links to at most one QuickBooks record, and a
    QuickBooks record to at most one local record of that kind.
    """

    __tablename__ = "qb_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    qb_id: Mapped[str] = mapped_column(String(40))
    edit_sequence: Mapped[str] = mapped_column(String(20), default="")
    qb_name: Mapped[str] = mapped_column(String(209), default="")
    #: JSON of the field values as last agreed with QuickBooks: on a stale EditSequence
    #: (3200) it tells which fields each side changed since.
    synced_values: Mapped[str] = mapped_column(Text, default="{}")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id"),
        UniqueConstraint("entity_type", "qb_id"),
    )


class AuditEntry(Base):
    """Append-only history: who did what to which record, with fields before → after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(60), default="system", index=True)
    #: The signed-in user (None for the system and the sync engine); the name is kept as it was.
    user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(255), default="")
    #: JSON object {field: [before, after]}.
    changes: Mapped[str] = mapped_column(Text, default="{}")
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)


class DomainEvent(Base):
    """Outbox of things that happened (job finished, invoice sent, ...) for the sync to act on."""

    __tablename__ = "domain_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    name: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
