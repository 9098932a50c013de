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
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
