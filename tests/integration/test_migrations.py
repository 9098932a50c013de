"""Schema migrations on SQLite: empty → head, refusing newer databases, backups first."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from desktop_app.db import all_models, migrate
from desktop_app.db.base import Base
from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import DatabaseTooNew, head_revision, upgrade_to_head
from desktop_app.db.open import open_database


def _dump(path: Path) -> list[tuple[str, ...]]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())  # type: ignore[arg-type]
    finally:
        connection.close()


def test_empty_database_migrates_to_head_matching_the_models(tmp_path: Path) -> None:
    all_models.load()
    engine = create_db_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    try:
        backup = upgrade_to_head(engine)
        assert backup is None, "a brand-new database has nothing to back up"
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == head_revision()
            )
            tables = set(inspect(connection).get_table_names())
            assert {t.name for t in Base.metadata.sorted_tables} <= tables
            # The migration and the models describe the same schema: nothing left to autogenerate.
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
        assert upgrade_to_head(engine) is None, "upgrading an up-to-date database is a no-op"
    finally:
        engine.dispose()


def test_database_from_a_newer_version_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "company.sqlite"
    open_database(f"sqlite:///{path}").dispose()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    connection.execute("INSERT INTO settings (key, value) VALUES ('company.name', 'Future Co')")
    connection.commit()
    connection.close()
    before = _dump(path)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseTooNew, match="newer version of JobDesk"):
            upgrade_to_head(engine, backup_dir=tmp_path / "backups")
    finally:
        engine.dispose()
    assert _dump(path) == before
    assert not (tmp_path / "backups").exists()


NEXT_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9999_test_next"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("test_upgrade_marker", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("test_upgrade_marker")
"""


def test_upgrading_an_existing_file_makes_a_backup_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "company.sqlite"
    open_database(f"sqlite:///{path}").dispose()
    connection = sqlite3.connect(path)
    connection.execute("INSERT INTO settings (key, value) VALUES ('company.name', 'Backed Up Co')")
    connection.commit()
    connection.close()
    shipped_head = head_revision()
    # A newer JobDesk: the shipped migrations plus one more revision.
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_test_next.py").write_text(NEXT_REVISION.format(head=shipped_head))

    def newer_config() -> Config:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        return config

    monkeypatch.setattr(migrate, "alembic_config", newer_config)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        backup = upgrade_to_head(engine, backup_dir=tmp_path / "backups")
    finally:
        engine.dispose()
    assert backup is not None and backup.parent == tmp_path / "backups" and backup.exists()
    saved = sqlite3.connect(backup)
    try:
        # The copy is the file as it was before the upgrade, with the user's data in it.
        assert saved.execute("SELECT version_num FROM alembic_version").fetchone() == (shipped_head,)
        assert saved.execute("SELECT value FROM settings WHERE key = 'company.name'").fetchone() == (
            "Backed Up Co",
        )
        tables = {row[0] for row in saved.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "test_upgrade_marker" not in tables
    finally:
        saved.close()
    upgraded = sqlite3.connect(path)
    try:
        assert upgraded.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_test_next",)
        assert upgraded.execute("SELECT value FROM settings WHERE key = 'company.name'").fetchone() == (
            "Backed Up Co",
        )
    finally:
        upgraded.close()


def _database_at(tmp_path: Path, revision: str, rows: list[dict[str, object]]) -> Engine:
    """A database file migrated only as far as ``revision``, holding queue items ``rows``
    (entity_id, state, isolation) as a JobDesk of that time would have written them."""
    from alembic import command

    engine = create_db_engine(f"sqlite:///{tmp_path / f'at-{revision}.sqlite'}")
    with engine.begin() as connection:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        isolation = ", isolation" if any("isolation" in row for row in rows) else ""
        for row in rows:
            connection.execute(
                text(
                    "INSERT INTO sync_items (entity_type, entity_id, action, state, phase, rank, urgent, "
                    "attempts, request_xml, response_xml, status_message, note, depends_on, sent_context, "
                    f"iterator_id{isolation}, created_at, updated_at) VALUES ('customer', :entity_id, "
                    f"'upsert', :state, '', 20, 0, 0, '', '', '', '', '[]', '{{}}', ''"
                    f"{', :isolation' if isolation else ''}, '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                row,
            )
    return engine


def test_a_database_of_the_first_schema_upgrades_with_its_queue_kept(tmp_path: Path) -> None:
    engine = _database_at(tmp_path, "0001", [{"entity_id": 7, "state": "queued"}])
    try:
        assert upgrade_to_head(engine, backup_dir=tmp_path / "backups") is not None
        with engine.connect() as connection:
            indexes = {ix["name"]: ix["column_names"] for ix in inspect(connection).get_indexes("sync_items")}
            assert "ix_sync_items_state" not in indexes
            assert indexes["ix_sync_items_order"] == ["state", "rank", "id", "next_attempt_at"]
            assert connection.execute(text("SELECT entity_id FROM sync_items")).scalars().all() == [7]
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
    finally:
        engine.dispose()


def test_items_out_of_the_queue_leave_their_isolation_group_on_upgrade(tmp_path: Path) -> None:
    states = ("done", "cancelled", "queued", "sent")
    rows: list[dict[str, object]] = [
        {"entity_id": n, "state": state, "isolation": "12a"} for n, state in enumerate(states, start=1)
    ]
    engine = _database_at(tmp_path, "0007", rows)
    try:
        assert upgrade_to_head(engine, backup_dir=tmp_path / "backups") is not None
        with engine.connect() as connection:
            grouped = connection.execute(
                text("SELECT state FROM sync_items WHERE isolation IS NOT NULL ORDER BY entity_id")
            ).scalars()
            # Only items still in the queue keep the group a refused message gave them.
            assert list(grouped) == ["queued", "sent"]
    finally:
        engine.dispose()


def _alert_on_the_queue_item(engine: Engine) -> None:
    with engine.begin() as connection:
        item = connection.execute(text("SELECT id FROM sync_items")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO sync_alerts (sync_item_id, entity_type, entity_id, record_label, kind, "
                "qb_message, message, tried, resolutions, data, state, resolution, resolved_by, created_at, "
                "updated_at) "
                "VALUES (:item, 'customer', 7, 'Customer 7', 'error', '', 'Refused.', '', 'retry', '{}', "
                "'open', '', '', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
            ),
            {"item": item},
        )


def test_a_queue_with_an_open_alert_upgrades_and_downgrades(tmp_path: Path) -> None:
    """SQLite drops a column by rebuilding the table: with an alert pointing at a queue item,
    dropping the old sync_items failed on the foreign key (0010's upgrade, and downgrades).
    The keys are off around the migration only: checked, and on again for the connection."""
    from alembic import command

    engine = _database_at(tmp_path, "0009", [{"entity_id": 7, "state": "attention"}])
    _alert_on_the_queue_item(engine)
    try:
        assert upgrade_to_head(engine, backup_dir=tmp_path / "backups") is not None
        for revision in ("0010", "head"):
            with engine.connect() as connection:
                config = migrate.alembic_config()
                config.attributes["connection"] = connection
                (command.downgrade if revision == "0010" else command.upgrade)(config, revision)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM sync_alerts")).scalar_one() == 1
            assert connection.execute(text("SELECT entity_id FROM sync_items")).scalars().all() == [7]
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
