"""QuickBooks forgetting where an import was reading (3391): once a session, as QuickBooks
does when its session ends, the import reads again from the top and nothing is doubled;
forgotten again in the same session, or answered to a first page (no iterator to lose),
it is an answer QuickBooks is not documented to give: an alert that says what happened,
never the first page read for ever. Each runs planning in turn and ahead."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from desktop_app.db.models import Customer, Payment, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import settings, sync_center, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.simulator import seed_company
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.alerts import raise_alert
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office

_BOTH_WAYS = pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])


@pytest.fixture
def seeded(office: Office, monkeypatch: pytest.MonkeyPatch) -> Office:
    monkeypatch.setattr("qbwc_server.sync.imports.PAGE", 10)  # many pages from a small company
    seed_company(office.qb, customers=35, jobs=15, items=14, seed=3)
    with office.db.uow() as uow:
        sync_center.start_first_run_import(uow)
        uow.commit()
    return office


class _ForgetsEveryPlace:
    """A QuickBooks that loses every iterator between two messages (never documented)."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def process(self, message: str) -> str:
        self.office.qb.core.iterators.clear()
        return self.office.qb.process(message)


class _RefusesFirstCustomerPage:
    """A QuickBooks answering 3391 to the first page of customers, which carries no iterator."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        return re.sub(
            r'<CustomerQueryRs requestID="([^"]+)"[^>]*?(/>|>.*?</CustomerQueryRs>)',
            lambda found: (
                f'<CustomerQueryRs requestID="{found.group(1)}" statusCode="3391" statusSeverity="Error" '
                'statusMessage="The iterator does not exist or has expired." />'
            ),
            response,
            flags=re.DOTALL,
        )


def _customer_import(office: Office) -> SyncItem:
    with office.db.reader() as uow:
        item = uow.session.scalars(select(SyncItem).where(SyncItem.action == "import_customers")).one()
        uow.session.expunge_all()
        return item


def _customers_linked_once(office: Office) -> None:
    with office.db.reader() as uow:
        names = list(uow.session.scalars(select(Customer.display_name)))
        links = list(uow.session.execute(select(QbLink.entity_type, QbLink.qb_id)))
    assert len(names) == len(set(names)) == len([c for c in office.qb.customers if c.parent_id is None])
    assert all(n == 1 for n in Counter(links).values())


@_BOTH_WAYS
def test_a_place_forgotten_between_sessions_is_read_again_from_the_top(
    seeded: Office, plan_ahead: bool
) -> None:
    office = seeded
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    first = office.sync(max_round_trips=3)
    assert first.percent < 100
    assert _customer_import(office).iterator_id  # half way through the customers
    office.qb.core.iterators.clear()  # QuickBooks' session ended: it forgets every iterator
    report = office.sync(max_round_trips=60)
    assert report.percent == 100
    assert _customer_import(office).state == "done"
    assert office.alerts() == []
    _customers_linked_once(office)


@_BOTH_WAYS
def test_a_place_forgotten_again_in_the_same_session_ends_in_an_alert(
    seeded: Office, plan_ahead: bool
) -> None:
    office = seeded
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    report = run_session(office.engine, _ForgetsEveryPlace(office), max_round_trips=60)
    assert report.round_trips < 60  # the session ended: the first page was not read for ever
    item = _customer_import(office)
    assert item.state == "attention"
    assert item.iterator_id == ""  # a retry reads from the first page
    (alert,) = [a for a in office.alerts() if a.sync_item_id == item.id]
    assert alert.status_code == 3391
    assert "Bring in customers" in alert.record_label or "customers" in alert.message.lower()
    assert "lost its place" in alert.message
    assert "retry" in alert.message.lower()
    # QuickBooks behaves again: a person's retry reads everything once.
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    assert office.sync(max_round_trips=60).percent == 100
    assert _customer_import(office).state == "done"
    _customers_linked_once(office)


@_BOTH_WAYS
def test_a_3391_to_a_first_page_ends_in_an_alert_at_once(seeded: Office, plan_ahead: bool) -> None:
    office = seeded
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    report = run_session(office.engine, _RefusesFirstCustomerPage(office), max_round_trips=60)
    assert report.round_trips < 60
    item = _customer_import(office)
    assert item.state == "attention"
    assert item.attempts == 1  # asked once, not again and again
    (alert,) = [a for a in office.alerts() if a.sync_item_id == item.id]
    assert alert.status_code == 3391


class _ForgetsThePull:
    """QuickBooks answers every ReceivePaymentQuery (the pull of payments) with 3391."""

    def __init__(self, office: Office) -> None:
        self.office, self.pulls = office, 0

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)

        def refuse(found: re.Match[str]) -> str:
            self.pulls += 1
            return (
                f'<ReceivePaymentQueryRs requestID="{found.group(1)}" statusCode="3391" '
                'statusSeverity="Error" statusMessage="The iterator does not exist or has expired." />'
            )

        return re.sub(
            r'<ReceivePaymentQueryRs requestID="([^"]+)"[^>]*?(?:/>|>.*?</ReceivePaymentQueryRs>)',
            refuse,
            response,
            flags=re.DOTALL,
        )


@pytest.mark.parametrize("responsive", [False, True], ids=["polling", "responsive"])
@_BOTH_WAYS
def test_a_pull_of_payments_waiting_for_a_person_opens_no_session(
    office: Office, plan_ahead: bool, responsive: bool
) -> None:
    """The pull is due again at every poll while it waits for a person: QuickBooks would be
    opened every sync interval, for ever, to send nothing (found by review)."""
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    office.invoiced_job()
    office.sync()  # the invoice is in QuickBooks: pulling payments is due from now on
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.payment_pull_done_at", "")
        settings.set_setting(uow, "sync.responsive", responsive)
        settings.set_setting(uow, "sync.last_session_at", "2000-01-01T00:00:00+00:00")
        uow.commit()
    quickbooks = _ForgetsThePull(office)
    run_session(office.engine, quickbooks, max_round_trips=20)
    assert quickbooks.pulls == 1
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert (alert.entity_type, alert.status_code) == ("import", 3391)
    with office.db.uow() as uow:  # the next poll, the sync interval later
        settings.set_setting(uow, "sync.last_session_at", "2000-01-01T00:00:00+00:00")
        uow.commit()
    assert office.engine.has_work() is False
    # A person's Retry: due at once, and with QuickBooks behaving the pull is done.
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    assert office.engine.has_work() is True
    assert office.sync(max_round_trips=20).percent == 100
    assert [a for a in office.alerts() if a.state == "open"] == []


class _ForgetsOnceAfterFirstPull:
    """QuickBooks forgets its iterators once, right after answering the first page of the pull
    of payments (its session restarted, say)."""

    def __init__(self, office: Office) -> None:
        self.office, self.forgot = office, False

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        if not self.forgot and "<ReceivePaymentQueryRs" in response:
            self.forgot = True
            self.office.qb.core.iterators.clear()
        return response


@_BOTH_WAYS
def test_a_pull_read_again_from_the_top_misses_no_payment(
    office: Office, plan_ahead: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QuickBooks does not send a pull's pages in order of change: a payment changed late can
    come on the first page. The pull's "read up to" mark moved to it after that page, so a
    pull read again from the top (QuickBooks forgot where it was) skipped every payment
    changed before it that was on the pages not yet read (found by review)."""
    monkeypatch.setattr("qbwc_server.sync.imports.PAGE", 2)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    office.invoiced_job()
    office.sync()
    fields = office.payment_in_quickbooks

    added = office.qb_send(*(q.receive_payment_add(f"p{n}", fields(f"55{n:02}")) for n in range(5)))
    office.qb.core.advance(timedelta(hours=1))
    first = added["p0"].record
    assert first is not None and first.txn_id and first.edit_sequence
    # The first payment is changed an hour later: the newest change, on the first page.
    office.qb_send(q.receive_payment_mod("m", first.txn_id, first.edit_sequence, fields("5500")))
    with office.db.uow() as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
    quickbooks = _ForgetsOnceAfterFirstPull(office)
    assert run_session(office.engine, quickbooks, max_round_trips=40).percent == 100
    assert quickbooks.forgot
    assert office.count(Payment, Payment.origin == "quickbooks") == 5
    assert [a for a in office.alerts() if a.state == "open"] == []


class _LeavesOutOneContinuedPage:
    """QuickBooks reads the first continued page of customers, but leaves its answer out of
    the message (an answer Intuit does not document): its iterator has moved past it."""

    def __init__(self, office: Office) -> None:
        self.office, self.left_out = office, 0

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        if self.left_out or not re.search(r'<CustomerQueryRq[^>]*iterator="Continue"', message):
            return response
        self.left_out += 1
        return re.sub(r"<CustomerQueryRs .*?</CustomerQueryRs>", "", response, count=1, flags=re.DOTALL)


@_BOTH_WAYS
def test_a_page_whose_answer_went_missing_is_not_skipped(seeded: Office, plan_ahead: bool) -> None:
    """Sent again with the same iterator, the page after it came instead, and the missing
    page's customers were never brought in (found by review): read again from the top."""
    office = seeded
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    quickbooks = _LeavesOutOneContinuedPage(office)
    assert run_session(office.engine, quickbooks, max_round_trips=80).percent == 100
    assert quickbooks.left_out == 1
    assert _customer_import(office).state == "done"
    _customers_linked_once(office)


@_BOTH_WAYS
def test_a_persons_retry_of_an_import_reads_from_the_first_page(seeded: Office, plan_ahead: bool) -> None:
    """An import waiting for a person half way (here: an alert raised on it as the sync does
    for any refusal, its place kept): Retry reads from the first page, not from a place
    QuickBooks may have forgotten or moved past since."""
    office = seeded
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    assert office.sync(max_round_trips=3).percent < 100
    with office.db.uow() as uow:
        item = uow.session.scalars(select(SyncItem).where(SyncItem.action == "import_customers")).one()
        assert item.iterator_id
        raise_alert(uow.session, item, kind="error", label="Import customers", message="Stopped.")
        uow.commit()
    item = _customer_import(office)
    assert item.state == "attention" and item.iterator_id
    (alert,) = [a for a in office.alerts() if a.state == "open" and a.sync_item_id == item.id]
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    assert _customer_import(office).iterator_id == ""
    assert office.sync(max_round_trips=80).percent == 100
    _customers_linked_once(office)
