"""`python -m desktop_app` and its subcommands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.cli import main
from desktop_app.db.models import Customer, Invoice, Job, Payment
from desktop_app.db.open import open_database


def _company(url: str) -> tuple[object, ...]:
    database = open_database(url)
    try:
        with database.reader() as uow:
            s = uow.session
            return (
                tuple(s.scalars(select(Customer.display_name).order_by(Customer.id))),
                tuple(s.execute(select(Job.number, Job.name, Job.status).order_by(Job.id))),
                tuple(s.execute(select(Invoice.number, Invoice.total, Invoice.status).order_by(Invoice.id))),
                tuple(s.execute(select(Payment.amount, Payment.method).order_by(Payment.id))),
            )
    finally:
        database.dispose()


def test_seed_demo_fills_an_empty_company_the_same_way_for_the_same_seed(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("compares two fresh SQLite files")
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert main(["seed-demo", "--database", database_url, "--seed", "4"]) == 0
    assert main(["seed-demo", "--database", other, "--seed", "4"]) == 0
    assert "Demo company created" in capsys.readouterr().out
    first, second = _company(database_url), _company(other)
    assert first == second
    customers, jobs, invoices, payments = first
    assert len(customers) == 40 and len(jobs) == 60 and len(invoices) >= 60 and len(payments) >= 30
    assert {status for _, _, status in jobs} >= {"finished", "in_progress", "cancelled"}


def test_seed_demo_refuses_a_company_that_has_data(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo", "--database", database_url]) == 0
    before = _company(database_url)
    assert main(["seed-demo", "--database", database_url]) == 2
    assert "already has customers" in capsys.readouterr().err
    assert _company(database_url) == before


def test_seed_demo_scale_multiplies_the_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.sqlite'}"
    assert main(["seed-demo", "--database", url, "--scale", "2"]) == 0
    customers, jobs, _, _ = _company(url)
    assert (len(customers), len(jobs)) == (80, 120)
    assert main(["seed-demo", "--database", url, "--scale", "0"]) == 2


def test_help_lists_the_subcommands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("seed-demo", "migrate-database", "upgrade-database", "--database", "--demo"):
        assert command in result.stdout


def test_without_a_display_the_app_says_so_plainly(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database", f"sqlite:///{tmp_path / 'x.sqlite'}"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if sys.platform == "win32":
        pytest.skip("Windows always has a display")
    assert result.returncode == 2
    assert "no display" in result.stderr and "python run.py server" in result.stderr
    assert "Traceback" not in result.stderr
