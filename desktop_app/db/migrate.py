"""Bringing a database to the schema this version of JobDesk expects.

At start the app upgrades the database to head. Before touching a SQLite file that
needs upgrading, it copies the file (SQLite's online backup) into ``backups/`` beside
it, so nothing a user saved can be lost to a failed migration. A database written by
a newer JobDesk is refused: an old app must not guess at a schema it does not know.
On PostgreSQL an advisory lock makes two apps starting together migrate only once.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from desktop_app.db.engine import sqlite_path
from desktop_app.db.uow import as_unavailable
from desktop_app.errors import JobDeskError

MIGRATIONS = Path(__file__).with_name("migrations")
#: Any constant will do; it only has to be the same for every JobDesk process.
ADVISORY_LOCK_KEY = 7_244_101

log = logging.getLogger(__name__)


class DatabaseTooNew(JobDeskError):
    """The database was written by a newer JobDesk."""


class DatabaseUpgradeFailed(JobDeskError):
    """A step of bringing the database up to date failed; the database is as it was."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine, *, backup_dir: Path | None = None) -> Path | None:
    """Migrate to head; returns the backup file made first, if any."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    with engine.connect() as connection, _migration_lock(connection):
        current = current_revision(connection)
        if current == head:
            return None
        if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
            raise DatabaseTooNew(
                "This database was last opened by a newer version of JobDesk. Install the "
                "newest JobDesk on this computer to open it; nothing in it was changed."
            )
        backup = _backup_sqlite(engine, current, backup_dir) if current is not None else None
        # The migrations start their own transaction (on SQLite they switch foreign keys off
        # around it, which SQLite allows only outside one: ``migrations/env.py``).
        connection.commit()
        config = alembic_config()
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except JobDeskError:
            raise  # already says what happened, in words a person can act on
        except OperationalError as error:
            busy = as_unavailable(error)  # locked or unreachable: try again, nothing is wrong with it
            if busy is not error:
                raise busy from error
            log.exception("upgrading the database from %s to %s failed", current, head)
            raise DatabaseUpgradeFailed(_failure_message(error, backup)) from error
        except Exception as error:
            # Every revision runs in one transaction (``migrations/env.py``): nothing is kept.
            log.exception("upgrading the database from %s to %s failed", current, head)
            raise DatabaseUpgradeFailed(_failure_message(error, backup)) from error
        connection.commit()
        return backup


def _failure_message(error: Exception, backup: Path | None) -> str:
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    copy = f" A copy made before the update is in {backup}." if backup is not None else ""
    return (
        "This company database could not be updated for this version of JobDesk: a step of the "
        f"update failed ({reason}). Nothing was changed: the database is as it was, and the JobDesk it "
        f"worked with before still opens it.{copy} Keep it, and contact support with this message "
        "(the details are in JobDesk's log)."
    )


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()


def _backup_sqlite(engine: Engine, revision: str | None, backup_dir: Path | None) -> Path | None:
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None or not path.exists():
        return None
    folder = backup_dir or path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}-before-upgrade-{stamp}-{revision}.sqlite"
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target
