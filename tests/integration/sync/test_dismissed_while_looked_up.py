"""A record whose Add's answer was lost, whose lookup QuickBooks then refused (an alert), and
whose alert a person dismissed: its next change is looked up first (the Add may be in
QuickBooks: never sent twice), and once found, that change still goes (never dropped)."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.db.uow import Actor
from desktop_app.services import credit_applications, payments, sync_center, sync_queue
from desktop_app.services.invoice_edits import update_invoice
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import _apply, _credit
from tests.integration.sync.test_payment_room import _paid
from tests.integration.sync.test_voided_while_looked_up import _add_answer_lost


def _dismiss_the_open_alert(office: Office) -> None:
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert "dismiss" in alert.resolutions.split(",")
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "dismiss")
        uow.commit()


def _sync_until_quiet(office: Office) -> None:
    for _ in range(3):
        office.sync()


def _payment_lookup_refused(office: Office) -> tuple[int, int]:
    """An $850.00 payment QuickBooks saved, its answer lost, then its lookup refused (an
    alert waits for a person): (payment id, invoice id)."""
    customer_id, _job_id, invoice_id = office.invoiced_job("Page, Pat")
    office.sync()
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    office.qb.lose_next_response()
    office.sync()
    run_session(office.engine, QueryRefused(office, "ReceivePaymentQuery"))
    return payment_id, invoice_id


def test_an_invoice_changed_after_the_dismissal_is_found_and_its_change_goes(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        update_invoice(uow, invoice_id, memo="Gate code 4411")
        sync_queue.send_records(uow, [("invoice", invoice_id)])
        uow.commit()
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Gate code 4411"
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id


def test_a_payment_changed_after_the_dismissal_is_found_and_its_change_goes(office: Office) -> None:
    payment_id, invoice_id = _payment_lookup_refused(office)
    _dismiss_the_open_alert(office)
    with office.db.uow() as uow:
        payments.unapply_payment(uow, payment_id, invoice_id, "400.00")
        uow.commit()
    _sync_until_quiet(office)

    (payment,) = office.qb.payments
    assert [a.amount for a in payment.applications] == [Decimal("450.00")]


def test_a_credit_lowered_after_the_dismissal_is_asked_for_not_dropped(office: Office) -> None:
    office.qb.credit_links_only = True
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "300.00")
    office.sync()
    _apply(office, credit_id, invoice_id, "40.00")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks applies $40.00 (links only); the answer never comes back
    run_session(office.engine, QueryRefused(office, "CreditMemoQuery"))
    _dismiss_the_open_alert(office)
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "10.00")
        uow.commit()
    _sync_until_quiet(office)

    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("40.00")  # applied once; the SDK cannot lower it there
    (asked,) = [a for a in office.alerts() if a.state == "open"]
    assert asked.kind == "by_hand" and "apply $30.00 on invoice" in asked.message
