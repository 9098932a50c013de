"""sales-tax rates as records (QuickBooks sales-tax items); a queue item's isolation group

``tax_rates`` holds each rate invoices use, linked to a QuickBooks sales-tax item like
any other list record. ``sync_items.isolation`` marks the items of a message QuickBooks
refused whole while they are sent again in halves, ``message_failures`` counts the
refusals of a message that held only that item, and ``qb_target`` names a QuickBooks
record an action is about (a duplicate to delete).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desktop_app.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=31), nullable=False),
        sa.Column("name_key", sa.String(length=31), nullable=False),
        sa.Column("rate", desktop_app.db.types.Fixed(4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("name_key", name=op.f("uq_tax_rates_name_key")),
    )
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("isolation", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("message_failures", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("qb_target", sa.String(length=40), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.drop_column("qb_target")
        batch.drop_column("message_failures")
        batch.drop_column("isolation")
    op.drop_table("tax_rates")
