"""invoice numbers known to be in QuickBooks, so numbering keeps clear of them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desktop_app.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_invoice_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref_number", sa.String(length=11), nullable=False),
        sa.Column("recorded_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_invoice_refs")),
        sa.UniqueConstraint("ref_number", name=op.f("uq_quickbooks_invoice_refs_ref_number")),
    )


def downgrade() -> None:
    op.drop_table("quickbooks_invoice_refs")
