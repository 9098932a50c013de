"""The queue rules one by one: payments follow their invoice, held-back records are told in a
sentence, and what a sync reports as sent agrees with what the queue showed."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop_app.services import invoices, payments, settings, sync_center, sync_held_back, sync_queue
from tests.integration.sync.conftest import FINISHED, Office


def _triggers(office: Office, *, sent: bool, finished: bool, paid: bool) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_invoice_sent", sent)
        settings.set_setting(uow, "sync.on_job_finished", finished)
        settings.set_setting(uow, "sync.on_invoice_paid", paid)
        uow.commit()


def _pay(office: Office, customer_id: int, invoice_id: int, amount: str) -> int:
    with office.db.uow() as uow:
        paid = payments.record_payment(
            uow, customer_id, amount, "check", FINISHED, applications=[(invoice_id, amount)]
        )
        uow.commit()
    return paid.id


def _held(office: Office) -> tuple[sync_held_back.HeldBack, ...]:
    with office.db.reader() as uow:
        return sync_held_back.list_held_back(uow)


def test_a_partial_payment_made_before_the_invoice_is_sent_reaches_quickbooks(office: Office) -> None:
    """The issue's day: job finished, then invoiced, $500 paid, then the invoice sent."""
    _triggers(office, sent=True, finished=False, paid=True)
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor())
    invoice_id = office.invoice(job_id, issue=False)
    payment_id = _pay(office, customer_id, invoice_id, "500.00")
    assert {(r.entity_type, r.entity_id) for r in _held(office)} == {
        ("invoice", invoice_id),
        ("payment", payment_id),
    }
    with office.db.uow() as uow:
        invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    assert _held(office) == ()
    office.sync()
    office.sync()
    assert office.link("payment", payment_id) is not None
    (qb_payment,) = office.qb.payments
    assert str(qb_payment.total) == "500.00"
    assert [str(a.amount) for a in qb_payment.applications] == ["500.00"]


def test_sending_an_invoice_by_hand_takes_its_payments_along(office: Office) -> None:
    _triggers(office, sent=False, finished=False, paid=False)
    customer_id, _, invoice_id = office.invoiced_job()
    payment_id = _pay(office, customer_id, invoice_id, "100.00")
    with office.db.uow() as uow:
        assert sync_queue.send_records(uow, [("invoice", invoice_id)]) == 2
        uow.commit()
    assert [i.state for i in office.items_of("payment", payment_id)] == ["queued"]


def test_a_payment_on_an_invoice_already_queued_goes_whatever_on_invoice_paid_says(office: Office) -> None:
    _triggers(office, sent=True, finished=False, paid=False)
    customer_id, _, invoice_id = office.invoiced_job()
    payment_id = _pay(office, customer_id, invoice_id, "100.00")
    assert [i.state for i in office.items_of("payment", payment_id)] == ["queued"]


def test_the_sentence_names_what_holds_records_back(office: Office) -> None:
    _triggers(office, sent=True, finished=False, paid=False)
    customer_id = office.customer()
    labor = office.labor()
    first = office.invoice(office.finished_job(customer_id, labor, name="Porch"), issue=False)
    office.invoice(office.finished_job(customer_id, labor, name="Gate"), issue=False)
    _pay(office, customer_id, first, "100.00")
    with office.db.reader() as uow:
        summary = sync_held_back.held_back_summary(uow)
    assert summary.message() == (
        "2 invoices and 1 payment are not in QuickBooks: they go when the invoice is sent."
    )
    rows = _held(office)
    payment_row = next(r for r in rows if r.entity_type == "payment")
    invoice_number = next(r.number for r in rows if r.entity_id == first and r.entity_type == "invoice")
    assert payment_row.reason == f"Goes with invoice {invoice_number}, when invoice {invoice_number} is sent."

    with office.db.uow() as uow:
        payments.record_payment(uow, customer_id, "25.00", "cash", FINISHED)  # applied to nothing
        settings.set_setting(uow, "sync.on_job_finished", True)
        uow.commit()
    with office.db.reader() as uow:
        message = sync_held_back.held_back_summary(uow).message()
    assert message == (
        "2 invoices and 2 payments are not in QuickBooks: 3 when the invoice is sent, "
        "1 when the payment is applied to an invoice."
    )


def test_with_every_trigger_off_records_wait_for_a_person(office: Office) -> None:
    _triggers(office, sent=False, finished=False, paid=False)
    _, _, invoice_id = office.invoiced_job()
    (row,) = _held(office)
    assert (row.entity_type, row.entity_id) == ("invoice", invoice_id)
    assert row.waits_for == sync_held_back.BY_HAND
    with office.db.reader() as uow:
        assert sync_held_back.held_back_summary(uow).message() == (
            "1 invoice is not in QuickBooks: it goes by hand: no sync setting sends them."
        )
    with office.db.uow() as uow:
        assert sync_held_back.send_held_back(uow) == 1
        uow.commit()
    assert _held(office) == ()


def test_what_a_sync_sent_is_what_was_waiting_plus_what_it_needed_first(office: Office) -> None:
    office.invoiced_job()  # the job and the invoice are queued; the customer and item are not
    with office.db.reader() as uow:
        waiting = sync_center.counts(uow).pending
    started = datetime.now(UTC)
    office.sync()
    office.sync()
    with office.db.reader() as uow:
        report = sync_center.sent_since(uow, started)
    assert waiting == 2
    assert dict(report.added) == {"customer": 1, "item": 1}
    assert report.sent == waiting + report.added_total == 4
    assert report.text() == "Sent 4 records to QuickBooks (2 of them needed first: 1 customer, 1 item)."
