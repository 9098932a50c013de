"""Moving a synced SQLite company to PostgreSQL: identical records and totals afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app import cli
from desktop_app.db import copy as copying
from desktop_app.db.models import Customer, Invoice, Payment, QbLink
from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor
from desktop_app.services import invoices
from tests.integration import service_helpers as make
from tests.integration.copy_helpers import records, synced_company

pytestmark = pytest.mark.postgres

ADMIN = Actor(name="Ada Admin", role="admin")


@pytest.fixture(scope="module")
def company_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("to-postgres") / "company.sqlite"
    synced_company(path)
    return path


def test_a_synced_sqlite_company_moves_to_postgresql_identically(
    company_file: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = hashlib.sha256(company_file.read_bytes()).hexdigest()
    source_url = f"sqlite:///{company_file}"
    assert cli.main(["migrate-database", "--database", source_url, "--to", pg_url]) == 0
    assert "Copied" in capsys.readouterr().out
    assert hashlib.sha256(company_file.read_bytes()).hexdigest() == before, "the SQLite file is untouched"

    source, target = open_database(source_url), open_database(pg_url)
    try:
        assert records(target) == records(source)
        for db in (source, target):
            with db.reader() as uow:
                assert uow.session.scalar(select(func.count()).select_from(QbLink))
        totals = []
        for db in (source, target):
            with db.reader() as uow:
                totals.append(
                    (
                        uow.session.scalar(select(func.sum(Invoice.total))),
                        uow.session.scalar(select(func.sum(Payment.amount))),
                    )
                )
        assert totals[0] == totals[1]
        # Ids continue after the copied ones (sequences were moved on); numbers too.
        with target.reader() as uow:
            highest = uow.session.scalar(select(func.max(Customer.id)))
            last_invoice = uow.session.scalar(select(func.max(Invoice.id)))
        with target.uow(ADMIN) as uow:
            customer = make.customer(uow, "New After Move")
            job = make.job(uow, customer.id)
            invoice = invoices.create_invoice(uow, job.id)
            uow.commit()
        assert customer.id == (highest or 0) + 1 and invoice.id == (last_invoice or 0) + 1
    finally:
        source.dispose()
        target.dispose()

    # The target now holds a company: a second copy is refused.
    assert cli.main(["migrate-database", "--database", source_url, "--to", pg_url]) == 2
    assert "not empty" in capsys.readouterr().err


def test_a_copy_that_does_not_match_is_refused(
    company_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copy = copying._copy_tables

    def lossy(src, dst, tables):  # type: ignore[no-untyped-def]
        real_copy(src, dst, tables)
        table = next(t for t in tables if t.name == "payment_applications")
        first = dst.scalar(select(func.min(table.c.id)))
        dst.execute(table.delete().where(table.c.id == first))

    monkeypatch.setattr(copying, "_copy_tables", lossy)
    with pytest.raises(copying.CopyMismatchError, match="payment_applications"):
        copying.copy_database(f"sqlite:///{company_file}", pg_url)
