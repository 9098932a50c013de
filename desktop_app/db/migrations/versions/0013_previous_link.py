"""what a record re-added to QuickBooks was linked to before

When QuickBooks refuses a record for another it refers to (3140), the sync unlinks that
other record and adds it again (QuickBooks may have lost it). If QuickBooks still has it
(made inactive there, say), the Add meets its name and the record found is linked again.
``previous_link`` keeps the old link's QuickBooks id and agreed values on the queue item
that re-adds it, so that the same record found again gets its agreed values back: the
change that follows then sends only what changed in JobDesk, never every field over what
was typed in QuickBooks meanwhile.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("previous_link", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.drop_column("previous_link")
