"""QuickBooks forgetting where an import was reading (3391): once a session, as QuickBooks
does when its session ends, the import reads again from the top and nothing is doubled;
forgotten again in the same session, or answered to a first page (no iterator to lose),
it is an answer QuickBooks is not documented to give: an alert that says what happened,
never the first page read for ever. Each runs planning in turn and ahead."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from desktop_app.db.models import Customer, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import settings, sync_center
from qbwc_server.simulator import seed_company
from qbwc_server.sync import SyncEngine
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
