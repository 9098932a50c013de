"""an index on the queue's isolation groups: finding the next group reads no queue

Every batch first asks whether a message QuickBooks refused whole left an isolation
group to send (``SyncItem.isolation``). Without an index that read walks every queued
item in sending order looking for one, a cost that grows with the queue, once per round
trip. The index holds only the rare rows that have a group; items already out of the
queue (done, cancelled) no longer keep theirs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ONLY_GROUPED = sa.text("isolation IS NOT NULL")


def upgrade() -> None:
    # Items that left the queue used to keep their group: they would answer the question.
    op.execute("UPDATE sync_items SET isolation = NULL WHERE state IN ('done', 'cancelled')")
    op.create_index(
        "ix_sync_items_isolation",
        "sync_items",
        ["isolation"],
        unique=False,
        sqlite_where=_ONLY_GROUPED,
        postgresql_where=_ONLY_GROUPED,
    )


def downgrade() -> None:
    op.drop_index("ix_sync_items_isolation", table_name="sync_items")
