"""Copying a company to another database (SQLite → SQLite here; → PostgreSQL in postgres/)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.db.copy import CopyError, TargetNotEmptyError, copy_database
from desktop_app.db.open import open_database
from tests.integration.copy_helpers import records, synced_company


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def company_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "company.sqlite"
    synced_company(path)
    return path


def test_a_company_is_copied_exactly_and_the_source_is_untouched(company_file: Path, tmp_path: Path) -> None:
    before = _digest(company_file)
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    report = copy_database(f"sqlite:///{company_file}", target)
    assert _digest(company_file) == before
    assert report.table("qb_links").rows > 0 and report.table("invoices").money["total"] > 0
    source_db, target_db = open_database(f"sqlite:///{company_file}"), open_database(target)
    try:
        assert records(target_db) == records(source_db)
    finally:
        source_db.dispose()
        target_db.dispose()
    assert _digest(company_file) == before
    with pytest.raises(TargetNotEmptyError, match="not empty"):
        copy_database(f"sqlite:///{company_file}", target)


def test_the_command_line_reports_the_copy_and_refuses_a_missing_source(
    company_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    assert cli.main(["migrate-database", "--database", f"sqlite:///{company_file}", "--to", target]) == 0
    out = capsys.readouterr().out
    assert "Copied" in out and "invoices:" in out and "total" in out
    missing = f"sqlite:///{tmp_path / 'missing.sqlite'}"
    assert cli.main(["migrate-database", "--database", missing, "--to", target]) == 2
    assert "no company database" in capsys.readouterr().err
    assert not (tmp_path / "missing.sqlite").exists()


def test_copying_a_database_onto_itself_is_refused(company_file: Path) -> None:
    with pytest.raises(CopyError, match="same database"):
        copy_database(f"sqlite:///{company_file}", f"sqlite:///{company_file}")
