"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL when asked)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Without a display Qt aborts the process; offscreen renders into memory instead.
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import text

from desktop_app.db.base import Base
from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor, Database

POSTGRES_ENV = "JOBDESK_TEST_POSTGRES_URL"
ADMIN = Actor(name="Ada Admin", role="admin", user_id=None)
OFFICE = Actor(name="Olly Office", role="office", user_id=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV, ""),
        help=f"run database tests against this PostgreSQL URL (or set {POSTGRES_ENV})",
    )


def postgres_url(config: pytest.Config) -> str:
    return str(config.getoption("--postgres-url") or "")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy of the file (fast, isolated)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    database = open_database(f"sqlite:///{path}")
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_migrated(request: pytest.FixtureRequest) -> str:
    url = postgres_url(request.config)
    _drop_postgres_schema(url)  # a throw-away test database: always start from a fresh schema
    database = open_database(url)
    database.dispose()
    return url


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated company database; PostgreSQL when --postgres-url is given."""
    if postgres_url(request.config):
        url: str = request.getfixturevalue("_postgres_migrated")
        _reset_postgres(url)
        return url
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "company.sqlite"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _drop_postgres_schema(url: str) -> None:
    from desktop_app.db.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _reset_postgres(url: str) -> None:
    from desktop_app.db.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Always SQLite, even in the PostgreSQL run: for behaviour that exists only on SQLite."""
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "single-pc.sqlite"
    shutil.copyfile(template, target)
    database = open_database(f"sqlite:///{target}")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def admin() -> Actor:
    return ADMIN


@pytest.fixture
def office() -> Actor:
    return OFFICE
