""" "Is anything ready to go?" (``sendable``) reads without the write lock and keeps nothing.

The Web Connector asks at every poll (``has_work``), and the app's server control asks too:
a question that took SQLite's write lock for its whole walk of the queue would make people
saving meanwhile wait for it.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from desktop_app.db.models import Item
from desktop_app.db.uow import Database
from desktop_app.services import invoices, jobs, sync_queue
from desktop_app.services.jobs import LineInput
from qbwc_server import mapping as m
from qbwc_server.sync.sendable import anything_sendable
from tests.integration.sync.conftest import FINISHED, make_office


def test_the_question_is_answered_while_someone_else_holds_the_write_lock(sqlite_db: Database) -> None:
    office = make_office(sqlite_db)
    office.queued_customers(3, batch=50)
    holder = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # someone saving (another process) holds the lock
        # Answered from a snapshot: it neither waits for the lock nor fails for want of it.
        assert anything_sendable(sqlite_db, 1000)
        assert office.engine.has_work()
        holder.execute("COMMIT")
    finally:
        holder.close()


def _generic_items(db: Database) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).where(Item.name == m.GENERIC_ITEM)) or 0)


def test_what_the_question_had_to_write_is_not_kept(sqlite_db: Database) -> None:
    """A line without a price-book item goes under the generic "Sales" item, which planning
    creates on first need: the question creates it too (it plans as a session would), and
    throws it away with the rest."""
    office = make_office(sqlite_db)
    customer_id = office.customer("Hale, Bo")
    office.sync()  # the customer is in QuickBooks: the invoice's own dependencies are read
    with sqlite_db.uow() as uow:
        job = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer_id,
                name="Haul",
                lines=(LineInput(quantity="1", description="Haul", rate="90"),),
            ),
        )
        started = jobs.start_job(uow, job.id, job.version, on=FINISHED)
        jobs.finish_job(uow, job.id, started.version, on=FINISHED)
        detail = invoices.create_invoice(uow, job.id, today=FINISHED)
        invoices.issue_invoice(uow, detail.id, on=FINISHED)
        sync_queue.send_records(uow, [("invoice", detail.id)])
        uow.commit()
    assert _generic_items(sqlite_db) == 0
    assert anything_sendable(sqlite_db, 1000)
    assert _generic_items(sqlite_db) == 0
    assert office.sync().percent == 100
    assert _generic_items(sqlite_db) == 1  # a session keeps it
    assert not anything_sendable(sqlite_db, 1000)
