"""After the first sync: voids, deleted payments, late applications, renames, pulled payments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.db.models import Payment
from desktop_app.services import customers, invoices, payments, sync_queue
from qbwc_server import qbxml as q
from tests.integration.sync.conftest import FINISHED, Office


def test_voiding_an_invoice_in_the_app_voids_it_in_quickbooks(office: Office) -> None:
    _, _, invoice_id = office.invoiced_job()
    office.sync()
    with office.db.uow() as uow:
        invoices.void_invoice(uow, invoice_id, reason="Wrong job")
        uow.commit()
    office.sync()
    (qb_invoice,) = office.qb.invoices
    assert qb_invoice.is_void and qb_invoice.total == Decimal("0.00")
    assert office.engine.has_work() is False


def test_voiding_an_invoice_never_sent_sends_nothing(office: Office) -> None:
    _, _, invoice_id = office.invoiced_job()
    with office.db.uow() as uow:
        invoices.void_invoice(uow, invoice_id, reason="Typo")
        uow.commit()
    office.sync()
    assert office.qb.invoices == []
    assert [i.state for i in office.items_of("invoice", invoice_id)] == ["cancelled"]


def test_deleting_a_payment_deletes_it_in_quickbooks(office: Office) -> None:
    _, _, invoice_id = office.invoiced_job()
    with office.db.uow() as uow:
        paid = payments.mark_paid(uow, invoice_id, received_on=FINISHED, reference="1042")
        uow.commit()
    office.sync()
    assert len(office.qb.payments) == 1
    assert office.qb.invoice_balance(office.qb.invoices[0]) == Decimal("0.00")
    with office.db.uow() as uow:
        payments.delete_payment(uow, paid.id)
        uow.commit()
    office.sync()
    assert office.qb.payments == []
    assert office.qb.invoice_balance(office.qb.invoices[0]) == Decimal("850.00")


def test_a_payment_applied_later_updates_the_quickbooks_payment(office: Office) -> None:
    customer_id, _, invoice_id = office.invoiced_job()
    with office.db.uow() as uow:
        payment = payments.record_payment(uow, customer_id, "500.00", "check", FINISHED, reference="77")
        sync_queue.send_records(uow, [("payment", payment.id)])
        uow.commit()
    office.sync()
    (qb_payment,) = office.qb.payments
    assert qb_payment.applications == [] and qb_payment.total == Decimal("500.00")
    with office.db.uow() as uow:
        payments.apply_payment(uow, payment.id, invoice_id, "500.00")
        uow.commit()
    office.sync()
    (qb_payment,) = office.qb.payments
    assert [a.amount for a in qb_payment.applications] == [Decimal("500.00")]
    assert office.qb.invoice_balance(office.qb.invoices[0]) == Decimal("350.00")


@pytest.mark.parametrize("where", ["everywhere", "from one"])
def test_a_payment_unapplied_here_is_unapplied_in_quickbooks(office: Office, where: str) -> None:
    """A Mod lists what the payment applies: one unapplied from every invoice still lists
    them (at 0.00), or QuickBooks would keep them paid (and refuse a credit applied there)."""
    customer_id, _, first = office.invoiced_job()
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "300.00", "check", FINISHED, applications=[(first, "200.00")]
        )
        uow.commit()
    office.sync()
    (qb_payment,) = office.qb.payments
    assert [a.amount for a in qb_payment.applications] == [Decimal("200.00")]
    with office.db.uow() as uow:
        if where == "from one":
            payments.unapply_payment(uow, payment.id, first, "50.00")
        else:
            payments.unapply_payment(uow, payment.id, first)
        uow.commit()
    assert office.sync().percent == 100
    (qb_payment,) = office.qb.payments
    expected = [Decimal("150.00")] if where == "from one" else []
    assert [a.amount for a in qb_payment.applications] == expected
    assert office.qb.invoice_balance(office.qb.invoices[0]) == Decimal("850.00") - sum(expected, Decimal(0))
    assert office.alerts() == []
    # Applied again afterwards: QuickBooks takes it (its invoice is open there again).
    with office.db.uow() as uow:
        payments.apply_payment(uow, payment.id, first, "300.00" if where == "everywhere" else "150.00")
        uow.commit()
    assert office.sync().percent == 100
    assert sum((a.amount for a in office.qb.payments[0].applications), Decimal(0)) == Decimal("300.00")
    assert office.alerts() == []


def test_a_customer_renamed_in_the_app_is_renamed_in_quickbooks(office: Office) -> None:
    customer_id, _, _ = office.invoiced_job()
    office.sync()
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = detail.to_fields()
        customers.update_customer(
            uow,
            customer_id,
            detail.version,
            fields.__class__(**{**fields.__dict__, "display_name": "Smith-Jones, Ann"}),
        )
        uow.commit()
    office.sync()
    names = sorted(office.qb.full_name(c) for c in office.qb.customers)
    assert names == ["Smith-Jones, Ann", "Smith-Jones, Ann:1000 Kitchen"]
    assert len(office.qb.customers) == 2


def _sync_now(office: Office) -> None:
    """A person presses Sync now (the pull of payments is due at once), then a session runs."""
    with office.db.uow() as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
    office.sync()


def _payment_entered_in_quickbooks(office: Office, ref_number: str) -> None:
    """$300.00 received in QuickBooks against its first invoice."""
    qb_invoice = office.qb.invoices[0]
    office.qb_send(
        q.receive_payment_add(
            "p",
            q.PaymentFields(
                customer=q.Ref.by_id(qb_invoice.customer_id),
                txn_date=FINISHED,
                ref_number=ref_number,
                total_amount=Decimal("300.00"),
                applications=(q.AppliedPayment(qb_invoice.txn_id, Decimal("300.00")),),
            ),
        )
    )


def test_payments_entered_in_quickbooks_are_pulled_once(office: Office) -> None:
    _, _, invoice_id = office.invoiced_job()
    office.sync()
    _payment_entered_in_quickbooks(office, "5501")
    _sync_now(office)
    office.sync()
    _sync_now(office)
    with office.db.reader() as uow:
        detail = invoices.get_invoice(uow, invoice_id)
    assert detail.balance == Decimal("550.00")
    assert office.count(Payment) == 1
    assert office.count(Payment, Payment.origin == "quickbooks") == 1
    assert len(office.qb.payments) == 1  # never sent back to QuickBooks


def test_a_pull_reading_our_payments_with_one_entered_in_quickbooks_pulls_only_that_one(
    office: Office,
) -> None:
    """The pull reads a page of QuickBooks' payments: ours (sent by JobDesk, linked) are
    skipped, the one entered there is recorded once, however often the pull runs."""
    customer_id, _, invoice_id = office.invoiced_job()
    with office.db.uow() as uow:
        payments.record_payment(
            uow, customer_id, "100.00", "check", FINISHED, applications=[(invoice_id, "100.00")]
        )
        uow.commit()
    office.sync()
    _payment_entered_in_quickbooks(office, "5502")
    for _ in range(2):
        _sync_now(office)
    with office.db.reader() as uow:
        detail = invoices.get_invoice(uow, invoice_id)
    assert detail.balance == Decimal("450.00")
    assert office.count(Payment) == 2
    assert office.count(Payment, Payment.origin == "quickbooks") == 1
    assert len(office.qb.payments) == 2
