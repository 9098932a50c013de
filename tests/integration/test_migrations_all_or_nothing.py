"""An upgrade of a SQLite company file is all or nothing, also now that the migrations
switch its foreign keys off around themselves (env.py): two revisions after the shipped
head, the first adds a table, the second fails, or leaves a row pointing at nothing. The
file stays at the revision it had (an older JobDesk still opens it), nothing broken is
saved, and the connection goes back to the pool with its foreign keys on."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from desktop_app.cli import main
from desktop_app.db import migrate
from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import DatabaseUpgradeFailed, head_revision, upgrade_to_head
from desktop_app.db.open import open_database
from desktop_app.errors import DatabaseUnavailable, JobDeskError

FIRST = """
from alembic import op
import sqlalchemy as sa

revision = "9998_first"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("review_marker", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("review_marker")
"""

SECOND = """
from alembic import op
import sqlalchemy as sa

revision = "9999_second"
down_revision = "9998_first"
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
"""

FAILS = """    op.execute("INSERT INTO settings (key, value) VALUES ('half.way', 'x')")
    raise RuntimeError("a migration failing half way")"""

ORPHAN = """    op.execute(
        "INSERT INTO sync_alerts (sync_item_id, entity_type, entity_id, record_label, kind, "
        "qb_message, message, tried, resolutions, data, state, resolution, resolved_by, created_at, "
        "updated_at) VALUES (424242, 'customer', 7, 'Customer 7', 'error', '', 'x', '', 'retry', "
        "'{{}}', 'open', '', '', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
    )"""


def _newer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    path = tmp_path / "company.sqlite"
    open_database(f"sqlite:///{path}").dispose()
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9998_first.py").write_text(FIRST.format(head=head_revision()))
    (scripts / "versions" / "9999_second.py").write_text(SECOND.format(body=body))

    def newer_config() -> Config:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        return config

    monkeypatch.setattr(migrate, "alembic_config", newer_config)
    return path


def _revision(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        connection.close()


def test_a_failed_upgrade_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = head_revision()
    path = _newer(tmp_path, monkeypatch, FAILS)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        # A typed error in words (the app's start and the command line show it), naming the
        # step's reason and the copy made first; the original stays attached for the log.
        with pytest.raises(DatabaseUpgradeFailed, match="a migration failing half way") as raised:
            upgrade_to_head(engine, backup_dir=tmp_path / "backups")
        assert "Nothing was changed" in str(raised.value)
        assert str(tmp_path / "backups") in str(raised.value)
        assert isinstance(raised.value.__cause__, RuntimeError)
        # The connection given back to the pool has its foreign keys on again.
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        engine.dispose()
    # All or nothing: the file is still at the revision it had (an older JobDesk opens it).
    assert _revision(path) == shipped


def test_rows_pointing_at_nothing_are_caught_before_anything_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = head_revision()
    path = _newer(tmp_path, monkeypatch, ORPHAN)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(JobDeskError, match="point at records that are not there"):
            upgrade_to_head(engine, backup_dir=tmp_path / "backups")
        # "checked before the commit": the broken row must not be in the file, and the next
        # start must not find the file at head with the row in it and say nothing.
        check = sqlite3.connect(path)
        try:
            orphans = check.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            check.close()
        assert orphans == []
        assert _revision(path) == shipped
    finally:
        engine.dispose()


def test_upgrade_database_says_in_words_that_a_step_failed_and_nothing_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = head_revision()
    path = _newer(tmp_path, monkeypatch, FAILS)
    assert main(["--database", f"sqlite:///{path}", "upgrade-database"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("JobDesk: This company database could not be updated")
    assert "a migration failing half way" in err and "Nothing was changed" in err
    assert "Traceback" not in err
    assert _revision(path) == shipped


def test_a_database_busy_during_the_upgrade_is_said_to_be_busy_not_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another JobDesk holding the file's write lock past the wait: try again, nothing failed."""
    shipped = head_revision()
    path = _newer(tmp_path, monkeypatch, FAILS)

    def locked(config: Config, revision: str) -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(migrate.command, "upgrade", locked)
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseUnavailable, match="not available right now"):
            upgrade_to_head(engine, backup_dir=tmp_path / "backups")
    finally:
        engine.dispose()
    assert _revision(path) == shipped
