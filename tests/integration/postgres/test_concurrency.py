"""Several office users at once on one PostgreSQL database: real parallel connections.

Each "user" is a thread with its own connection pool (its own ``Database``), as each
desktop app has; PostgreSQL does the locking, so these tests show it is safe, not lucky.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import func, select, text

from desktop_app.db.models import Invoice, Job
from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, JobDeskError
from desktop_app.services import invoices, jobs, settings
from desktop_app.services.lines import LineInput
from tests.integration import service_helpers as make

pytestmark = pytest.mark.postgres

ADMIN = Actor(name="Ada Admin", role="admin")
T = TypeVar("T")
#: Each of two users creates this many jobs and invoices at the same moment.
PER_USER = 500


def _users(url: str, count: int) -> list[Database]:
    return [open_database(url, upgrade=False) for _ in range(count)]


def _dispose(databases: list[Database]) -> None:
    for database in databases:
        database.dispose()


def _in_parallel(work: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run every callable at the same instant (a barrier), each on its own thread."""
    barrier = threading.Barrier(len(work))

    def run(task: Callable[[], T]) -> T | BaseException:
        barrier.wait()
        try:
            return task()
        except BaseException as error:
            return error

    with ThreadPoolExecutor(len(work)) as pool:
        return list(pool.map(run, work))


def _wait_until_blocked(db: Database, waiting: int = 1, timeout: float = 10.0) -> None:
    """Until ``waiting`` other connections wait for a row lock (so the race is really on)."""
    deadline = time.monotonic() + timeout
    with db.engine.connect() as connection:
        while time.monotonic() < deadline:
            blocked = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            connection.rollback()
            if blocked and blocked >= waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second user never waited for the first one's lock")


def _customer_and_job(db: Database, *, total: str = "1000.00") -> tuple[int, jobs.JobDetail]:
    with db.uow(ADMIN) as uow:
        customer = make.customer(uow, "Concurrent Co")
        job = make.job(
            uow, customer.id, lines=(LineInput(quantity="1", description="Work", rate=total, taxable=False),)
        )
        uow.commit()
    return customer.id, job


# --- numbers ---------------------------------------------------------------------------------


def test_two_users_creating_500_invoices_each_at_once_get_1000_distinct_gapless_numbers(
    pg_url: str,
) -> None:
    setup = open_database(pg_url)
    try:
        with setup.uow(ADMIN) as uow:
            customer_id = make.customer(uow, "Busy Builders").id
            uow.commit()
    finally:
        setup.dispose()
    users = _users(pg_url, 2)

    def create_many(db: Database) -> list[tuple[str, str]]:
        made = []
        for n in range(PER_USER):
            with db.uow(ADMIN) as uow:
                job = make.job(uow, customer_id, name=f"Job {n}")
                invoice = invoices.create_invoice(uow, job.id)
                uow.commit()
            made.append((job.number, invoice.number))
        return made

    try:
        results = _in_parallel([lambda db=db: create_many(db) for db in users])  # type: ignore[misc]
    finally:
        _dispose(users)
    for result in results:
        assert not isinstance(result, BaseException), result
    made = [pair for result in results for pair in result]  # type: ignore[union-attr]
    job_numbers = [int(job) for job, _ in made]
    invoice_numbers = [int(invoice) for _, invoice in made]
    assert len(set(job_numbers)) == len(set(invoice_numbers)) == 2 * PER_USER
    # Every transaction committed, so "simple" numbering leaves no gaps at all.
    assert sorted(job_numbers) == list(range(min(job_numbers), min(job_numbers) + 2 * PER_USER))
    assert sorted(invoice_numbers) == list(range(min(invoice_numbers), min(invoice_numbers) + 2 * PER_USER))
    check = open_database(pg_url, upgrade=False)
    try:
        with check.reader() as uow:
            assert uow.session.scalar(select(func.count(func.distinct(Invoice.number)))) == 2 * PER_USER
    finally:
        check.dispose()


def test_a_failed_transaction_gives_its_number_back(pg_url: str) -> None:
    """The counter moves inside the invoice's transaction: a rollback leaves no gap."""
    db = open_database(pg_url)
    try:
        _, job = _customer_and_job(db)
        with db.uow(ADMIN) as uow:
            first = invoices.create_invoice(uow, job.id)
            uow.rollback()
        with db.uow(ADMIN) as uow:
            second = invoices.create_invoice(uow, job.id)
            uow.commit()
        assert first.number == second.number
    finally:
        db.dispose()


# --- optimistic locking ----------------------------------------------------------------------


def test_two_users_saving_the_same_job_one_gets_a_conflict_and_no_update_is_lost(pg_url: str) -> None:
    db = open_database(pg_url)
    _, job = _customer_and_job(db)
    opened = job.version  # both users opened the form at this version
    fields = jobs.JobFields(customer_id=job.customer_id, name=job.name, lines=job_lines(job))
    first_flushed = threading.Event()
    release_first = threading.Event()
    users = _users(pg_url, 2)

    def first() -> str:
        with users[0].uow(ADMIN) as uow:
            jobs.update_job(uow, job.id, opened, replace(fields, name="Kitchen (first user)"))
            uow.flush()  # holds the row lock until commit
            first_flushed.set()
            assert release_first.wait(20)
            uow.commit()
        return "saved"

    def second() -> str:
        assert first_flushed.wait(20)
        with users[1].uow(ADMIN) as uow:
            # It read the committed row (still at the opened version), so the form check passes;
            # the UPDATE ... WHERE version = opened waits for the first user's lock, then
            # matches nothing: the unit of work reports a conflict.
            jobs.update_job(uow, job.id, opened, replace(fields, name="Kitchen (second user)"))
            uow.commit()
        return "saved"

    try:
        with ThreadPoolExecutor(2) as pool:
            one = pool.submit(first)
            two = pool.submit(second)
            _wait_until_blocked(db)
            release_first.set()
            assert one.result(30) == "saved"
            with pytest.raises(Conflict, match="Another user changed"):
                two.result(30)
        with db.reader() as uow:
            saved = jobs.get_job(uow, job.id)
        assert saved.name == "Kitchen (first user)"
        assert saved.version == opened + 1
        # The second user reloads and saves again: now it goes through.
        with db.uow(ADMIN) as uow:
            jobs.update_job(uow, job.id, saved.version, replace(fields, name="Kitchen (second user)"))
            uow.commit()
    finally:
        _dispose(users)
        db.dispose()


def test_two_users_saving_the_same_job_at_the_same_instant_one_conflict(pg_url: str) -> None:
    db = open_database(pg_url)
    _, job = _customer_and_job(db)
    fields = jobs.JobFields(customer_id=job.customer_id, name=job.name, lines=job_lines(job))
    users = _users(pg_url, 2)

    def save(user: Database, name: str) -> str:
        with user.uow(ADMIN) as uow:
            jobs.update_job(uow, job.id, job.version, replace(fields, name=name))
            uow.commit()
        return name

    try:
        results = _in_parallel([lambda: save(users[0], "A"), lambda: save(users[1], "B")])
        with db.reader() as uow:
            saved = jobs.get_job(uow, job.id)
    finally:
        _dispose(users)
        db.dispose()
    winners = [r for r in results if isinstance(r, str)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert saved.name == winners[0] and saved.version == job.version + 1


def job_lines(job: jobs.JobDetail) -> tuple[LineInput, ...]:
    return tuple(
        LineInput(quantity=line.quantity, description=line.description, rate=line.rate, taxable=line.taxable)
        for line in job.lines
    )


# --- progress invoices never past 100% -------------------------------------------------------


def _progress_on(db: Database) -> None:
    with db.uow(ADMIN) as uow:
        settings.set_setting(uow, "numbering.progress", True)
        uow.commit()


def _billed_percent(db: Database, job_id: int) -> Decimal:
    with db.reader() as uow:
        total = uow.session.scalar(
            select(func.sum(Invoice.percent)).where(Invoice.job_id == job_id, Invoice.status != "void")
        )
    return Decimal(total or 0)


def test_a_progress_invoice_waits_for_the_other_users_and_is_refused_past_100_percent(pg_url: str) -> None:
    db = open_database(pg_url)
    _progress_on(db)
    _, job = _customer_and_job(db)
    users = _users(pg_url, 2)
    first_flushed = threading.Event()
    release_first = threading.Event()

    def first() -> str:
        with users[0].uow(ADMIN) as uow:
            created = invoices.create_progress_invoice(uow, job.id, percent="60")
            first_flushed.set()
            assert release_first.wait(20)
            uow.commit()
        return created.number

    def second() -> str:
        assert first_flushed.wait(20)
        with users[1].uow(ADMIN) as uow:
            created = invoices.create_progress_invoice(uow, job.id, percent="60")
            uow.commit()
        return created.number

    try:
        with ThreadPoolExecutor(2) as pool:
            one = pool.submit(first)
            two = pool.submit(second)
            _wait_until_blocked(db)  # the second user waits on the job's row lock
            release_first.set()
            assert one.result(30)
            with pytest.raises(JobDeskError, match=r"100|left|remaining"):
                two.result(30)
        assert _billed_percent(db, job.id) == Decimal("60")
    finally:
        _dispose(users)
        db.dispose()


def test_progress_invoices_racing_past_100_percent_are_refused(pg_url: str) -> None:
    db = open_database(pg_url)
    _progress_on(db)
    _, job = _customer_and_job(db)
    users = _users(pg_url, 4)

    def bill(user: Database) -> str:
        with user.uow(ADMIN) as uow:
            created = invoices.create_progress_invoice(uow, job.id, percent="30")
            uow.commit()
        return created.number

    try:
        results = _in_parallel([lambda user=user: bill(user) for user in users])  # type: ignore[misc]
        billed = _billed_percent(db, job.id)
        with db.reader() as uow:
            numbers = list(uow.session.scalars(select(Invoice.number).where(Invoice.job_id == job.id)))
            job_row = uow.session.get(Job, job.id)
            assert job_row is not None
    finally:
        _dispose(users)
        db.dispose()
    created = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(created) == 3 and len(refused) == 1, results
    assert all(isinstance(r, JobDeskError) for r in refused), refused
    assert billed == Decimal("90")
    assert sorted(numbers) == sorted(created) and len(set(numbers)) == 3
