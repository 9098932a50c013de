"""queue indexes for the sync: one index fewer to write per answer, due items counted from the index

The single-column ``state`` index goes (the order index starts with ``state``), and the
order index gains ``next_attempt_at``, so counting what is due (every round trip) reads
only the index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sync_items_state", table_name="sync_items")
    op.drop_index("ix_sync_items_order", table_name="sync_items")
    op.create_index("ix_sync_items_order", "sync_items", ["state", "rank", "id", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sync_items_order", table_name="sync_items")
    op.create_index("ix_sync_items_order", "sync_items", ["state", "rank", "id"], unique=False)
    op.create_index("ix_sync_items_state", "sync_items", ["state"], unique=False)
