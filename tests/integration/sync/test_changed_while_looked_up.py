"""A record whose Add's answer was lost and whose lookup QuickBooks then refused (an alert,
left open): a person changes the record, which queues its item again (still to be looked
up: the Add may be in QuickBooks). Once found, the change goes: it is never dropped. Found
unchanged, nothing more is sent."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from desktop_app.db.uow import Actor
from desktop_app.services import customers, invoices, payments, settings, sync_queue
from desktop_app.services.invoice_edits import update_invoice
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office, QueryRefused
from tests.integration.sync.test_dismissed_while_looked_up import (
    _dismiss_the_open_alert,
    _payment_lookup_refused,
    _sync_until_quiet,
)
from tests.integration.sync.test_payment_room import _paid
from tests.integration.sync.test_voided_while_looked_up import _add_answer_lost


def _memo(office: Office, invoice_id: int, memo: str, *, send: bool = True) -> None:
    """A person changes the invoice's memo (and asks for it to go, with ``send``)."""
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        update_invoice(uow, invoice_id, memo=memo)
        if send:
            sync_queue.send_records(uow, [("invoice", invoice_id)])
        uow.commit()


def _one_open_alert(office: Office) -> None:
    assert [a.state for a in office.alerts()] == ["open"]


def test_an_invoice_changed_while_its_lookup_waits_is_found_and_its_change_goes(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _one_open_alert(office)
    _memo(office, invoice_id, "Gate code 4411")
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Gate code 4411"
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id


def test_a_payment_changed_while_its_lookup_waits_is_found_and_its_change_goes(office: Office) -> None:
    payment_id, invoice_id = _payment_lookup_refused(office)
    with office.db.uow() as uow:
        payments.unapply_payment(uow, payment_id, invoice_id, "400.00")
        uow.commit()
    _sync_until_quiet(office)

    (payment,) = office.qb.payments
    assert [a.amount for a in payment.applications] == [Decimal("450.00")]


def test_a_customer_changed_while_its_lookup_waits_is_found_and_its_change_goes(office: Office) -> None:
    customer_id = office.customer("Ng, Lee")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.qb.lose_next_response()
    office.sync()
    run_session(office.engine, QueryRefused(office, "CustomerQuery"))
    _one_open_alert(office)
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = dataclasses.replace(detail.to_fields(), email="lee@example.com")
        customers.update_customer(uow, customer_id, detail.version, fields)
        uow.commit()
    _sync_until_quiet(office)

    (customer,) = office.qb.customers
    assert customer.data.get("Email") == "lee@example.com"


def test_an_invoice_changed_before_its_lookup_went_is_found_and_its_change_goes(office: Office) -> None:
    invoice_id = _add_answer_lost(office)  # its item waits, queued, to look the invoice up
    _memo(office, invoice_id, "Back gate")
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Back gate"


def test_a_lookup_that_finds_an_unchanged_record_sends_nothing_more(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    (invoice,) = office.qb.invoices
    added = invoice.edit_sequence
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.edit_sequence == added  # found and linked: no Mod went
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id


def test_changed_then_dismissed_then_changed_again_is_still_looked_up_first(office: Office) -> None:
    """The change noted as merged into the waiting item (a cancelled row, newer than it) does
    not hide that item's unknown fate once it is dismissed: the next change looks first too."""
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _memo(office, invoice_id, "First change", send=False)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    _memo(office, invoice_id, "Second change")
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices  # never added twice
    assert invoice.data.get("Memo") == "Second change"


def test_a_change_saved_while_the_add_was_out_does_not_hide_its_unknown_fate(office: Office) -> None:
    """A change saved while the Add was out queues a twin, merged into the Add's item when
    its answer is lost; that item's lookup refused, then dismissed: the next change still
    looks the invoice up first (the twin, newer, is not the last Add)."""
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_job_finished", False)
        uow.commit()
    job_id = office.finished_job(office.customer("Ruiz, Eva"), office.labor())
    invoice_id = office.invoice(job_id, issue=False)
    office.sync()  # the customer, the job and the item
    with office.db.uow() as uow:
        invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    engine, ticket = office.engine, "in-flight"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    while "InvoiceAddRq" not in message:  # (its number looked up first)
        engine.apply_response(ticket, office.qb.process(message))
        message = engine.next_request(ticket)
    office.qb.process(message)  # QuickBooks adds it; its answer never comes back
    _memo(office, invoice_id, "Saved while out", send=False)
    engine.end_session(ticket)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    _memo(office, invoice_id, "After the dismissal")
    _sync_until_quiet(office)

    assert [i.data.get("Memo") for i in office.qb.invoices] == ["After the dismissal"]


def _requests_sent(office: Office) -> list[str]:
    sent: list[str] = []
    process = office.qb.process

    def recording(xml: str) -> str:
        sent.extend(tag for tag in re.findall(r"<(\w+Rq)\b", xml) if tag != "QBXMLMsgsRq")
        return process(xml)

    office.qb.process = recording  # type: ignore[method-assign]
    return sent


@pytest.mark.parametrize("how", ["paid in full", "sent again"])
def test_queued_again_without_a_change_while_looked_up_sends_no_change(office: Office, how: str) -> None:
    """Paid here, or "Send to QuickBooks" pressed again: the invoice itself did not change, so
    once found it is linked and done (its payment goes), with no Mod of the same invoice."""
    invoice_id = _add_answer_lost(office)
    if how == "paid in full":
        with office.db.reader() as uow:
            detail = invoices.get_invoice(uow, invoice_id)
        _paid(office, detail.customer_id, invoice_id, str(detail.total))
    else:
        with office.db.uow() as uow:
            sync_queue.send_records(uow, [("invoice", invoice_id)])
            uow.commit()
    sent = _requests_sent(office)
    _sync_until_quiet(office)

    assert "InvoiceModRq" not in sent and "InvoiceAddRq" not in sent
    assert office.link("invoice", invoice_id) is not None
