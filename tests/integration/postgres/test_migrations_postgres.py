"""PostgreSQL: a database migrated from nothing has exactly the schema the models declare
(every table, column, index and foreign key), as the SQLite one does (test_migrations)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import alembic_config, upgrade_to_head
from desktop_app.db.models import Base


def test_a_new_postgresql_database_has_the_schema_of_the_models(fresh_pg_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(fresh_pg_url)
    try:
        upgrade_to_head(engine, backup_dir=tmp_path / "backups")
        with engine.connect() as connection:
            keys = inspect(connection).get_foreign_keys("bids")
            assert any(key["referred_table"] == "jobs" for key in keys)  # 0001 left it out here
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_a_postgresql_database_downgrades_to_the_empty_schema(fresh_pg_url: str) -> None:
    """Every migration undoes what it did there (0012's key too, else 0001 cannot drop jobs)."""
    engine = create_db_engine(fresh_pg_url)
    try:
        for verb, revision in (("upgrade", "head"), ("downgrade", "base")):
            with engine.connect() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                getattr(command, verb)(config, revision)
                connection.commit()
        assert inspect(engine).get_table_names() == ["alembic_version"]
    finally:
        engine.dispose()
