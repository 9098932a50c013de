"""A realistic company syncs completely: engine ↔ QuickBooks simulator, no HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop_app.db.open import open_database
from desktop_app.db.uow import Database
from desktop_app.demo import CompanySize, generate_company
from desktop_app.services import sync_queue
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.sync_compare import differences

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
def realistic(realistic_template: Path, tmp_path: Path) -> Database:
    target = tmp_path / "company.sqlite"
    shutil.copyfile(realistic_template, target)
    database = open_database(f"sqlite:///{target}")
    yield database  # type: ignore[misc]
    database.dispose()


def test_a_realistic_company_syncs_completely_and_exactly(realistic: Database) -> None:
    with realistic.uow() as uow:
        queued = sync_queue.send_everything_pending(uow)
        uow.commit()
    assert queued > 2000
    qb = QuickBooksCompany()
    engine = SyncEngine(realistic)
    report = run_session(engine, qb)
    assert report.percent == 100 and not report.broken
    assert differences(realistic, qb) == []
    # Progress, deposit and multi-job invoices were all among them.
    assert len(qb.invoices) >= 900 and len(qb.payments) >= 750
    # A second sync sends nothing.
    requests_before = len(qb.log)
    second = run_session(engine, qb)
    assert second.round_trips == 0 and len(qb.log) == requests_before
