"""The unit of work: nothing is saved unless committed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import AuditEntry, Customer
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict
from desktop_app.services import customers
from tests.integration import service_helpers as make


def _count(db: Database) -> int:
    with db.reader() as uow:
        return uow.session.scalar(select(func.count()).select_from(Customer)) or 0


def test_rolls_back_uncommitted_work_by_default(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make.customer(uow)
    assert _count(db) == 0
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_rolls_back_on_error(db: Database, admin: Actor) -> None:
    with pytest.raises(RuntimeError), db.uow(admin) as uow:
        make.customer(uow)
        raise RuntimeError("boom")
    assert _count(db) == 0


def test_committed_work_is_kept(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make.customer(uow)
        uow.commit()
    assert _count(db) == 1


def test_duplicate_racing_past_the_check_becomes_conflict(db: Database, admin: Actor) -> None:
    """Two saves of the same name: the unique index catches what the service check cannot."""
    with db.uow(admin) as uow:
        make.customer(uow, "Twin")
        uow.commit()
    with db.uow(admin) as uow:
        uow.session.add(Customer(display_name="TWIN", display_name_key="twin"))
        with pytest.raises(Conflict):
            uow.commit()
    assert _count(db) == 1
    with db.reader() as uow:
        assert customers.list_customers(uow).rows[0].display_name == "Twin"


def test_a_company_file_is_opened_for_many_small_commits(sqlite_db: Database) -> None:
    from desktop_app.db.engine import WAL_CHECKPOINT_PAGES

    with sqlite_db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL: safe with WAL, no sync per commit
        assert pragma("PRAGMA wal_autocheckpoint").scalar() == WAL_CHECKPOINT_PAGES > 1000
        assert pragma("PRAGMA foreign_keys").scalar() == 1
