"""Resolving the sync's own alerts from the services: an account QuickBooks lacks, a refused
message's request shown, and "sync is stuck" (Retry and Dismiss on a queued item)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from desktop_app.db.models import Account, AuditEntry, Item
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.errors import InvalidTransition, PermissionDenied, ValidationError
from desktop_app.services import accounts, items, settings, sync_center, sync_queue
from desktop_app.services.sync_alert_details import alert_details
from qbwc_server.sync import refusals
from tests.conftest import ADMIN, OFFICE
from tests.integration.service_helpers import snapshot
from tests.integration.sync.conftest import Office


def import_accounts(office: Office) -> None:
    with office.db.uow() as uow:
        sync_queue.enqueue(uow, "import", None, "import_accounts", urgent=True)
        uow.commit()
    office.sync()


def item_with_missing_account(office: Office, *, own_account: bool) -> tuple[int, Alert]:
    """An item posting to "Old Income", which this QuickBooks company does not have."""
    with office.db.uow() as uow:
        old = uow.session.scalar(select(Account).where(Account.full_name == "Old Income"))
        if old is None:
            old = Account(name="Old Income", full_name="Old Income", account_type="Income")
            uow.session.add(old)
            uow.session.flush()
        if not own_account:  # made before any default was chosen: it posts to the default
            settings.set_setting(uow, "accounts.default_income_account_id", 0)
        item = items.create_item(
            uow,
            items.ItemFields(
                name="Labor", unit_price="85", income_account_id=old.id if own_account else None
            ),
        )
        if not own_account:
            settings.set_setting(uow, "accounts.default_income_account_id", old.id)
        sync_queue.send_records(uow, [("item", item.id)])
        uow.commit()
    office.sync()
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.kind == "missing_in_quickbooks" and (alert.entity_type, alert.entity_id) == ("item", item.id)
    assert json.loads(alert.data)["missing_name"] == "Old Income"
    return item.id, alert


def qb_item_account(office: Office, name: str) -> str:
    qb_item = next(i for i in office.qb.items if i.name == name)
    account_id = qb_item.data["SalesOrPurchase/AccountRef"]
    return next(a.name for a in office.qb.accounts if a.list_id == account_id)


@pytest.mark.parametrize("own_account", [True, False])
def test_an_account_quickbooks_lacks_is_replaced_by_one_it_has(office: Office, own_account: bool) -> None:
    item_id, alert = item_with_missing_account(office, own_account=own_account)
    import_accounts(office)
    with office.db.reader() as uow:
        detail = alert_details(uow, [alert.id])[alert.id]
    # Only income accounts QuickBooks has are offered; the others are counted, not offered.
    assert detail.can_use_account and detail.missing_name == "Old Income"
    assert detail.account_choices == ("Construction Income", "Materials Income")
    assert detail.accounts_not_offered == 5  # Checking, Undeposited Funds, …

    with office.db.uow(ADMIN) as uow:
        closed = sync_center.use_account_for_alert(uow, alert.id, " materials income ")
        uow.commit()
    assert (closed.state, closed.resolution, closed.resolved_by) == ("resolved", "use_account", "Ada Admin")
    with office.db.reader() as uow:
        item = uow.session.get(Item, item_id)
        assert item is not None
        default = accounts.get_default_income_account(uow)
        assert default is not None
        if own_account:
            assert uow.session.get(Account, item.income_account_id).full_name == "Materials Income"  # type: ignore[union-attr]
            assert default.full_name == "Construction Income"  # the default is left alone
        else:
            assert item.income_account_id is None  # it posts to the default, which changed
            assert default.full_name == "Materials Income"
        summaries = list(uow.session.scalars(select(AuditEntry.summary).order_by(AuditEntry.id)))
        (queued,) = uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "item"))
        assert (queued.state, queued.phase) == ("queued", "")
    assert "Use a QuickBooks account: Item Labor" in summaries
    assert (
        "Item Labor posts to Materials Income (QuickBooks has no “Old Income”)" in summaries
        if own_account
        else "Default income account changed" in summaries
    )

    office.sync()
    assert office.link("item", item_id) is not None
    assert qb_item_account(office, "Labor") == "Materials Income"
    assert not [a for a in office.alerts() if a.state == "open"]


def test_choosing_an_account_refuses_what_cannot_work_and_changes_nothing(office: Office) -> None:
    _, alert = item_with_missing_account(office, own_account=True)
    import_accounts(office)
    before = snapshot(office.db)
    refused = [
        ("Old Income", ValidationError, "QuickBooks has no account “Old Income”"),  # ours only
        ("Bonus Income", ValidationError, "QuickBooks has no account “Bonus Income”"),
        ("Checking", ValidationError, "“Checking” is not an income account"),
        ("  ", ValidationError, "Choose the QuickBooks account to use."),
    ]
    for name, error, text in refused:
        with office.db.uow() as uow, pytest.raises(error, match=text) as caught:
            sync_center.use_account_for_alert(uow, alert.id, name)
        assert isinstance(caught.value, ValidationError) and caught.value.field == "account"
    with office.db.uow(OFFICE) as uow, pytest.raises(PermissionDenied):
        sync_center.use_account_for_alert(uow, alert.id, "Construction Income")
    assert snapshot(office.db) == before

    with office.db.uow() as uow:
        sync_center.use_account_for_alert(uow, alert.id, "Construction Income")
        uow.commit()
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="already closed"):
        sync_center.use_account_for_alert(uow, alert.id, "Construction Income")


def test_only_a_missing_account_alert_takes_an_account(office: Office) -> None:
    customer_id = office.customer()
    stuck = stuck_on_customer(office, customer_id)
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="not about an account"):
        sync_center.use_account_for_alert(uow, stuck.id, "Construction Income")


# -- a message QuickBooks refused whole ------------------------------------------------------------


class RefusesOne:
    """QuickBooks' request processor refusing every message that holds one request."""

    def __init__(self, office: Office, marker: str) -> None:
        self.qb, self.marker = office.qb, marker

    def process(self, request_xml: str) -> str:
        if self.marker in request_xml:
            raise ValueError("QuickBooks found an error when parsing the provided XML text stream.")
        return self.qb.process(request_xml)


def test_a_refused_message_shows_the_request_the_record_sent(office: Office) -> None:
    ids = [office.customer(name) for name in ("Adams, Al", "Bad Apple, Bo", "Cole, Cy")]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in ids])
        uow.commit()
    from qbwc_server.sync.loopback import run_session

    run_session(office.engine, RefusesOne(office, "Bad Apple"))
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert (alert.kind, alert.entity_id) == ("message_refused", ids[1])
    with office.db.reader() as uow:
        detail = alert_details(uow, [alert.id])[alert.id]
    assert detail.hresult == "0x80040400"
    # The request as the record sent it (the message held the others too).
    assert detail.request_xml.startswith('<CustomerAddRq requestID="')
    assert detail.request_xml.endswith("</CustomerAddRq>")
    assert "<Name>Bad Apple, Bo</Name>" in detail.request_xml and "Adams" not in detail.request_xml
    assert office.link("customer", ids[0]) is not None and office.link("customer", ids[2]) is not None


# -- "sync is stuck" ------------------------------------------------------------------------------


def stuck_on_customer(office: Office, customer_id: int) -> Alert:
    """Three sessions in a row that finished nothing while the customer waited to be sent."""
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    end_quiet_sessions(office, 3)
    (alert,) = [a for a in office.alerts() if a.state == "open" and a.kind == "stuck"]
    return alert


def end_quiet_sessions(office: Office, count: int) -> None:
    """What the engine does at the end of a session that finished nothing."""
    for _ in range(count):
        with office.db.uow() as uow:
            before = int(settings.get_setting(uow, "sync.sessions_without_progress"))
            after = refusals.note_session_end(uow.session, 0, before)
            settings.set_setting(uow, "sync.sessions_without_progress", after)
            uow.commit()


def test_stuck_alert_names_the_blocking_record_and_retry_sends_it(office: Office) -> None:
    customer_id = office.customer("Smith, Ann")
    alert = stuck_on_customer(office, customer_id)
    (item,) = office.items_of("customer", customer_id)
    assert alert.sync_item_id == item.id and item.state == "queued"
    with office.db.reader() as uow:
        detail = alert_details(uow, [alert.id])[alert.id]
    assert detail.blocking == "Blocking the sync: Customer Smith, Ann (waiting to send)."

    with office.db.uow(OFFICE) as uow:  # anyone may retry
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    (item,) = office.items_of("customer", customer_id)
    assert (item.state, item.urgent) == ("queued", True)
    assert [a.state for a in office.alerts()] == ["resolved"]
    # Counted afresh: one more quiet session does not call it stuck again at once.
    end_quiet_sessions(office, 1)
    assert [a.state for a in office.alerts()] == ["resolved"]
    office.sync()
    assert office.link("customer", customer_id) is not None


def test_dismissing_a_stuck_alert_takes_its_record_out_of_the_queue(office: Office) -> None:
    blocking = office.customer("Smith, Ann")
    alert = stuck_on_customer(office, blocking)
    with office.db.uow(OFFICE) as uow, pytest.raises(PermissionDenied):
        sync_center.resolve_alert(uow, alert.id, "dismiss")
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "dismiss")
        uow.commit()
    (item,) = office.items_of("customer", blocking)
    assert item.state == "cancelled" and item.pending_key is None
    assert [(a.state, a.resolution) for a in office.alerts()] == [("dismissed", "dismiss")]
    end_quiet_sessions(office, 3)  # nothing left queued: never stuck again
    assert [a.state for a in office.alerts()] == ["dismissed"]
    assert office.link("customer", blocking) is None


def test_a_stuck_alert_dismissed_then_brought_back_can_still_be_retried(office: Office) -> None:
    blocking = office.customer("Smith, Ann")
    alert = stuck_on_customer(office, blocking)
    with office.db.uow(ADMIN) as uow:
        sync_center.resolve_alert(uow, alert.id, "dismiss")
        sync_center.undo_dismiss(uow, alert.id)
        uow.commit()
    (item,) = office.items_of("customer", blocking)
    assert item.state == "attention"
    with office.db.uow(OFFICE) as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    (item,) = office.items_of("customer", blocking)
    assert item.state == "queued"
    office.sync()
    assert office.link("customer", blocking) is not None


def test_an_account_deleted_in_quickbooks_is_neither_offered_nor_taken(office: Office) -> None:
    """JobDesk imported "Old Income" once; QuickBooks has since lost it."""
    with office.db.uow(ADMIN) as uow:
        accounts.upsert_accounts_from_quickbooks(
            uow, [accounts.QuickBooksAccount("80000099-1", "Old Income", "Income")]
        )
        uow.commit()
    _, alert = item_with_missing_account(office, own_account=True)
    import_accounts(office)
    with office.db.reader() as uow:
        detail = alert_details(uow, [alert.id])[alert.id]
    assert detail.account_choices == ("Construction Income", "Materials Income")
    with (
        office.db.uow(ADMIN) as uow,
        pytest.raises(ValidationError, match="does not have “Old Income” any more"),
    ):
        sync_center.use_account_for_alert(uow, alert.id, "old income")


@pytest.mark.parametrize("resolution", ["send_anyway", "link", "renumber"])
def test_a_resolution_for_an_alert_whose_queue_item_is_gone_is_refused_plainly(
    office: Office, resolution: str
) -> None:
    with office.db.uow() as uow:
        alert = Alert(
            sync_item_id=None,
            entity_type="invoice",
            entity_id=None,
            record_label="Invoice 1001",
            kind="number_conflict",
            message="QuickBooks already has an invoice numbered 1001.",
            resolutions="renumber,link,send_anyway,dismiss",
            data=json.dumps({"qb_txn_id": "1-2"}),
        )
        uow.session.add(alert)
        uow.commit()
        alert_id = alert.id
    before = snapshot(office.db)
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match=r"Invoice 1001.*Dismiss the alert"):
        sync_center.resolve_alert(uow, alert_id, resolution)
    assert snapshot(office.db) == before


def test_done_in_quickbooks_is_refused_where_the_alert_does_not_offer_it(office: Office) -> None:
    """Only an alert about a change the QuickBooks SDK cannot make offers it (a credit applied
    with links only, ``test_credit_applied_with_links_only``): elsewhere nothing is recorded."""
    customer_id = office.customer("Smith, Ann")
    alert = stuck_on_customer(office, customer_id)
    with office.db.uow() as uow, pytest.raises(ValidationError, match="does not apply here"):
        sync_center.resolve_alert(uow, alert.id, "done_there")
    (item,) = office.items_of("customer", customer_id)
    assert item.state == "queued"
    assert [a.state for a in office.alerts()] == ["open"]
