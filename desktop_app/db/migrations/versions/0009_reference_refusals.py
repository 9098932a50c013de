"""a queue item's count of refusals for a record it refers to (3140), re-added each time

When QuickBooks refuses a record for a reference it names (a job or an item it no longer
has), the engine re-adds that record and sends the item again. ``reference_refusals``
counts those refusals, so that a reference QuickBooks keeps refusing ends in an alert
instead of going round for ever; a person's retry counts afresh. (Counting every send of
the item instead stopped genuine recoveries: lookups count as sends, and sends are never
counted afresh.)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("reference_refusals", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.drop_column("reference_refusals")
