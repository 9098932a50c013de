"""The next message planned while QuickBooks answers the last (``qbwc_server.sync.ahead``).

The server's engine plans ahead; these tests drive it step by step, as the Web Connector
does, and check that planning ahead changes when the work is done, never what is done.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.open import open_database
from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.services import customers, invoices, payments, settings
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office
from tests.integration.sync.test_fast_path import _busy_office
from tests.integration.sync.test_look_ahead import _customers_then_invoices
from tests.integration.sync.test_status_codes import _foreign_invoice
from tests.sync_compare import differences

#: What an item row says about where it stands (compared before and after a put-back).
ROW = (
    "state",
    "phase",
    "attempts",
    "note",
    "batch_id",
    "request_id",
    "request_xml",
    "response_xml",
    "sent_at",
    "sent_context",
    "pending_key",
)


def _ahead(office: Office) -> Office:
    office.engine = SyncEngine(office.db, plan_ahead=True)
    assert office.engine.plan_ahead
    return office


@pytest.fixture
def ahead(office: Office) -> Office:
    return _ahead(office)


def _one_request_a_message(office: Office) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 1)
        uow.commit()


def _item(office: Office, kind: str, record_id: int) -> SyncItem:
    with office.db.reader() as uow:
        item = uow.session.scalars(
            select(SyncItem).where(SyncItem.entity_type == kind, SyncItem.entity_id == record_id)
        ).one()
        uow.session.expunge(item)
    return item


def _row(office: Office, kind: str, record_id: int) -> tuple[Any, ...]:
    item = _item(office, kind, record_id)
    return tuple(getattr(item, column) for column in ROW)


def _start(office: Office, ticket: str = "t1") -> str:
    office.engine.start_session(ticket)
    return ticket


def _customers(office: Office, *names: str) -> list[int]:
    """Customers of these names, queued for QuickBooks."""
    from desktop_app.services import sync_queue

    ids = [office.customer(name) for name in names]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", record) for record in ids])
        uow.commit()
    return ids


def _queue_everything(office: Office) -> None:
    from desktop_app.services import sync_queue

    with office.db.uow() as uow:
        sync_queue.send_everything_pending(uow)
        uow.commit()


def test_only_a_database_with_connections_of_its_own_plans_ahead(tmp_path: Path) -> None:
    in_memory = open_database("sqlite://")
    try:
        assert SyncEngine(in_memory, plan_ahead=True).plan_ahead is False  # one shared connection
    finally:
        in_memory.dispose()
    on_file = open_database(f"sqlite:///{tmp_path / 'office.sqlite'}")
    try:
        assert SyncEngine(on_file, plan_ahead=True).plan_ahead is True
        assert SyncEngine(on_file).plan_ahead is False
    finally:
        on_file.dispose()


def test_the_next_message_is_planned_while_quickbooks_answers(ahead: Office) -> None:
    first, second = _customers(ahead, "Alpha Homes", "Beta Builders")
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    assert "Alpha Homes" in message
    ahead.engine.progress(ticket)  # waits for the planning ahead to be over
    # Beta's message is written as any batch is, before it is handed out.
    assert _item(ahead, "customer", second).state == QueueState.SENT
    assert ahead.engine.apply_response(ticket, ahead.qb.process(message)) < 100
    following = ahead.engine.next_request(ticket)
    assert "Beta Builders" in following
    assert ahead.engine.apply_response(ticket, ahead.qb.process(following)) == 100
    assert ahead.engine.next_request(ticket) == ""
    ahead.engine.end_session(ticket)
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders"]
    assert _item(ahead, "customer", first).state == QueueState.DONE


def test_what_needs_the_message_out_is_not_planned_ahead_of_its_answer(ahead: Office) -> None:
    customer_id = ahead.customer("Gamma Remodel")
    job_id = ahead.finished_job(customer_id, ahead.labor())
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    ahead.engine.next_request(ticket)
    ahead.engine.progress(ticket)  # waits for the planning ahead to be over
    job = _item(ahead, "job", job_id)
    # The job needs a record of the message out (or of the one planned): it waits, and is
    # not even written as waiting (its answer is a message away).
    assert (job.state, job.note) == (QueueState.QUEUED, "")
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100
    assert differences(ahead.db, ahead.qb) == []
    assert _item(ahead, "job", job_id).state == QueueState.DONE


def test_a_message_planned_but_never_handed_out_is_put_back_as_it_was(ahead: Office) -> None:
    first, second, third = _customers(ahead, "Alpha Homes", "Beta Builders", "Cedar Decks")
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    before = {record: _row(ahead, "customer", record) for record in (second, third)}
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    assert _item(ahead, "customer", second).state == QueueState.SENT  # planned ahead
    with ahead.db.reader() as uow:
        batches_then = uow.session.scalars(select(SyncBatch.id).order_by(SyncBatch.id)).all()
    ahead.engine.end_session(ticket)  # the Web Connector stopped: Beta's message never went
    assert _row(ahead, "customer", second) == before[second]
    assert _row(ahead, "customer", third) == before[third]
    with ahead.db.reader() as uow:
        assert uow.session.scalars(select(SyncBatch.id).order_by(SyncBatch.id)).all() == batches_then[:-1]
    asked = len(ahead.qb.log)
    assert ahead.sync().percent == 100
    # Nothing of it had reached QuickBooks: it goes as an Add, without a lookup first.
    assert not any("CustomerQueryRq" in request for request, _answer in ahead.qb.log[asked:])
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders", "Cedar Decks"]
    assert _item(ahead, "customer", first).attempts == 1
    assert _item(ahead, "customer", second).attempts == 1


def test_an_edit_made_while_its_message_waits_goes_after_it(ahead: Office) -> None:
    _first, second = _customers(ahead, "Alpha Homes", "Beta Builders")
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.progress(ticket)
    assert _item(ahead, "customer", second).state == QueueState.SENT
    _rename(ahead, second, "Beta Builders Inc")
    percent = ahead.engine.apply_response(ticket, ahead.qb.process(message))
    for _round_trip in range(10):  # bounded: a broken rule must fail here, not hang
        message = "" if percent >= 100 else ahead.engine.next_request(ticket)
        if not message:
            break
        percent = ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)
    ahead.sync()
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders Inc"]
    assert differences(ahead.db, ahead.qb) == []


def test_a_refused_message_is_the_one_handed_out_not_the_one_planned(ahead: Office) -> None:
    first, second, third = _customers(ahead, "Alpha Homes", "Beta Builders", "Cedar Decks")
    _queue_everything(ahead)
    with ahead.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 2)
        uow.commit()
    ticket = _start(ahead)
    ahead.engine.next_request(ticket)  # Alpha and Beta; QuickBooks refuses the message whole
    handed_out = _item(ahead, "customer", first).batch_id
    assert ahead.engine.fail_batch(ticket, "0x80040400", "QuickBooks found an error parsing the XML")
    with ahead.db.reader() as uow:
        errors = {batch.id: batch.error for batch in uow.session.scalars(select(SyncBatch))}
    assert errors[handed_out].startswith("0x80040400")
    planned = _item(ahead, "customer", third).batch_id
    assert planned is not None and planned != handed_out and errors[planned] == ""
    assert _item(ahead, "customer", second).batch_id == handed_out
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders", "Cedar Decks"]


def test_a_new_session_puts_back_what_an_older_one_planned(ahead: Office) -> None:
    first, second = _customers(ahead, "Alpha Homes", "Beta Builders")
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    before = _row(ahead, "customer", second)
    ticket = _start(ahead, "old")
    message = ahead.engine.next_request(ticket)
    ahead.qb.process(message)  # QuickBooks added Alpha; its answer never came back
    ahead.engine.start_session("new")  # the Web Connector started over
    assert _row(ahead, "customer", second) == before
    # Alpha's answer is lost: it is looked up before anything is sent again.
    assert _item(ahead, "customer", first).phase == Phase.VERIFY
    assert ahead.sync(ticket="new").percent == 100
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders"]


def test_a_server_stopped_with_a_message_planned_loses_nothing(ahead: Office) -> None:
    _customers(ahead, "Alpha Homes", "Beta Builders", "Cedar Decks")
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    # The server stops here: what it planned ahead is "sent" with no answer, in the database only.
    restarted = _ahead(make_office_on(ahead))
    assert restarted.sync().percent == 100
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders", "Cedar Decks"]
    assert differences(ahead.db, ahead.qb) == []


def make_office_on(office: Office) -> Office:
    """A new engine (a restarted server) on the same database and QuickBooks company."""
    return Office(db=office.db, qb=office.qb, engine=SyncEngine(office.db))


def test_payments_are_pulled_once_a_session(ahead: Office) -> None:
    for n in range(3):
        ahead.invoiced_job(f"Customer {n}")
    # One request a message: the pull is queued while the last invoice's message is planned.
    _one_request_a_message(ahead)
    assert ahead.sync().percent == 100
    pulls = [request for request, _answer in ahead.qb.log if "ReceivePaymentQueryRq" in request]
    assert len(pulls) == 1
    with ahead.db.reader() as uow:
        states = set(uow.session.scalars(select(SyncItem.state)))
    assert states == {QueueState.DONE}


def test_a_busy_office_ends_the_same_planned_ahead_or_in_turn(fresh_office: Any) -> None:
    in_turn = fresh_office("in_turn")
    _busy_office(in_turn)
    planned = _ahead(fresh_office("ahead"))
    _busy_office(planned)

    def outcome(office: Office) -> tuple[Any, ...]:
        with office.db.reader() as uow:
            items = sorted(
                (i.entity_type, i.entity_id or 0, i.action, i.state, i.attempts)
                for i in uow.session.scalars(select(SyncItem))
            )
        invoices = sorted((i.ref_number or "", i.is_void, str(i.subtotal)) for i in office.qb.invoices)
        names = sorted(c.name for c in office.qb.customers)
        return items, invoices, names, len(office.qb.payments)

    assert differences(planned.db, planned.qb) == []
    assert outcome(planned) == outcome(in_turn)


def test_closing_the_engine_puts_back_what_it_planned_and_a_later_session_goes_on(ahead: Office) -> None:
    _first, second = _customers(ahead, "Alpha Homes", "Beta Builders")
    _one_request_a_message(ahead)
    before = _row(ahead, "customer", second)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.close()  # the server stops
    assert _row(ahead, "customer", second) == before
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100  # the same engine, started again, plans ahead again
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders"]


def test_a_callback_still_running_when_the_server_stops_plans_nothing_ahead(ahead: Office) -> None:
    ids = _customers(ahead, "Alpha Homes", "Beta Builders", "Cedar Decks", "Delta Roofing")
    cedar, delta = ids[2], ids[3]
    _one_request_a_message(ahead)
    before = _row(ahead, "customer", cedar)
    ticket = _start(ahead)
    ahead.engine.apply_response(ticket, ahead.qb.process(ahead.engine.next_request(ticket)))
    ahead.engine.close()  # the server stops ...
    # ... while a sendRequestXML is still being answered: Beta goes, planned now, and
    # nothing is planned after it (Cedar would be "sent" to nobody and looked up later).
    message = ahead.engine.next_request(ticket)
    assert "Beta Builders" in message
    ahead.engine.progress(ticket)  # returns once any planning is over
    assert _row(ahead, "customer", cedar) == before
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)
    # A later session (the server started again) plans ahead again: Delta, while Cedar is out.
    ticket = _start(ahead, "t2")
    message = ahead.engine.next_request(ticket)
    assert "Cedar Decks" in message
    ahead.engine.progress(ticket)
    assert _item(ahead, "customer", delta).state == QueueState.SENT
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100
    names = sorted(c.name for c in ahead.qb.customers)
    assert names == ["Alpha Homes", "Beta Builders", "Cedar Decks", "Delta Roofing"]
    assert [r for r, _a in ahead.qb.log if "CustomerQueryRq" in r] == []  # nothing looked up


def test_an_edit_made_while_a_message_waits_that_never_goes_is_kept(ahead: Office) -> None:
    _first, second = _customers(ahead, "Alpha Homes", "Beta Builders")
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    _rename(ahead, second, "Beta Builders Inc")  # while its message waits, planned ahead
    ahead.engine.end_session(ticket)  # ... and never goes
    with ahead.db.reader() as uow:
        pending = uow.session.scalars(
            select(SyncItem).where(
                SyncItem.entity_type == "customer",
                SyncItem.entity_id == second,
                SyncItem.state == QueueState.QUEUED,
            )
        ).all()
    assert len(pending) == 1  # the edit's item merged into the one put back
    assert ahead.sync().percent == 100
    assert sorted(c.name for c in ahead.qb.customers) == ["Alpha Homes", "Beta Builders Inc"]
    assert differences(ahead.db, ahead.qb) == []


def _rename(office: Office, customer_id: int, name: str) -> None:
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = detail.to_fields()
        customers.update_customer(
            uow, customer_id, detail.version, fields.__class__(**{**fields.__dict__, "display_name": name})
        )
        uow.commit()


def test_an_invoice_voided_while_its_add_waits_in_a_message_that_never_goes_never_reaches_quickbooks(
    ahead: Office,
) -> None:
    customer_id, _job_id, _first = ahead.invoiced_job("Alpha Homes")
    assert ahead.sync().percent == 100
    deck = ahead.finished_job(customer_id, ahead.labor(), name="Deck")
    _queue_everything(ahead)
    assert ahead.sync().percent == 100  # the job is in QuickBooks: its invoice needs nothing else
    second = ahead.invoice(deck)
    (extra,) = _customers(ahead, "Beta Builders")  # goes first; the invoice is planned ahead
    _queue_everything(ahead)
    _one_request_a_message(ahead)
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.progress(ticket)
    assert {item.state for item in _items_of(ahead, "invoice", second)} == {QueueState.SENT}
    with ahead.db.uow() as uow:
        invoices.void_invoice(uow, second, reason="Typo")
        uow.commit()
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)  # the planned message never went
    assert ahead.sync().percent == 100
    assert [i.ref_number for i in ahead.qb.invoices] == ["1000"]  # the voided one never went
    assert {item.state for item in _items_of(ahead, "invoice", second)} == {QueueState.CANCELLED}
    assert _item(ahead, "customer", extra).state == QueueState.DONE


def test_a_payment_deleted_while_its_add_waits_in_a_message_that_never_goes_never_reaches_quickbooks(
    ahead: Office,
) -> None:
    _customer_id, _job_id, invoice_id = ahead.invoiced_job("Alpha Homes")
    assert ahead.sync().percent == 100
    _customers(ahead, "Beta Builders")
    _one_request_a_message(ahead)
    with ahead.db.uow() as uow:
        paid = payments.mark_paid(uow, invoice_id, received_on=FINISHED, reference="1042")
        uow.commit()
    ticket = _start(ahead)
    message = ahead.engine.next_request(ticket)
    ahead.engine.progress(ticket)
    assert {item.state for item in _items_of(ahead, "payment", paid.id)} == {QueueState.SENT}
    with ahead.db.uow() as uow:
        payments.delete_payment(uow, paid.id)
        uow.commit()
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100
    assert ahead.qb.payments == []
    assert [request for request, _answer in ahead.qb.log if "ReceivePaymentAddRq" in request] == []
    assert {item.state for item in _items_of(ahead, "payment", paid.id)} == {QueueState.CANCELLED}


def _items_of(office: Office, kind: str, record_id: int) -> list[SyncItem]:
    with office.db.reader() as uow:
        found = list(
            uow.session.scalars(
                select(SyncItem).where(SyncItem.entity_type == kind, SyncItem.entity_id == record_id)
            )
        )
        for item in found:
            uow.session.expunge(item)
    return found


@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_invoices_looked_up_by_a_message_never_answered_still_go_in_the_session(
    office: Office, plan_ahead: bool
) -> None:
    """The Web Connector asks for the next message again without bringing the last answer:
    the invoice numbers that message looked up ahead are looked up again, not waited for."""
    if plan_ahead:
        _ahead(office)
    customer = office.customer("Alpha Homes")
    labor = office.labor()
    jobs = [office.finished_job(customer, labor, name=f"Job {n}") for n in range(24)]
    _queue_everything(office)
    assert office.sync().percent == 100
    for job in jobs:
        office.invoice(job)
    _queue_everything(office)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 10)
        uow.commit()
    ticket = _start(office)
    assert "InvoiceQueryRq" in office.engine.next_request(ticket)  # its answer never comes
    percent = 0
    for _round_trip in range(20):  # bounded: a broken rule must fail here, not hang
        message = "" if percent >= 100 else office.engine.next_request(ticket)
        if not message:
            break
        percent = office.engine.apply_response(ticket, office.qb.process(message))
    office.engine.end_session(ticket)
    assert percent == 100
    assert len(office.qb.invoices) == 24
    assert differences(office.db, office.qb) == []


@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_an_add_of_a_message_quickbooks_could_not_read_looks_its_number_up_again(
    office: Office, plan_ahead: bool
) -> None:
    """A number found free is good for the next message only: when QuickBooks refuses that
    message whole, the Adds it held look their numbers up again before they go, so one typed
    in QuickBooks meanwhile is found (an alert), not given a second invoice."""
    if plan_ahead:
        _ahead(office)
    _customers_then_invoices(office, 30)
    ticket = _start(office)
    taken = ""
    for _round_trip in range(30):  # bounded: a broken rule must fail here, not hang
        message = office.engine.next_request(ticket)
        if not message:
            break
        if taken == "" and "<InvoiceAddRq" in message:
            # QuickBooks cannot read it; right after, someone types one of its numbers there.
            taken = re.findall(r"<RefNumber>([^<]+)</RefNumber>", message.split("<InvoiceAddRq", 1)[1])[0]
            assert office.engine.fail_batch(ticket, "0x80040400", "QuickBooks found an error when parsing")
            _foreign_invoice(office, taken)
            continue
        if office.engine.apply_response(ticket, office.qb.process(message)) >= 100:
            break
    office.engine.end_session(ticket)
    office.sync()
    assert taken
    assert [i.ref_number for i in office.qb.invoices].count(taken) == 1  # only the one typed there
    assert [a.kind for a in office.alerts() if a.state == "open"] == ["number_conflict"]
    assert len(office.qb.invoices) == 30  # 29 of ours and the one typed there


def test_a_lookup_after_a_lost_answer_put_back_keeps_the_void_that_follows_it(ahead: Office) -> None:
    """The invoice's Add reached QuickBooks but its answer was lost, then it was voided here:
    its lookup, planned ahead and put back, is not "an Add that never went"."""
    customer_id, _job_id, _first = ahead.invoiced_job("Alpha Homes")
    deck = ahead.finished_job(customer_id, ahead.labor(), name="Deck")
    _queue_everything(ahead)
    assert ahead.sync().percent == 100
    second = ahead.invoice(deck)
    _queue_everything(ahead)

    class LosesTheInvoiceAddAnswer:
        def process(self, request: str) -> str:
            if "InvoiceAddRq" in request:
                ahead.qb.lose_next_response()
            return ahead.qb.process(request)

    assert run_session(ahead.engine, LosesTheInvoiceAddAnswer()).broken
    with ahead.db.uow() as uow:
        invoices.void_invoice(uow, second, reason="Typo")
        uow.commit()
    _customers(ahead, "Beta Builders")  # goes first; the invoice's lookup is planned ahead
    _one_request_a_message(ahead)
    ticket = _start(ahead, "t2")
    message = ahead.engine.next_request(ticket)
    ahead.engine.progress(ticket)
    (lookup,) = [i for i in _items_of(ahead, "invoice", second) if i.action == "upsert"]
    assert (lookup.state, lookup.phase) == (QueueState.SENT, Phase.VERIFY)  # planned ahead
    ahead.engine.apply_response(ticket, ahead.qb.process(message))
    ahead.engine.end_session(ticket)
    assert ahead.sync().percent == 100
    assert sorted((i.ref_number, i.is_void) for i in ahead.qb.invoices) == [("1000", False), ("1001", True)]
    assert differences(ahead.db, ahead.qb) == []
