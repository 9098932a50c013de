"""What JobDesk knows of an office's QuickBooks company, and the matches a person decides.

Connecting JobDesk to a QuickBooks company that already holds customers, jobs and items
must never create a near-duplicate there. The import keeps a copy of every QuickBooks list
record it reads (``QuickBooksListRecord``: customers, jobs, vendors, employees, other
names, items of every type, accounts, terms, payment methods, sales-tax codes), so that
matching, the mapping step and the preview of the first sync work without QuickBooks on
line. A QuickBooks record whose name is close to one of ours, but not the same, becomes a
``MatchProposal`` that a person decides (link, create as new, or rename ours); the record
of ours waits until then.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base
from desktop_app.db.types import UTCDateTime, utcnow


class QuickBooksListRecord(Base):
    __tablename__ = "qb_list_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: customer, job, vendor, employee, other_name, item, account, terms, payment_method,
    #: sales_tax_code
    kind: Mapped[str] = mapped_column(String(20))
    list_id: Mapped[str] = mapped_column(String(40))
    edit_sequence: Mapped[str] = mapped_column(String(20), default="")
    #: The record's own name (QuickBooks: 41 characters for lists, 31 for items).
    name: Mapped[str] = mapped_column(String(41))
    #: Parent names joined by ":" (jobs, sub-items, sub-accounts).
    full_name: Mapped[str] = mapped_column(String(209))
    parent_list_id: Mapped[str] = mapped_column(String(40), default="")
    #: Items: ItemService, ItemNonInventory, ItemOtherCharge, ItemInventory, ItemGroup,
    #: ItemSalesTax …; accounts: the AccountType. Empty for the rest.
    record_type: Mapped[str] = mapped_column(String(40), default="")
    #: The name reduced for near-match comparison (``domain.name_match.match_key``).
    match_key: Mapped[str] = mapped_column(String(209), default="")
    #: What else the mapping and matching steps need (a tax rate, due days, the values a
    #: JobDesk record would be created with), as JSON.
    detail: Mapped[str] = mapped_column(Text, default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (
        UniqueConstraint("kind", "list_id"),
        Index("ix_qb_list_records_match", "kind", "match_key"),
    )


class MatchProposal(Base):
    """A QuickBooks record that may be one of ours; nothing is linked until a person says so."""

    __tablename__ = "qb_match_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Ours: customer, job or item.
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    qb_record_id: Mapped[int] = mapped_column(ForeignKey("qb_list_records.id"))
    #: case, spelling, name_order, other_parent, other_item_type, name_taken (vendor, employee …)
    reason: Mapped[str] = mapped_column(String(20))
    #: The difference, in plain words.
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: "" (undecided), link, create, rename
    decision: Mapped[str] = mapped_column(String(10), default="")
    #: The name ours goes to QuickBooks under (create) or is renamed to (rename).
    new_name: Mapped[str] = mapped_column(String(41), default="")
    #: Ours as it was named when proposed (a changed decision gives that name back).
    our_name: Mapped[str] = mapped_column(String(41), default="")
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "qb_record_id"),
        Index("ix_qb_match_proposals_decision", "decision", "entity_type", "entity_id"),
    )
