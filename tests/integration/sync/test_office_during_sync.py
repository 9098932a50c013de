"""People keep saving while a full sync runs: nothing lost, no error, every record in QuickBooks once.

How long saves wait is measured by benchmarks/office_during_sync.py; here, what must hold
whatever the timing: every save there afterwards, no save refused, the sync finished and
exactly once. And the line in which one process's writers take SQLite's write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest

from desktop_app.db.uow import Database
from desktop_app.db.write_gate import WriteGate
from desktop_app.services import customers, sync_queue
from tests.integration.sync.conftest import Office

WRITERS = 2
#: Each writer's rounds (a new customer sent to QuickBooks, then a change to it): a fixed
#: number, since what they queue keeps the session going while they save.
ROUNDS = 25


@dataclass
class _Writer:
    """Saves through the services, one unit of work a save, until told to stop."""

    number: int
    db: Database
    started: threading.Event
    failures: list[BaseException] = field(default_factory=list)
    saved: dict[int, str] = field(default_factory=dict)
    saves: int = 0

    def run(self) -> None:
        for k in range(1, ROUNDS + 1):
            try:
                with self.db.uow() as uow:
                    made = customers.create_customer(
                        uow,
                        customers.CustomerFields(
                            display_name=f"Walk-in {self.number}-{k}", first_name="Pat", last_name="Lane"
                        ),
                    )
                    sync_queue.send_records(uow, [("customer", made.id)])  # as "Send to QuickBooks"
                    uow.commit()
                fields = customers.CustomerFields(
                    display_name=made.display_name, first_name="Pat", last_name="Lane", notes=f"call {k}"
                )
                with self.db.uow() as uow:
                    customers.update_customer(uow, made.id, made.version, fields)
                    uow.commit()
                self.saved[made.id] = f"call {k}"
                self.saves += 2
                self.started.set()
            except BaseException as error:  # every failure is a finding
                self.failures.append(error)
                self.started.set()
                return


def test_saves_during_a_full_sync_are_kept_and_the_sync_is_exactly_once(office: Office) -> None:
    for n in range(12):
        office.invoiced_job(f"Customer {n:02d}")
    started = threading.Event()
    writers = [_Writer(k + 1, office.db, started) for k in range(WRITERS)]
    threads = [threading.Thread(target=writer.run) for writer in writers]
    for thread in threads:
        thread.start()
    try:
        started.wait()  # the sync begins while the people are saving
        report = office.sync()
    finally:
        for thread in threads:
            thread.join()
    assert [f for w in writers for f in w.failures] == []
    assert not report.broken
    assert all(w.saves == 2 * ROUNDS for w in writers)
    # What the people saved meanwhile goes at the next sync (it was queued as they saved).
    for _ in range(10):
        if not office.engine.has_work():
            break
        office.sync()
    assert not office.engine.has_work()
    with office.db.reader() as uow:
        for writer in writers:
            for customer_id, notes in writer.saved.items():
                assert customers.get_customer(uow, customer_id).notes == notes
    names = Counter(office.qb.full_name(c) for c in office.qb.customers)
    assert [name for name, count in names.items() if count > 1] == []
    assert len(office.qb.invoices) == 12 == len({i.ref_number for i in office.qb.invoices})
    saved = {f"Walk-in {w.number}-" for w in writers}
    in_quickbooks = [name for name in names if any(name.startswith(s) for s in saved)]
    assert len(in_quickbooks) == sum(len(w.saved) for w in writers)
    for writer in writers:
        for customer_id in writer.saved:
            assert office.link("customer", customer_id) is not None


def test_writers_of_one_process_take_the_lock_in_the_order_they_asked(sqlite_db: Database) -> None:
    gate = sqlite_db.write_gate
    assert isinstance(gate, WriteGate)
    holder = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the lock: both must wait
    order: list[str] = []

    def write(name: str) -> None:
        with sqlite_db.uow() as uow:
            uow.session.connection()  # BEGIN IMMEDIATE, in turn
            order.append(name)
            uow.commit()

    first = threading.Thread(target=write, args=("first",))
    first.start()
    _wait_until(lambda: len(gate._line) == 1)
    second = threading.Thread(target=write, args=("second",))
    second.start()
    _wait_until(lambda: len(gate._line) == 2)
    holder.execute("COMMIT")
    first.join()
    second.join()
    holder.close()
    assert order == ["first", "second"]
    assert not gate.someone_waiting


def _wait_until(condition: object, tries: int = 2000) -> None:
    event = threading.Event()
    for _ in range(tries):
        if callable(condition) and condition():
            return
        event.wait(0.005)
    pytest.fail("the writer never reached the line")
