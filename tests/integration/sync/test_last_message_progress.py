"""The end of a session and the progress it returns (the Web Connector's contract).

receiveResponseXML returning less than 100 makes the Web Connector ask for another
message; an empty sendRequestXML then is an error to it ("Nothing left to send"). When
the engine finds, asked again, that nothing can go after all (everything due waits for an
answer that just failed, a whole message was refused and its one bad record waits for a
person, items were only brought in step …), it hands out a harmless query instead, whose
answer says 100: the session always ends cleanly, never on an empty message.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.services import settings, sync_queue
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.engine import CLOSING
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_planned_ahead import _queue_everything
from tests.integration.sync.test_strict_quickbooks import RefusesMessagesWith

Told = int | str | tuple[str, int]


def _session(engine: SyncEngine, company: Any, ticket: str) -> list[Told]:
    """What the Web Connector is told, as ``sessions`` tells it: each percent; ("refused",
    percent) after a message refused whole (at most 99 then); "empty" for an empty message."""
    engine.start_session(ticket)
    told: list[Told] = []
    try:
        for _round_trip in range(300):  # bounded: a broken rule fails here, not hangs
            message = engine.next_request(ticket)
            if not message:
                told.append("empty")
                break
            try:
                response = company.process(message)
            except Exception as error:  # the request processor refused the message whole
                assert engine.fail_batch(ticket, str(getattr(error, "hresult", "")), str(error))
                told.append(("refused", max(0, min(99, engine.progress(ticket)))))
                continue
            told.append(engine.apply_response(ticket, response))
            if told[-1] == 100:
                break
    finally:
        engine.end_session(ticket)
    return told


def _per_message(office: Office, requests: int) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", requests)
        uow.commit()


def _one_synced_job(office: Office) -> Any:
    labor = office.labor()
    office.finished_job(office.customer("Customer 0"), labor, name="Job 0")
    _queue_everything(office)
    assert office.sync().percent == 100
    return labor


def _ends_cleanly(told: list[Told]) -> None:
    assert "empty" not in told, told
    assert told[-1] == 100, told
    assert all((isinstance(p, int) and 0 <= p < 100) or isinstance(p, tuple) for p in told[:-1]), told


@pytest.mark.parametrize("plan_ahead", [True, False])
@pytest.mark.parametrize("requests", [1, 2, 50])
def test_a_locked_last_customer_with_its_job_behind_ends_the_session_cleanly(
    office: Office, plan_ahead: bool, requests: int
) -> None:
    labor = _one_synced_job(office)
    _per_message(office, requests)
    office.finished_job(office.customer("Zed Locked"), labor, name="Zed job")
    _queue_everything(office)
    office.qb.inject_lock(3175, ref="Zed Locked", requests=100)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    _ends_cleanly(_session(office.engine, office.qb, "t2"))


@pytest.mark.parametrize("requests", [2, 5])
def test_a_full_last_message_of_locked_customers_ends_cleanly(office: Office, requests: int) -> None:
    labor = _one_synced_job(office)
    _per_message(office, requests)
    for n in range(requests):
        office.finished_job(office.customer(f"Zed Locked {n}"), labor, name=f"Zed job {n}")
        office.qb.inject_lock(3175, ref=f"Zed Locked {n}", requests=100)
    _queue_everything(office)
    office.engine = SyncEngine(office.db, plan_ahead=True)
    _ends_cleanly(_session(office.engine, office.qb, "t2"))


@pytest.mark.parametrize("plan_ahead", [True, False])
def test_more_jobs_than_one_look_reads_behind_a_locked_customer_end_cleanly(
    office: Office, plan_ahead: bool
) -> None:
    labor = _one_synced_job(office)
    _per_message(office, 1)
    locked = office.customer("Zed Locked")
    for n in range(205):  # past the 200 items "is anything sendable?" reads
        office.finished_job(locked, labor, name=f"Zed job {n}")
    _queue_everything(office)
    office.qb.inject_lock(3175, ref="Zed Locked", requests=100)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    _ends_cleanly(_session(office.engine, office.qb, "t2"))


@pytest.mark.parametrize("plan_ahead", [True, False])
@pytest.mark.parametrize("requests", [1, 2, 50])
def test_a_refused_customer_with_its_job_behind_ends_the_session_cleanly(
    office: Office, plan_ahead: bool, requests: int
) -> None:
    labor = _one_synced_job(office)
    _per_message(office, requests)
    office.finished_job(office.customer("Bad Name"), labor, name="Bad job")
    _queue_everything(office)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    told = _session(office.engine, RefusesMessagesWith(office.qb, "<Name>Bad Name</Name>"), "t2")
    _ends_cleanly(told)
    assert any(isinstance(p, tuple) for p in told)  # it was refused, and went to a person


@pytest.mark.parametrize("plan_ahead", [True, False])
@pytest.mark.parametrize("requests", [1, 2])
def test_records_only_brought_in_step_after_the_last_one_sent_end_cleanly(
    office: Office, plan_ahead: bool, requests: int
) -> None:
    synced = [office.customer(f"Synced {n}") for n in range(3)]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in synced])
        uow.commit()
    assert office.sync().percent == 100
    _per_message(office, requests)
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", office.customer("New One"))])
        sync_queue.send_records(uow, [("customer", n) for n in synced])  # nothing changed
        uow.commit()
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    _ends_cleanly(_session(office.engine, office.qb, "t2"))


def test_the_closing_query_is_harmless_and_asked_once(office: Office) -> None:
    labor = _one_synced_job(office)
    _per_message(office, 1)
    job_id = office.finished_job(office.customer("Zed Locked"), labor, name="Zed job")
    _queue_everything(office)
    office.qb.inject_lock(3175, ref="Zed Locked", requests=100)
    asked = len(office.qb.log)
    _ends_cleanly(_session(office.engine, office.qb, "t2"))
    closing = [request for request, _answer in office.qb.log[asked:] if CLOSING in request]
    assert len(closing) == 1 and "<HostQueryRq" in closing[0]
    # The job still says why it waits (the planning that found nothing wrote it).
    (job,) = office.items_of("job", job_id)
    assert job.state == "queued" and "cannot go yet" in job.note


def _over_the_wire(office: Office) -> str:
    """One Web Connector session against the server (whose engine plans ahead); its outcome."""
    from qbwc_server.server import EmbeddedServer
    from qbwc_server.simulator.webconnector import WebConnector
    from tests.qbwc_fakes import PASSWORD, USER, set_password

    set_password(office.db)
    with EmbeddedServer(office.db, "localhost", 0) as server:
        connector = WebConnector(server.url, USER, PASSWORD, office.qb, company_file=office.qb.file_path)
        report = connector.run_session()
    return f"{report.outcome}: {report.summary()}"


def test_sync_now_with_nothing_that_can_go_ends_the_web_connectors_session_done(office: Office) -> None:
    from qbwc_server.sync import due

    synced = [office.customer(f"Synced {n}") for n in range(3)]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in synced])
        uow.commit()
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in synced])  # nothing changed
        settings.set_setting(uow, "sync.requested_at", due.now().isoformat())  # Sync now
        uow.commit()
    assert office.engine.has_work()
    outcome = _over_the_wire(office)
    assert outcome.startswith("done"), outcome


def test_over_the_wire_a_locked_last_customer_ends_the_web_connectors_session_done(office: Office) -> None:
    labor = _one_synced_job(office)
    _per_message(office, 1)
    office.finished_job(office.customer("Zed Locked"), labor, name="Zed job")
    _queue_everything(office)
    office.qb.inject_lock(3175, ref="Zed Locked", requests=100)
    outcome = _over_the_wire(office)
    assert outcome.startswith("done"), outcome
