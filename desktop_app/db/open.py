"""Opening a company database: connect, upgrade the schema, make sure defaults exist."""

from __future__ import annotations

from desktop_app.db import all_models
from desktop_app.db.defaults import ensure_defaults
from desktop_app.db.engine import create_db_engine, resolve_database_url
from desktop_app.db.migrate import upgrade_to_head
from desktop_app.db.uow import Database
from desktop_app.errors import Conflict


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """The company database at ``url`` (or the configured one), ready to use."""
    all_models.load()
    engine = create_db_engine(resolve_database_url(url))
    if upgrade:
        upgrade_to_head(engine)
    database = Database(engine)
    # Two apps starting together on one PostgreSQL company may both add the defaults; the
    # slower one's insert clashes on the unique name, and a second look finds them there.
    for attempt in range(3):
        try:
            with database.uow() as uow:
                ensure_defaults(uow)
                uow.commit()
            break
        except Conflict:
            if attempt == 2:
                raise
    return database
