"""Answers QuickBooks is not documented to give, taken as data: a request left out of the
answer, an Add answered under a requestID we never sent. Nothing is added twice, nothing of
someone else's is deleted, and a request that is never answered ends in an alert rather than
going round for ever. Each runs four ways: one message or one request a message, the engine
planning in turn or ahead."""

from __future__ import annotations

import re

import pytest

from desktop_app.services import settings, sync_queue
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office

_FOUR_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["one message", "a request a message", "one message, planned ahead", "a request a message, ahead"],
)
EMPTY = '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs></QBXMLMsgsRs></QBXML>'


def _as_configured(office: Office, per_message: int, plan_ahead: bool) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()


class _FirstAddAnsweredUnder:
    """QuickBooks does every request; the first InvoiceAdd's answer comes back under
    ``request_id`` (one never sent; "" leaves the attribute out)."""

    def __init__(self, office: Office, request_id: str) -> None:
        self.office, self.request_id, self.done = office, request_id, False

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        found = re.search(r'<InvoiceAddRs requestID="[^"]+"', response)
        if self.done or found is None:
            return response
        self.done = True
        new = f' requestID="{self.request_id}"' if self.request_id else ""
        return response.replace(found.group(0), f"<InvoiceAddRs{new}", 1)


@_FOUR_WAYS
@pytest.mark.parametrize("request_id", ["zz-1", ""], ids=["an unknown requestID", "no requestID"])
def test_an_add_whose_answer_is_under_another_request_id_is_not_added_twice(
    office: Office, per_message: int, plan_ahead: bool, request_id: str
) -> None:
    _as_configured(office, per_message, plan_ahead)
    _c, _j, invoice_id = office.invoiced_job()
    report = run_session(office.engine, _FirstAddAnsweredUnder(office, request_id), max_round_trips=40)
    assert report.percent == 100
    (invoice,) = office.qb.invoices  # looked up before it went again: found, linked
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id
    assert office.alerts() == []


@_FOUR_WAYS
def test_an_add_answered_under_a_request_id_of_another_record_deletes_nothing(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Invoice B's answer comes back under a requestID shaped like invoice A's (A is in
    QuickBooks, linked): it is not a second copy of A, and nothing is deleted."""
    _as_configured(office, per_message, plan_ahead)
    _c, _j, first = office.invoiced_job("Smith, Ann")
    office.sync()
    (first_item,) = office.items_of("invoice", first)
    for attempt in (first_item.attempts, 99):  # an attempt A made, one it never made
        _c, _j, later = office.invoiced_job(f"Jones {attempt}, Bob")
        run_session(office.engine, _FirstAddAnsweredUnder(office, f"{first_item.id}-{attempt}"))
        office.sync()
        assert [r for r, _a in office.qb.log if "TxnDelRq" in r] == []
        link = office.link("invoice", later)
        assert link is not None and link.qb_id in {i.txn_id for i in office.qb.invoices}
    assert len(office.qb.invoices) == 3 and not any(i.is_void for i in office.qb.invoices)
    link = office.link("invoice", first)
    assert link is not None and link.qb_id == office.qb.invoices[0].txn_id


class _LeavesOut:
    """QuickBooks leaves the CustomerAdd of ``name`` out of every answer (not done), or
    answers every message with nothing at all (``name`` None)."""

    def __init__(self, office: Office, name: str | None) -> None:
        self.office, self.name = office, name

    def process(self, message: str) -> str:
        if self.name is None:
            return EMPTY
        pattern = (
            rf'<CustomerAddRq requestID="[^"]+">(?:(?!</CustomerAddRq>).)*{self.name}.*?</CustomerAddRq>'
        )
        left_out = re.search(pattern, message, re.S)
        if left_out is None:
            return self.office.qb.process(message)
        rest = message.replace(left_out.group(0), "")
        return self.office.qb.process(rest) if "requestID=" in rest else EMPTY


@_FOUR_WAYS
@pytest.mark.parametrize("left_out", ["Bad Co", None], ids=["one request", "every request"])
def test_a_request_never_answered_ends_in_an_alert_and_the_rest_goes(
    office: Office, per_message: int, plan_ahead: bool, left_out: str | None
) -> None:
    _as_configured(office, per_message, plan_ahead)
    good, bad = office.customer("Good Co"), office.customer("Bad Co")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", good), ("customer", bad)])
        uow.commit()
    report = run_session(office.engine, _LeavesOut(office, left_out), max_round_trips=40)
    assert report.percent == 100 and report.round_trips < 40
    never = [bad] if left_out else [good, bad]
    alerts = [a for a in office.alerts() if a.state == "open"]
    assert sorted((a.kind, a.entity_id) for a in alerts) == sorted(("unanswered", n) for n in never)
    assert all("never added twice" in a.message for a in alerts)
    assert [c.name for c in office.qb.customers] == ([] if left_out is None else ["Good Co"])
    assert all(i.phase == "verify" for n in never for i in office.items_of("customer", n))
