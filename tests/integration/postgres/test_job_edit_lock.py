"""A job edit and a progress invoice of the same job at once: the job's row lock serves them in turn.

Without the lock each would decide on what the other is changing: the edit on the
invoices before the new one, the invoice on the total before the edit, and the job would
end up invoiced past its total.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_app.db.open import open_database
from desktop_app.errors import ValidationError
from desktop_app.services import invoices, jobs
from desktop_app.services.invoice_queries import job_invoicing_summary
from desktop_app.services.lines import LineInput
from tests.integration.postgres.test_concurrency import (
    ADMIN,
    _customer_and_job,
    _dispose,
    _progress_on,
    _users,
    _wait_until_blocked,
)

pytestmark = pytest.mark.postgres

HALF = (LineInput(quantity="1", description="Work", rate="500.00", taxable=False),)


def test_an_edit_waits_for_a_progress_invoice_and_is_then_refused(pg_url: str) -> None:
    db = open_database(pg_url)
    _progress_on(db)
    _, job = _customer_and_job(db)  # 1,000.00
    users = _users(pg_url, 2)
    invoiced = threading.Event()
    release = threading.Event()

    def bill() -> str:
        with users[0].uow(ADMIN) as uow:
            created = invoices.create_progress_invoice(uow, job.id, percent="100")
            invoiced.set()
            assert release.wait(20)
            uow.commit()
        return created.number

    def edit() -> None:
        assert invoiced.wait(20)
        with users[1].uow(ADMIN) as uow:
            jobs.update_job(uow, job.id, job.version, replace(job.to_fields(), lines=HALF))
            uow.commit()

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(bill)
            second = pool.submit(edit)
            _wait_until_blocked(db)  # the edit waits on the job's row lock
            release.set()
            assert first.result(30)
            with pytest.raises(ValidationError, match=r"invoiced for \$1,000\.00"):
                second.result(30)
        with db.reader() as uow:
            summary = job_invoicing_summary(uow, job.id)
        assert (summary.job_total, summary.invoiced) == (Decimal("1000.00"), Decimal("1000.00"))
    finally:
        _dispose(users)
        db.dispose()


def test_a_progress_invoice_waits_for_an_edit_and_bills_the_new_total(pg_url: str) -> None:
    db = open_database(pg_url)
    _progress_on(db)
    _, job = _customer_and_job(db)
    users = _users(pg_url, 2)
    edited = threading.Event()
    release = threading.Event()

    def edit() -> None:
        with users[0].uow(ADMIN) as uow:
            jobs.update_job(uow, job.id, job.version, replace(job.to_fields(), lines=HALF))
            edited.set()
            assert release.wait(20)
            uow.commit()

    def bill() -> Decimal:
        assert edited.wait(20)
        with users[1].uow(ADMIN) as uow:
            created = invoices.create_progress_invoice(uow, job.id, percent="100")
            uow.commit()
        return created.total

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(edit)
            second = pool.submit(bill)
            _wait_until_blocked(db)  # the invoice waits on the job's row lock
            release.set()
            first.result(30)
            assert second.result(30) == Decimal("500.00")
        with db.reader() as uow:
            summary = job_invoicing_summary(uow, job.id)
        assert summary.remaining_to_invoice == Decimal("0.00")
    finally:
        _dispose(users)
        db.dispose()
