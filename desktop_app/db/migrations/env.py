"""Alembic environment: JobDesk runs migrations from code (``desktop_app.db.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from desktop_app.db import all_models
from desktop_app.db.base import Base
from desktop_app.errors import JobDeskError

config = context.config
target_metadata = Base.metadata
all_models.load()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise JobDeskError(
            "JobDesk could not update this company file: after the update, records in "
            f"{tables} would point at records that are not there. Nothing was changed: the file "
            "is as it was. Keep it, and contact support with this message."
        )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("JobDesk migrations run through desktop_app.db.migrate, with a connection")
    # SQLite drops a column by rebuilding the table (batch mode): with foreign keys on,
    # dropping the old table fails as soon as another table's rows point at it (alerts at
    # queue items). As SQLite's own recipe for such changes says, the keys are switched off
    # around the migration (possible only outside a transaction: a caller that has one open
    # keeps them on), checked before the commit, and switched on again.
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if raw is None or connection.in_transaction():
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        # One transaction for every revision and the check, begun before alembic looks (it
        # then commits nothing itself; on SQLite it would commit each revision on its own):
        # a failure leaves the file as it was.
        with connection.begin():
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            _check_foreign_keys(connection)
    finally:
        raw.execute("PRAGMA foreign_keys=ON")  # the connection goes back to the pool


run_migrations_online()
