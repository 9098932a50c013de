"""the session in which QuickBooks last forgot an import's place (3391)

QuickBooks forgets an iterator when its session ends, and the import then reads again
from the top in the next one. ``restarted_in`` keeps the ticket of the session in which
that last happened to the queue item, so that QuickBooks forgetting it a second time in
the same session (never documented) ends in an alert instead of the import reading its
first page again for ever.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("restarted_in", sa.String(80), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.drop_column("restarted_in")
