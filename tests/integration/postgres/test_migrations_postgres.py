"""PostgreSQL: a database migrated from nothing has exactly the schema the models declare
(every table, column, index and foreign key), as the SQLite one does (test_migrations)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import upgrade_to_head
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
