"""Several apps starting at once migrate once; a lost server reads as "database unavailable"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import ADVISORY_LOCK_KEY, head_revision
from desktop_app.db.models import Setting
from desktop_app.db.open import open_database
from desktop_app.db.uow import Database
from desktop_app.errors import DatabaseUnavailable

pytestmark = pytest.mark.postgres


def _tables(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                )
                or 0
            )
    finally:
        engine.dispose()


def test_two_apps_starting_together_migrate_once_behind_the_advisory_lock(fresh_pg_url: str) -> None:
    holder = create_db_engine(fresh_pg_url)
    env = {**os.environ, "JOBDESK_DATABASE_URL": fresh_pg_url}
    command = [sys.executable, "-m", "desktop_app", "upgrade-database"]
    try:
        with holder.connect() as lock:
            # Someone is migrating: both apps must wait for the lock, not migrate beside it.
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            lock.commit()
            apps = [
                subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)
            ]
            deadline = time.monotonic() + 60
            waiting = 0
            while time.monotonic() < deadline and waiting < 2:
                waiting = int(
                    lock.scalar(
                        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    )
                    or 0
                )
                lock.rollback()
                time.sleep(0.05)
            assert waiting == 2, "both apps wait on the migration lock"
            assert _tables(fresh_pg_url) == 0, "nobody migrated while the lock was held"
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            lock.commit()
            results = [app.communicate(timeout=120) for app in apps]
        assert [app.returncode for app in apps] == [0, 0], results
        db = open_database(fresh_pg_url, upgrade=False)
        try:
            with db.reader() as uow:
                versions = list(uow.session.scalars(text("SELECT version_num FROM alembic_version")))
                settings = uow.session.scalar(select(func.count()).select_from(Setting))
            assert versions == [head_revision()]
            assert settings is not None
        finally:
            db.dispose()
    finally:
        holder.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_reported_as_database_unavailable(pg_url: str) -> None:
    url = f"postgresql+psycopg://jobdesk@127.0.0.1:{_closed_port()}/jobdesk"
    db = Database(create_db_engine(url, connect_args={"connect_timeout": 2}))
    try:
        with pytest.raises(DatabaseUnavailable, match="not available"), db.uow() as uow:
            uow.session.scalar(select(Setting.key).limit(1))
        with pytest.raises(DatabaseUnavailable), db.reader() as uow:
            uow.session.get(Setting, "company.name")
    finally:
        db.dispose()


def test_a_connection_lost_mid_session_is_reported_and_the_next_unit_of_work_recovers(pg_url: str) -> None:
    db = open_database(pg_url)
    killer = open_database(pg_url, upgrade=False)
    try:
        with pytest.raises(DatabaseUnavailable), db.uow() as uow:
            pid = uow.session.scalar(text("SELECT pg_backend_pid()"))
            with killer.engine.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                connection.commit()
            uow.session.get(Setting, "company.name")
            uow.commit()
        # The pool notices the dead connection (pre-ping): the retry works.
        with db.reader() as uow:
            assert uow.session.scalar(select(func.count()).select_from(Setting)) is not None
    finally:
        killer.dispose()
        db.dispose()
