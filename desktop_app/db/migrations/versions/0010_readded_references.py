"""the records a queue item had added to QuickBooks again after a refusal naming them (3140)

When QuickBooks refuses a record for a reference it names (a job or an item it no longer
has), the engine adds that record again and sends the item again. ``readded_references``
keeps which records it re-added for the item ("kind:id,…"), so that one QuickBooks still
refuses after that waits for a person instead of going round for ever, however many lost
records a genuine recovery re-adds; a person sending the item again starts afresh. It
replaces 0009's ``reference_refusals``, a count that stopped genuine recoveries of more
than ten lost records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("readded_references", sa.Text(), server_default="", nullable=False))
        batch.drop_column("reference_refusals")


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("reference_refusals", sa.Integer(), server_default="0", nullable=False))
        batch.drop_column("readded_references")
