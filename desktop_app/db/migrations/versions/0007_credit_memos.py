"""credit memos, their lines, and the invoices they are applied to

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import desktop_app.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=11), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("credit_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("memo", sa.String(length=4095), nullable=False),
        sa.Column("subtotal", desktop_app.db.types.Fixed(2), nullable=False),
        sa.Column("tax_rate", desktop_app.db.types.Fixed(4), nullable=False),
        sa.Column("tax", desktop_app.db.types.Fixed(2), nullable=False),
        sa.Column("total", desktop_app.db.types.Fixed(2), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("voided_at", desktop_app.db.types.UTCDateTime(), nullable=True),
        sa.Column("void_reason", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "reason in ('refund', 'discount', 'warranty')", name=op.f("ck_credit_memos_reason")
        ),
        sa.CheckConstraint("status in ('open', 'applied', 'void')", name=op.f("ck_credit_memos_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_memos_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_credit_memos_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_memos")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_memos_number")),
    )
    with op.batch_alter_table("credit_memos") as batch:
        batch.create_index(batch.f("ix_credit_memos_customer_id"), ["customer_id"], unique=False)
        batch.create_index(batch.f("ix_credit_memos_job_id"), ["job_id"], unique=False)
        batch.create_index(batch.f("ix_credit_memos_status"), ["status"], unique=False)

    op.create_table(
        "credit_memo_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_memo_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", desktop_app.db.types.Fixed(5), nullable=False),
        sa.Column("rate", desktop_app.db.types.Fixed(5), nullable=False),
        sa.Column("amount", desktop_app.db.types.Fixed(2), nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_memo_id"],
            ["credit_memos.id"],
            name=op.f("fk_credit_memo_lines_credit_memo_id_credit_memos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_credit_memo_lines_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_memo_lines")),
    )
    with op.batch_alter_table("credit_memo_lines") as batch:
        batch.create_index(batch.f("ix_credit_memo_lines_credit_memo_id"), ["credit_memo_id"], unique=False)

    op.create_table(
        "credit_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_memo_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", desktop_app.db.types.Fixed(2), nullable=False),
        sa.Column("created_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", desktop_app.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_applications_amount_positive")),
        sa.ForeignKeyConstraint(
            ["credit_memo_id"],
            ["credit_memos.id"],
            name=op.f("fk_credit_applications_credit_memo_id_credit_memos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_applications_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_applications")),
        sa.UniqueConstraint(
            "credit_memo_id", "invoice_id", name=op.f("uq_credit_applications_credit_memo_id_invoice_id")
        ),
    )
    with op.batch_alter_table("credit_applications") as batch:
        batch.create_index(batch.f("ix_credit_applications_credit_memo_id"), ["credit_memo_id"], unique=False)
        batch.create_index(batch.f("ix_credit_applications_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_table("credit_applications")
    op.drop_table("credit_memo_lines")
    op.drop_table("credit_memos")
