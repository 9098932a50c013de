"""What a QuickBooks Desktop that behaves as Intuit documents does to a sync, and how the
engine copes: sales-tax items it must create, whole messages refused, answers that are not
what the engine expects, sessions that make no progress, sessions taken over."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from lxml import etree
from sqlalchemy import select

from desktop_app.db.models import Customer, Invoice, Payment, TaxRate
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.services import payments, settings, sync_center, sync_queue
from qbwc_server.simulator import QuickBooksCompany, RequestProcessorError
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office, QueryRefused

PARSE = "0x80040400"


def _bare(office: Office) -> Office:
    """The same office against a new QuickBooks company with no sales-tax item at all."""
    return replace(office, qb=QuickBooksCompany())


class RefusesMessagesWith:
    """QuickBooks whose request processor cannot parse any message holding ``marker``."""

    def __init__(self, company: QuickBooksCompany, marker: str, hresult: str = PARSE) -> None:
        self.company = company
        self.marker = marker
        self.hresult = hresult
        self.refused = 0

    def process(self, request_xml: str) -> str:
        if self.marker in request_xml:
            self.refused += 1
            raise RequestProcessorError(f"contains {self.marker}", hresult=self.hresult)
        return self.company.process(request_xml)


# -- sales tax is a dependency -------------------------------------------------------------------


def test_a_taxed_invoice_creates_its_sales_tax_item_first_in_a_bare_company(office: Office) -> None:
    office = _bare(office)
    assert office.qb.find_list("ItemSalesTax", "State Tax") is None
    customer_id = office.customer()
    paint = office.item("Paint", "40", taxable=True)
    invoice_id = office.invoice(office.finished_job(customer_id, paint, "10"))
    report = office.sync()
    assert report.percent == 100
    assert office.alerts() == []
    made = office.qb.find_list("ItemSalesTax", "State Tax")
    assert made is not None and Decimal(made.data["TaxRate"]) == Decimal("8.25")
    (qb_invoice,) = office.qb.invoices
    with office.db.reader() as uow:
        ours = uow.session.get(Invoice, invoice_id)
        assert ours is not None
        assert qb_invoice.total == ours.total == Decimal("433.00")
        rate_id = uow.session.scalars(select(TaxRate.id)).one()
    assert office.link("tax_item", rate_id) is not None
    # One item for the rate, whatever number of invoices use it.
    office.invoice(office.finished_job(customer_id, paint, "2"))
    office.sync()
    assert [e.kind for e in office.qb.items].count("ItemSalesTax") == 1


def test_an_existing_sales_tax_item_of_that_name_and_rate_is_linked_not_duplicated(office: Office) -> None:
    customer_id = office.customer()
    paint = office.item("Paint", "40", taxable=True)
    office.invoice(office.finished_job(customer_id, paint, "10"))
    office.sync()
    assert [e.kind for e in office.qb.items].count("ItemSalesTax") == 1
    assert office.alerts() == []


def test_3140_on_an_account_names_it_and_offers_the_quickbooks_accounts(office: Office) -> None:
    with office.db.uow() as uow:
        # An income account JobDesk knows but this QuickBooks company does not have.
        settings.set_setting(uow, "accounts.default_income_account_id", _account(uow, "Old Income"))
        uow.commit()
    labor = office.labor()
    office.sync(max_round_trips=5)
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("item", labor)])
        uow.commit()
    for _ in range(4):
        office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "missing_in_quickbooks"
    assert "account “Old Income”" in alert.message and "cannot create" in alert.message


def _account(uow: object, name: str) -> int:
    from desktop_app.db.models import Account

    session = uow.session  # type: ignore[attr-defined]
    account = Account(name=name, full_name=name, account_type="Income")
    session.add(account)
    session.flush()
    return int(account.id)


# -- a message QuickBooks refuses whole ------------------------------------------------------------


def test_one_unreadable_request_is_found_by_halves_and_the_rest_arrives(office: Office) -> None:
    ids = office.queued_customers(12, batch=50)
    with office.db.reader() as uow:
        names = [c.display_name for c in uow.session.scalars(select(Customer).where(Customer.id.in_(ids)))]
    bad_name = names[7]
    quickbooks = RefusesMessagesWith(office.qb, f"<Name>{bad_name}</Name>")
    report = run_session(office.engine, quickbooks)
    assert report.percent == 100  # one session: the rest did not wait
    assert sorted(office.qb.full_name(c) for c in office.qb.customers) == sorted(
        n for n in names if n != bad_name
    )
    (alert,) = office.alerts()
    assert alert.kind == "message_refused" and bad_name in alert.record_label
    assert "could not read" in alert.message and PARSE in alert.qb_message
    assert f"<Name>{bad_name}</Name>" in alert.data  # the qbXML fragment, to show or send
    # Halving 12 → 6 → 3 → 2 → 1: a handful of refused messages, not one per customer.
    assert quickbooks.refused <= 5
    assert office.engine.has_work() is False  # nothing loops: the bad one waits for a person
    with office.db.reader() as uow:
        # Every item has left its group: the next batch's one look at the isolation index
        # (``planner``) finds none, instead of walking the queue for a group that is over.
        grouped = uow.session.scalars(select(SyncItem.id).where(SyncItem.isolation.is_not(None))).all()
    assert grouped == []


def test_an_item_refused_alone_by_a_failing_quickbooks_needs_attention_after_three_tries(
    office: Office,
) -> None:
    (customer_id,) = office.queued_customers(1, batch=50)
    quickbooks = RefusesMessagesWith(office.qb, "CustomerAddRq", hresult="0x80040402")
    reports = [run_session(office.engine, quickbooks) for _ in range(3)]
    assert [r.broken for r in reports] == [True, True, False]  # QuickBooks in trouble: stop, retry later
    (alert,) = office.alerts()
    assert alert.kind == "message_refused" and "3 times" in alert.message
    (item,) = office.items_of("customer", customer_id)
    assert item.state == "attention" and item.phase == "verify"  # a retry looks it up first
    # A person retries once QuickBooks is well again: the customer arrives, exactly once.
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()
    assert len(office.qb.customers) == 1
    assert [a.kind for a in office.alerts() if a.state == "open"] == []


# -- answers are data --------------------------------------------------------------------------------


class AnswersInfo3210ForPayments:
    """An answer seen in the wild: ReceivePaymentAddRs with 3210, severity Info, no record."""

    def __init__(self, company: QuickBooksCompany) -> None:
        self.company = company

    def process(self, request_xml: str) -> str:
        response = self.company.process(request_xml)
        return re.sub(
            r'<ReceivePaymentAddRs requestID="([^"]+)"[^>]*>.*?</ReceivePaymentAddRs>',
            r'<ReceivePaymentAddRs requestID="\1" statusCode="3210" statusSeverity="Info" '
            r'statusMessage="The &quot;AppliedToTxnAdd payment amount&quot; field has an invalid value."/>',
            response,
            flags=re.S,
        )


def test_a_3210_answer_with_info_severity_is_an_alert_and_the_session_goes_on(office: Office) -> None:
    customer_id, _, invoice_id = office.invoiced_job()
    with office.db.uow() as uow:
        payments.record_payment(
            uow, customer_id, "100.00", "check", FINISHED, applications=[(invoice_id, "100.00")]
        )
        uow.commit()
    office.invoiced_job("Jones, Bo")
    with office.db.uow() as uow:
        sync_queue.send_everything_pending(uow)
        uow.commit()
    report = run_session(office.engine, AnswersInfo3210ForPayments(office.qb))
    assert report.percent == 100 and not report.broken
    (alert,) = office.alerts()
    assert alert.entity_type == "payment" and alert.status_code == 3210
    assert len(office.qb.invoices) == 2  # everything else went


def test_an_add_answered_without_its_record_is_an_alert_not_a_crash(office: Office) -> None:
    class NoRecord:
        def process(self, request_xml: str) -> str:
            response = office.qb.process(request_xml)
            return re.sub(r"<CustomerRet>.*?</CustomerRet>", "", response, flags=re.S)

    (customer_id,) = office.queued_customers(1, batch=50)
    report = run_session(office.engine, NoRecord())
    assert not report.broken
    (alert,) = office.alerts()
    assert alert.kind == "unexpected_answer" and "no record" in alert.message
    (item,) = office.items_of("customer", customer_id)
    assert item.phase == "verify"  # it may be in QuickBooks: a retry looks before adding


# -- nothing loops silently ------------------------------------------------------------------------


def test_three_sessions_without_progress_raise_one_stuck_alert_naming_the_blocker(office: Office) -> None:
    (customer_id,) = office.queued_customers(1, batch=50)
    office.qb.lose_next_response(10)  # every answer is lost on the way back: nothing ever finishes
    for _ in range(2):
        assert office.sync().broken
    assert office.alerts() == []
    office.sync()
    (stuck,) = office.alerts()
    assert stuck.kind == "stuck" and stuck.entity_id == customer_id
    assert "stuck" in stuck.message and "Customer 0" in stuck.message
    for _ in range(2):
        office.sync()
    assert [a.kind for a in office.alerts()] == ["stuck"]  # one, not one per session
    # Once the sync moves again the alert closes by itself.
    office.qb.lose_next_response(-office.qb._lose_next)
    office.sync()
    assert [(a.kind, a.state) for a in office.alerts()] == [("stuck", "resolved")]
    assert len(office.qb.customers) == 1


def test_authenticate_answers_none_when_the_only_work_waits_for_a_person(office: Office) -> None:
    ids = office.queued_customers(2, batch=50)
    with office.db.reader() as uow:
        bad = uow.session.get(Customer, ids[0])
        assert bad is not None
        bad_name = bad.display_name
    run_session(office.engine, RefusesMessagesWith(office.qb, f"<Name>{bad_name}</Name>"))
    assert len(office.alerts()) == 1
    assert office.engine.has_work() is False
    with office.db.uow() as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
    assert office.engine.has_work() is True  # Sync now always opens a session


# -- a session that was taken over ------------------------------------------------------------------


def test_an_answer_from_a_session_that_was_taken_over_is_kept_and_nothing_is_added_twice(
    office: Office,
) -> None:
    _, _, invoice_id = office.invoiced_job()
    engine = office.engine
    engine.start_session("old")
    messages = []
    while True:  # the old session sends everything; its last answer never comes back
        message = engine.next_request("old")
        if not message:
            break
        messages.append(message)
        if "InvoiceAddRq" in message:
            late_answer = office.qb.process(message)
            break
        engine.apply_response("old", office.qb.process(message))
    # A new session starts at once and looks the invoice up before anything is re-sent.
    report = run_session(engine, office.qb, ticket="new")
    assert report.percent == 100
    assert len(office.qb.invoices) == 1
    # The old Web Connector comes back with its answer: kept, nothing changes twice.
    engine.apply_response("old", late_answer)
    assert len(office.qb.invoices) == 1
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == office.qb.invoices[0].txn_id


def test_a_late_answer_settles_the_alert_its_item_was_waiting_on(office: Office) -> None:
    """The old session's answer never came; the new session's lookup stopped at an alert. When the
    old Web Connector comes back with QuickBooks' answer after all, the record is linked, the item
    is done and its alert is closed: nothing is left for a person to answer, nothing goes twice."""
    customer_id = office.customer("Smith, Ann")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    engine = office.engine
    engine.start_session("old")
    message = engine.next_request("old")
    assert "CustomerAddRq" in message
    late_answer = office.qb.process(message)  # QuickBooks adds it; the answer is held up
    run_session(engine, QueryRefused(office, "CustomerQuery"), ticket="new")
    (item,) = office.items_of("customer", customer_id)
    assert item.state == "attention" and office.link("customer", customer_id) is None
    assert [a.state for a in office.alerts()] == ["open"]

    engine.apply_response("old", late_answer)

    link = office.link("customer", customer_id)
    assert link is not None and link.qb_id == office.qb.customers[0].list_id
    (item,) = office.items_of("customer", customer_id)
    assert item.state == "done"
    assert [(a.state, a.resolution) for a in office.alerts()] == [("resolved", "answered late")]
    sent = len(office.qb.log)
    office.sync()
    assert len(office.qb.log) == sent and len(office.qb.customers) == 1


def test_a_copy_added_by_a_session_that_was_taken_over_is_deleted(office: Office) -> None:
    """The old session's message reaches QuickBooks only after the new one added the invoice."""
    _, _, invoice_id = office.invoiced_job()
    engine = office.engine
    engine.start_session("old")
    held = ""
    while True:
        message = engine.next_request("old")
        if not message:
            break
        if "InvoiceAddRq" in message:
            held = message  # handed to a Web Connector that stalls before QuickBooks gets it
            break
        engine.apply_response("old", office.qb.process(message))
    assert held
    run_session(engine, office.qb, ticket="new")
    assert len(office.qb.invoices) == 1
    late_answer = office.qb.process(held)  # the stalled message lands after all
    assert len([i for i in office.qb.invoices if not i.is_void]) == 2
    engine.apply_response("old", late_answer)
    office.sync()
    alive = [i for i in office.qb.invoices if not i.is_void]
    assert len(alive) == 1
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == alive[0].txn_id
    with office.db.reader() as uow:
        cleanup = uow.session.scalars(select(SyncItem).where(SyncItem.action == "delete_duplicate")).one()
        assert cleanup.state == "done"
    assert office.count(Alert) == 0


def test_a_payment_answer_for_a_recovered_item_is_applied_as_if_in_time(office: Office) -> None:
    customer_id, _, invoice_id = office.invoiced_job()
    office.sync()
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "100.00", "check", FINISHED, applications=[(invoice_id, "100.00")]
        )
        uow.commit()
    engine = office.engine
    engine.start_session("old")
    message = engine.next_request("old")
    assert "ReceivePaymentAddRq" in message
    answer = office.qb.process(message)
    engine.start_session("new")  # a newer session recovers the unanswered payment…
    engine.apply_response("old", answer)  # …and the old one's answer still counts
    assert office.link("payment", payment.id) is not None
    (item,) = [i for i in office.items_of("payment", payment.id) if i.action == "upsert"]
    assert item.state == "done"
    report = run_session(engine, office.qb, ticket="new")
    assert report.round_trips <= 1
    assert len(office.qb.payments) == 1
    with office.db.reader() as uow:
        assert uow.session.get(Payment, payment.id) is not None


def _children(xml: str, tag: str) -> list[str]:
    root = etree.fromstring(xml.split("?>", 2)[-1].encode())
    return [str(e.tag) for e in root.iter(tag)]
