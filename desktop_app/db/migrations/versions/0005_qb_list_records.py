"""what JobDesk knows of an office's QuickBooks company, and near matches a person decides;
whether the sync linked a record QuickBooks already had

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desktop_app.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_items") as batch:
        batch.add_column(sa.Column("linked_existing", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "qb_list_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("list_id", sa.String(length=40), nullable=False),
        sa.Column("edit_sequence", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=41), nullable=False),
        sa.Column("full_name", sa.String(length=209), nullable=False),
        sa.Column("parent_list_id", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("match_key", sa.String(length=209), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("seen_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qb_list_records")),
        sa.UniqueConstraint("kind", "list_id", name=op.f("uq_qb_list_records_kind_list_id")),
    )
    op.create_index("ix_qb_list_records_match", "qb_list_records", ["kind", "match_key"], unique=False)
    op.create_table(
        "qb_match_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("qb_record_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("new_name", sa.String(length=41), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("decided_at", desktop_app.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["qb_record_id"],
            ["qb_list_records.id"],
            name=op.f("fk_qb_match_proposals_qb_record_id_qb_list_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qb_match_proposals")),
        sa.UniqueConstraint(
            "entity_type",
            "entity_id",
            "qb_record_id",
            name=op.f("uq_qb_match_proposals_entity_type_entity_id_qb_record_id"),
        ),
    )
    op.create_index(
        "ix_qb_match_proposals_decision",
        "qb_match_proposals",
        ["decision", "entity_type", "entity_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_qb_match_proposals_decision", table_name="qb_match_proposals")
    op.drop_table("qb_match_proposals")
    op.drop_index("ix_qb_list_records_match", table_name="qb_list_records")
    op.drop_table("qb_list_records")
    with op.batch_alter_table("sync_items") as batch:
        batch.drop_column("linked_existing")
