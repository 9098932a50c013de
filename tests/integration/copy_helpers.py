"""A synced company in a SQLite file, and a record-by-record comparison of two databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.db.base import Base
from desktop_app.db.open import open_database
from desktop_app.db.uow import Database
from desktop_app.demo import CompanySize, generate_company
from desktop_app.services import sync_queue
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session

#: Smaller than the sync-engine issue's realistic company (200/300/100/1000/800), which takes
#: about a minute to generate; every kind of record and link is still there.
COMPANY = CompanySize(customers=30, jobs=45, items=15, invoices=90, payments=60)


def synced_company(path: Path, size: CompanySize = COMPANY) -> str:
    """A generated company in a SQLite file, sent to a simulated QuickBooks (links included)."""
    url = f"sqlite:///{path}"
    db = open_database(url)
    try:
        generate_company(db, size, seed=11)
        with db.uow() as uow:
            sync_queue.send_everything_pending(uow)
            uow.commit()
        report = run_session(SyncEngine(db), QuickBooksCompany())
        assert report.percent == 100 and not report.broken
    finally:
        db.dispose()
    return url


def records(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with db.reader() as uow:
        for table in Base.metadata.sorted_tables:
            rows = uow.session.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows]
    return result
