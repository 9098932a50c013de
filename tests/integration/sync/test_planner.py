"""Choosing a batch: dependencies queued on the way, why items wait, progress across restarts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import payments, settings, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import SyncEngine, plan
from tests.integration.sync.conftest import FINISHED, Office


def _jobs_of_new_customers(office: Office, count: int) -> list[int]:
    """Jobs are queued when created; their customers are not (they are found missing)."""
    labor = office.labor()
    return [office.finished_job(office.customer(f"Customer {n:02d}"), labor) for n in range(count)]


def test_dependencies_found_missing_go_first_in_the_same_batch(office: Office) -> None:
    _jobs_of_new_customers(office, 30)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 10)
        uow.commit()
    office.engine.start_session("t")
    message = office.engine.next_request("t")
    response = office.qb.process(message)
    assert message.count("<CustomerAddRq ") == len(q.parse_response(response)) == 10
    # The batch is the customers the first jobs need, in order (they were queued on the way).
    assert [c.name for c in office.qb.customers] == [f"Customer {n:02d}" for n in range(10)]
    # Jobs looked at only before those customers were queued are not marked as waiting:
    # the walk that filled the batch never reached them.
    with office.db.reader() as uow:
        notes = list(uow.session.scalars(select(SyncItem.note).where(SyncItem.entity_type == "job")))
    assert len(notes) == 30 and all(note == "" for note in notes)
    office.engine.apply_response("t", response)
    office.engine.end_session("t")
    for _ in range(3):
        office.sync()
    names = sorted(office.qb.full_name(c) for c in office.qb.customers)
    assert len(names) == 60
    assert all(any(name.startswith(f"Customer {n:02d}:") for name in names) for n in range(30))


def test_progress_survives_a_new_engine_in_the_middle_of_a_session(office: Office) -> None:
    office.queued_customers(6, batch=2)
    ticket = "t-restart"
    first = SyncEngine(office.db)
    first.start_session(ticket)
    p1 = first.apply_response(ticket, office.qb.process(first.next_request(ticket)))
    p2 = first.apply_response(ticket, office.qb.process(first.next_request(ticket)))
    # The server restarts: a new engine carries on with the same session.
    second = SyncEngine(office.db)
    assert second.progress(ticket) == first.progress(ticket) == p2
    p3 = second.apply_response(ticket, office.qb.process(second.next_request(ticket)))
    assert p1 < p2 < p3 == 100


def test_an_import_chosen_by_one_walk_is_not_chosen_again_by_the_next(office: Office) -> None:
    """A job's customer is found missing (a second walk) while an import is due."""
    customer_id = office.customer("New Customer")
    office.finished_job(customer_id, office.labor())
    with office.db.uow() as uow:
        sync_queue.enqueue_in(uow.session, "import", None, "import_terms")
        uow.commit()
    office.engine.start_session("t")
    message = office.engine.next_request("t")
    assert message.count("<StandardTermsQueryRq ") == 1
    assert message.count("<CustomerAddRq ") == 2  # the customer, then its job
    office.engine.apply_response("t", office.qb.process(message))
    office.engine.end_session("t")
    assert [office.qb.full_name(c) for c in office.qb.customers] == [
        "New Customer",
        "New Customer:1000 Kitchen",
    ]


def test_sendable_work_further_down_is_found_when_earlier_items_cannot_go(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every walk queues a dependency that cannot be sent; the batch still fills from further down."""
    fine = office.customer("Fine Customer")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", fine)])
        uow.commit()
    office.sync()
    labor = office.labor()
    broken = {office.customer(f"Broken {n}") for n in range(8)}
    for customer_id in sorted(broken):
        office.finished_job(customer_id, labor)  # queued; their customers are not
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 1)
        payment = payments.record_payment(uow, fine, "25.00", "check", FINISHED, reference="9")
        sync_queue.send_records(uow, [("payment", payment.id)])  # ranks after every job
        uow.commit()
    real_build = plan.build

    def build(session: Any, item: SyncItem, request_id: str, **options: Any) -> Any:
        if item.entity_type == "customer" and item.entity_id in broken:
            raise ValueError("this customer cannot be mapped")
        return real_build(session, item, request_id, **options)

    monkeypatch.setattr(plan, "build", build)
    office.engine.start_session("t")
    message = office.engine.next_request("t")
    assert message.count("<ReceivePaymentAddRq ") == 1
