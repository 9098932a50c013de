"""the foreign key from a bid to the job it became, on PostgreSQL

0001 declared ``bids.job_id → jobs.id`` with ``use_alter`` (bids and jobs refer to each
other), and a table created by ``op.create_table`` leaves such a key out: on PostgreSQL a
bid could name a job that does not exist. SQLite made it with the table. This adds it
where it is missing (a bid already naming a missing job is unlinked from it first: the key
could not be made otherwise, and the bid itself is kept).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NAME = "fk_bids_job_id_jobs"


def _has_key() -> bool:
    keys = sa.inspect(op.get_bind()).get_foreign_keys("bids")
    return any(key["referred_table"] == "jobs" and key["constrained_columns"] == ["job_id"] for key in keys)


def upgrade() -> None:
    if _has_key():
        return
    op.execute(
        "UPDATE bids SET job_id = NULL WHERE job_id IS NOT NULL AND job_id NOT IN (SELECT id FROM jobs)"
    )
    op.create_foreign_key(NAME, "bids", "jobs", ["job_id"], ["id"])


def downgrade() -> None:
    # Only PostgreSQL got the key here (SQLite made it with the table in 0001, and keeps it);
    # left in place, 0001's downgrade could not drop ``jobs``.
    if op.get_bind().dialect.name == "postgresql" and _has_key():
        op.drop_constraint(NAME, "bids", type_="foreignkey")
