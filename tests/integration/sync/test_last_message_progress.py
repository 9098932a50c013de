"""The last message's answer and the progress it returns (the Web Connector's contract).

receiveResponseXML returning less than 100 makes the Web Connector ask for another
message; an empty sendRequestXML then is an error to it ("Nothing left to send"). So
100 is said as soon as nothing can go in this session, also when the last message was
full and what is still due waits for an answer that just failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.services import settings
from qbwc_server.sync import SyncEngine
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_planned_ahead import _queue_everything


def _session(engine: SyncEngine, company: Any, ticket: str) -> list[int | str]:
    """The percents the Web Connector is told, "empty" if it is handed an empty message."""
    engine.start_session(ticket)
    told: list[int | str] = []
    try:
        for _round_trip in range(100):  # bounded: a broken rule fails here, not hangs
            message = engine.next_request(ticket)
            if not message:
                told.append("empty")
                break
            told.append(engine.apply_response(ticket, company.process(message)))
            if told[-1] == 100:
                break
    finally:
        engine.end_session(ticket)
    return told


def _per_message(office: Office, requests: int) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", requests)
        uow.commit()


@pytest.mark.parametrize("plan_ahead", [True, False])
@pytest.mark.parametrize("requests", [1, 2, 50])
def test_a_locked_last_customer_with_its_job_behind_ends_the_session_at_100(
    office: Office, plan_ahead: bool, requests: int
) -> None:
    labor = office.labor()
    for n in range(2):
        office.finished_job(office.customer(f"Customer {n}"), labor, name=f"Job {n}")
    _queue_everything(office)
    assert office.sync().percent == 100
    _per_message(office, requests)
    locked = office.customer("Zed Locked")
    office.finished_job(locked, labor, name="Zed job")
    _queue_everything(office)
    office.qb.inject_lock(3175, ref="Zed Locked", requests=100)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    told = _session(office.engine, office.qb, "t2")
    assert told[-1] == 100, told
    assert all(isinstance(p, int) and 0 < p < 100 for p in told[:-1]), told


@pytest.mark.parametrize("requests", [2, 5])
def test_a_full_last_message_of_locked_customers_ends_the_session_at_100(
    office: Office, requests: int
) -> None:
    labor = office.labor()
    office.finished_job(office.customer("Customer 0"), labor, name="Job 0")
    _queue_everything(office)
    assert office.sync().percent == 100
    _per_message(office, requests)
    for n in range(requests):
        office.finished_job(office.customer(f"Zed Locked {n}"), labor, name=f"Zed job {n}")
        office.qb.inject_lock(3175, ref=f"Zed Locked {n}", requests=100)
    _queue_everything(office)
    office.engine = SyncEngine(office.db, plan_ahead=True)
    told = _session(office.engine, office.qb, "t2")
    assert told[-1] == 100, told
