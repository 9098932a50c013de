"""The queue's questions asked on every round trip read an index, never the whole queue.

A full sync asks them once per message: a question that walks the queued items costs
time in proportion to the queue, so a long first sync would slow down as the square of
its length. SQLite's own query plan says which index answers (no timing here).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.sql import Select

from desktop_app.db.open import open_database
from desktop_app.db.sync_models import SyncItem


def _plan(tmp_path: Path, query: Select[tuple[int]]) -> str:
    db = open_database(f"sqlite:///{tmp_path / 'plan.sqlite'}")
    try:
        with db.reader() as uow:
            sql = str(
                query.compile(dialect=uow.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
            )
            rows = uow.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    finally:
        db.dispose()
    return " / ".join(str(row[-1]) for row in rows)


def test_whether_a_refused_message_left_an_isolation_group_is_read_from_its_own_index(tmp_path: Path) -> None:
    # The planner's first question for every batch (``planner._next_isolation_group``).
    plan = _plan(tmp_path, select(SyncItem.id).where(SyncItem.isolation.is_not(None)).limit(1))
    assert "ix_sync_items_isolation" in plan, plan
    assert "SCAN" not in plan, plan
