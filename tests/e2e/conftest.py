"""The sync-engine issue's realistic company, generated once per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.db.open import open_database
from desktop_app.db.uow import Database
from desktop_app.demo import CompanySize, generate_company

#: The sync-engine issue's realistic company.
REALISTIC = CompanySize(customers=200, jobs=300, items=100, invoices=1000, payments=800)


@pytest.fixture(scope="session")
def realistic_template(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("realistic") / "company.sqlite"
    shutil.copyfile(_sqlite_template, path)
    database = open_database(f"sqlite:///{path}")
    counts = generate_company(database, REALISTIC, seed=7)
    database.dispose()
    assert counts["customers"] == 200 and counts["jobs"] == 300 and counts["items"] == 100
    assert counts["invoices"] >= 950 and counts["payments"] >= 750, counts
    return path


@pytest.fixture
def realistic(realistic_template: Path, tmp_path: Path) -> Iterator[Database]:
    target = tmp_path / "company.sqlite"
    shutil.copyfile(realistic_template, target)
    database = open_database(f"sqlite:///{target}")
    yield database
    database.dispose()
