"""a match proposal keeps the name ours had when it was proposed

Deciding "create as new" or "rename ours" renames the record of ours; changing the
decision later (allowed until a record of ours is sent) gives it that name back, and the
review screen shows both names.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("qb_match_proposals") as batch:
        batch.add_column(sa.Column("our_name", sa.String(length=41), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("qb_match_proposals") as batch:
        batch.drop_column("our_name")
