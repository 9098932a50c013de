"""Ordering, batching, triggers and progress."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import invoices, settings, sync_queue
from tests.integration.sync.conftest import FINISHED, Office


def test_a_job_and_its_invoice_reach_quickbooks_in_dependency_order(office: Office) -> None:
    _, _job_id, invoice_id = office.invoiced_job()
    report = office.sync()
    assert report.percent == 100
    names = [office.qb.full_name(c) for c in office.qb.customers]
    assert names == ["Smith, Ann", "Smith, Ann:1000 Kitchen"]
    (qb_invoice,) = office.qb.invoices
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == qb_invoice.txn_id
    assert qb_invoice.ref_number == "1000"
    assert qb_invoice.total == Decimal("850.00")
    # Every request went in an order QuickBooks accepts: nothing was refused. Lists take one
    # request each, and so does the invoice: its RefNumber is looked up in the message before
    # (with the lists it needs, ``probes``), then it is added.
    with office.db.reader() as uow:
        done = list(uow.session.scalars(select(SyncItem).where(SyncItem.state == "done")))
        attempts = {(i.entity_type, i.attempts, i.status_code) for i in done}
    # Then, in the same session, the payments entered in QuickBooks (none: status 1).
    assert attempts == {
        ("customer", 1, 0),
        ("job", 1, 0),
        ("item", 1, 0),
        ("invoice", 1, 0),
        ("import", 1, 1),
    }
    messages = [request for request, _ in office.qb.log]
    (added_in,) = [n for n, m in enumerate(messages) if "<InvoiceAddRq " in m]
    assert any("<RefNumber>1000</RefNumber>" in m and "<InvoiceQueryRq " in m for m in messages[:added_in])


def test_a_second_sync_sends_nothing(office: Office) -> None:
    office.invoiced_job()
    office.sync()
    before = len(office.qb.log)
    report = office.sync()
    assert (report.round_trips, len(office.qb.log)) == (0, before)
    assert office.engine.has_work() is False


def test_enqueuing_a_record_twice_keeps_one_item(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        first = sync_queue.enqueue(uow, "customer", customer_id)
        second = sync_queue.enqueue(uow, "customer", customer_id)
        uow.commit()
    assert first.id == second.id
    assert len(office.items_of("customer", customer_id)) == 1


def test_the_newest_data_is_read_when_the_batch_is_built(office: Office) -> None:
    from desktop_app.services import customers

    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.enqueue(uow, "customer", customer_id)
        detail = customers.get_customer(uow, customer_id)
        customers.update_customer(
            uow,
            customer_id,
            detail.version,
            customers.CustomerFields(
                display_name="Smith, Ann", first_name="Ann", last_name="Smith", email="ann@example.com"
            ),
        )
        uow.commit()
    office.sync()
    (qb_customer,) = office.qb.customers
    assert qb_customer.data.get("Email") == "ann@example.com"


def test_batches_are_bounded_by_count_and_size(office: Office) -> None:
    for n in range(12):
        office.customer(f"Customer {n:02d}")
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 5)
        sync_queue.send_records(uow, [("customer", n) for n in range(1, 13)])
        uow.commit()
    report = office.sync()
    assert report.requests == 12
    assert report.round_trips == 3


def test_triggers_follow_the_settings(office: Office) -> None:
    _, job_id, _ = office.invoiced_job()
    # Jobs are queued when created; an issued invoice when "sync when sent" is on (default).
    assert office.items_of("job", job_id)
    with office.db.reader() as uow:
        queued = {(i.entity_type, i.state) for i in uow.session.scalars(select(SyncItem))}
    assert ("invoice", "queued") in queued
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_invoice_sent", False)
        uow.commit()
    item_id = office.labor()
    customer_id = office.customer("Other, Bob")
    other_job = office.finished_job(customer_id, item_id)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_job_finished", False)
        uow.commit()
    invoice_id = office.invoice(other_job)
    assert office.items_of("invoice", invoice_id) == []


def test_printing_or_creating_an_invoice_does_not_send_it(office: Office) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_job_finished", False)
        uow.commit()
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor())
    invoice_id = office.invoice(job_id, issue=False)
    assert office.items_of("invoice", invoice_id) == []


def test_progress_reaches_100_only_when_nothing_is_left(office: Office) -> None:
    """Also between two exact counts of what is due (``engine._remaining``)."""
    from qbwc_server.sync.engine import RECOUNT_EVERY

    messages = 2 * RECOUNT_EVERY + 3  # past two exact recounts
    office.queued_customers(2 * messages, batch=2)
    ticket = "t-progress"
    engine = office.engine
    engine.start_session(ticket)
    seen = []
    while True:
        message = engine.next_request(ticket)
        if not message:
            break
        seen.append(engine.apply_response(ticket, office.qb.process(message)))
        if len(seen) == RECOUNT_EVERY + 2:
            # Someone queues more work mid-session: the next exact count takes it in.
            more = [office.customer(f"Late {n}") for n in range(4)]
            with office.db.uow() as uow:
                sync_queue.send_records(uow, [("customer", n) for n in more])
                uow.commit()
    assert len(seen) == messages + 2
    assert seen[-1] == 100 and all(0 < p < 100 for p in seen[:-1])
    # Between exact counts the bar moves on as items finish; only an exact count that
    # takes in new work may move it back.
    before_more = seen[: RECOUNT_EVERY + 2]
    assert before_more == sorted(before_more)
    backwards = [n for n in range(1, len(seen)) if seen[n] < seen[n - 1]]
    assert len(backwards) <= 1
    assert engine.progress(ticket) == 100


def test_responsive_mode_runs_only_when_work_is_due(office: Office) -> None:
    office.customer()
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.responsive", True)
        settings.set_setting(uow, "sync.last_session_at", FINISHED.isoformat() + "T00:00:00+00:00")
        sync_queue.enqueue(uow, "customer", 1)
        uow.commit()
    assert office.engine.has_work() is True  # the interval has long passed
    office.sync()
    with office.db.uow() as uow:
        sync_queue.enqueue(uow, "customer", office.customer("Later, Lee"))
        uow.commit()
    assert office.engine.has_work() is False  # queued, but not due: interval not passed
    with office.db.uow() as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
    assert office.engine.has_work() is True


def test_an_invoice_of_several_jobs_belongs_to_the_customer_in_quickbooks(office: Office) -> None:
    customer_id = office.customer()
    labor = office.labor()
    first = office.finished_job(customer_id, labor, "2", "Porch")
    second = office.finished_job(customer_id, labor, "3", "Gate")
    with office.db.uow() as uow:
        detail = invoices.create_multi_job_invoice(uow, customer_id, [first, second], today=FINISHED)
        invoices.issue_invoice(uow, detail.id, on=FINISHED)
        uow.commit()
    office.sync()
    (qb_invoice,) = office.qb.invoices
    customer = office.qb.find_list("Customer", "Smith, Ann")
    assert customer is not None and qb_invoice.customer_id == customer.list_id
    assert qb_invoice.total == Decimal("425.00")


def test_a_part_of_an_address_emptied_here_is_emptied_in_quickbooks(office: Office) -> None:
    """A Mod sends a part emptied as an empty value (QuickBooks keeps a part left out)."""
    import dataclasses

    from desktop_app.services import customers

    customer_id = office.customer(bill_street="1 Main St", bill_unit="Apt 4", bill_city="Austin")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    assert office.sync().percent == 100
    (qb_customer,) = office.qb.customers
    assert qb_customer.data.get("BillAddress/Addr2") == "Apt 4"
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = dataclasses.replace(detail.to_fields(), bill_unit="")
        customers.update_customer(uow, customer_id, detail.version, fields)
        uow.commit()
    assert office.sync().percent == 100
    (qb_customer,) = office.qb.customers
    assert not qb_customer.data.get("BillAddress/Addr2")
    assert qb_customer.data.get("BillAddress/Addr1") == "1 Main St"
    assert qb_customer.data.get("BillAddress/City") == "Austin"
    assert office.alerts() == []
