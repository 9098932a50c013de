"""Alembic environment: JobDesk runs migrations from code (``desktop_app.db.migrate``)."""

from __future__ import annotations

from alembic import context

from desktop_app.db import all_models
from desktop_app.db.base import Base

config = context.config
target_metadata = Base.metadata
all_models.load()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("JobDesk migrations run through desktop_app.db.migrate, with a connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    # SQLite drops a column by rebuilding the table (batch mode): with foreign keys on,
    # dropping the old table fails as soon as another table's rows point at it (alerts at
    # queue items). As SQLite's own recipe for such changes says, the keys are switched off
    # around the migration (possible only outside a transaction: a caller that has one open
    # keeps them on), checked before the commit, and switched on again.
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    switched = raw is not None and not connection.in_transaction()
    if switched and raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if raw is not None:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at missing rows: {broken[:5]}")
        if switched and connection.in_transaction():
            connection.commit()  # (SQLite's DDL is not run in alembic's own transaction)
    except BaseException:
        if switched and connection.in_transaction():
            connection.rollback()
        raise
    finally:
        if switched and raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")  # the connection goes back to the pool


run_migrations_online()
