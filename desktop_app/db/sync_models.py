"""The QuickBooks queue: work items, the batches they travel in, and alerts for people.

A work item moves queued → sent → done, or to error / attention (needs a person) /
cancelled. ``pending_key`` is set while an item is queued (or waiting on a person), and
is unique: enqueuing the same record twice keeps one item, on every database, without a
race between two writers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.db.base import Base, Timestamped
from desktop_app.db.types import UTCDateTime, utcnow


class SyncItem(Timestamped, Base):
    __tablename__ = "sync_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: customer, job, item, terms, invoice, payment, or import (entity_id then None).
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    #: upsert (add or mod, decided when built), void, delete, import_<list>, pull_payments
    action: Mapped[str] = mapped_column(String(30))
    #: services.queue_states.QueueState (the database layer imports no service; a test
    #: checks that this default is QueueState.QUEUED).
    state: Mapped[str] = mapped_column(String(12), default="queued")
    #: add → verify first when a previous attempt's answer never came (exactly once).
    phase: Mapped[str] = mapped_column(String(12), default="")
    pending_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: Ordering rank: lists before the transactions that use them.
    rank: Mapped[int] = mapped_column(Integer, default=50)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("sync_batches.id"), index=True)
    request_id: Mapped[str | None] = mapped_column(String(50), index=True)
    request_xml: Mapped[str] = mapped_column(Text, default="")
    response_xml: Mapped[str] = mapped_column(Text, default="")
    status_code: Mapped[int | None] = mapped_column(Integer)
    status_message: Mapped[str] = mapped_column(Text, default="")
    #: Why the item waits or failed, in plain words.
    note: Mapped[str] = mapped_column(Text, default="")
    #: JSON list of what it waits for, e.g. [["customer", 12]].
    depends_on: Mapped[str] = mapped_column(Text, default="[]")
    #: What the engine needs to read the answer (the values sent, expected totals): JSON.
    sent_context: Mapped[str] = mapped_column(Text, default="{}")
    #: Iterator state for imports: resumable when a session ends half way.
    iterator_id: Mapped[str] = mapped_column(String(60), default="")
    #: Set while the item is sent apart from the rest (a message QuickBooks refused whole
    #: is split in halves until the one request it refuses is found): the group's key.
    isolation: Mapped[str | None] = mapped_column(String(40))
    #: The QuickBooks record an action is about when it is not the linked one (a duplicate
    #: to delete): its TxnID.
    qb_target: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: Messages QuickBooks refused whole while this item was the only request in them.
    message_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The records it refers to that the sync added to QuickBooks again after QuickBooks
    #: refused it for them (3140), as "kind:id,…": each is re-added once for it; forgotten
    #: when a person sends it again.
    readded_references: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: An import: the ticket of the session in which QuickBooks last forgot its place (3391)
    #: and it read again from the top; forgotten a second time there, it waits for a person.
    restarted_in: Mapped[str] = mapped_column(String(80), default="", server_default="")
    #: A record unlinked to be added again (QuickBooks refused another for it, 3140): its old
    #: link as JSON ({"qb_id", "synced_values"}), so that the same QuickBooks record found
    #: again by name gets its agreed values back (``apply._on_found``).
    previous_link: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: QuickBooks already had the record (an Add met "name in use" and the record found was
    #: linked): the sync linked it rather than creating it (``services.sync_outcomes``).
    linked_existing: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    __table_args__ = (
        Index("ix_sync_items_entity", "entity_type", "entity_id"),
        # Sending order; and with next_attempt_at in it, counting what is due (the progress
        # bar, every round trip) reads only the index. Few indexes: every answer rewrites
        # the row's state, and each index on it is more to write in that commit.
        Index("ix_sync_items_order", "state", "rank", "id", "next_attempt_at"),
        # Each batch asks for the next isolation group (``planner``): only the rare rows
        # that have one are indexed, so the question costs nothing however long the queue.
        Index(
            "ix_sync_items_isolation",
            "isolation",
            sqlite_where=text("isolation IS NOT NULL"),
            postgresql_where=text("isolation IS NOT NULL"),
        ),
    )


class SyncBatch(Base):
    """One qbXML request message handed to the Web Connector."""

    __tablename__ = "sync_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    #: A transport failure (hresult) reported by the Web Connector for this batch.
    error: Mapped[str] = mapped_column(Text, default="")


class Alert(Timestamped, Base):
    """Something only a person can decide, explained in plain words with the ways out."""

    __tablename__ = "sync_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    sync_item_id: Mapped[int | None] = mapped_column(ForeignKey("sync_items.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    record_label: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(30))
    status_code: Mapped[int | None] = mapped_column(Integer)
    qb_message: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text)
    tried: Mapped[str] = mapped_column(Text, default="")
    #: Comma-separated resolutions that apply: retry, link, renumber, send_anyway, edit, dismiss.
    resolutions: Mapped[str] = mapped_column(String(120), default="retry,dismiss")
    #: JSON with what a resolution needs (e.g. the QuickBooks TxnID to link to).
    data: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    resolution: Mapped[str] = mapped_column(String(30), default="")
    resolved_by: Mapped[str] = mapped_column(String(60), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
