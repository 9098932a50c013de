"""PostgreSQL-only tests: real parallel connections, the migration lock, the SQLite → PostgreSQL copy.

They run when a URL is given (``--postgres-url`` or ``JOBDESK_TEST_POSTGRES_URL``) and are
skipped, saying why, when not; CI runs them against a throw-away cluster (.ci/postgres.sh).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from desktop_app.db.engine import create_db_engine
from tests.conftest import postgres_url

SKIP_REASON = (
    "needs a PostgreSQL server: run pytest with --postgres-url "
    "postgresql+psycopg://user@host:port/database (or set JOBDESK_TEST_POSTGRES_URL)"
)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty PostgreSQL company database (every table truncated)."""
    if not postgres_url(request.config):
        pytest.skip(SKIP_REASON)
    url: str = request.getfixturevalue("database_url")
    return url


@pytest.fixture
def fresh_pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A brand-new PostgreSQL database with no schema at all, dropped afterwards."""
    base = postgres_url(request.config)
    if not base:
        pytest.skip(SKIP_REASON)
    parsed = make_url(base)
    name = f"{parsed.database}_fresh"
    admin = create_db_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
