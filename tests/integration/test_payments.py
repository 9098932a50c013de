from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import DomainEvent, Payment
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.status import InvoiceStatus
from desktop_app.errors import NotFound, ValidationError
from desktop_app.services import invoices, payments
from desktop_app.services.invoice_queries import list_open_invoices_for_customer, list_payments
from tests.factories import make_customer, make_job

D = Decimal

DAY = date(2024, 4, 2)


def _two_invoices(db: Database, admin: Actor) -> tuple[int, int, int]:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Ann")
        a = invoices.create_invoice(uow, make_job(uow, customer, [("1", "100", False)]).id)
        b = invoices.create_invoice(uow, make_job(uow, customer, [("1", "250", False)]).id)
        uow.commit()
    return customer.id, a.id, b.id


def test_partial_payment_across_invoices_with_unapplied_rest(db: Database, admin: Actor) -> None:
    customer_id, a, b = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        pay = payments.record_payment(
            uow, customer_id, "300.00", "check", DAY, reference="1234", applications=[(a, "100"), (b, "150")]
        )
        uow.commit()
    assert (pay.applied, pay.unapplied) == (D("250.00"), D("50.00"))
    assert [(x.invoice_id, x.amount) for x in pay.applications] == [(a, D("100.00")), (b, D("150.00"))]
    with db.reader() as uow:
        ia, ib = invoices.get_invoice(uow, a), invoices.get_invoice(uow, b)
        assert (ia.status, ia.balance) == (InvoiceStatus.PAID, D("0.00"))
        assert (ib.status, ib.balance, ib.amount_paid) == (InvoiceStatus.OPEN, D("100.00"), D("150.00"))
        assert [r.id for r in list_open_invoices_for_customer(uow, customer_id)] == [b]
    # Apply the unapplied part later.
    with db.uow(admin) as uow:
        later = payments.apply_payment(uow, pay.id, b, "50")
        uow.commit()
    assert later.unapplied == D("0.00")
    assert [x.amount for x in later.applications] == [D("100.00"), D("200.00")]


def test_over_balance_application_refused_and_nothing_saved(db: Database, admin: Actor) -> None:
    customer_id, a, _ = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError) as err:
            payments.record_payment(uow, customer_id, "500", "cash", DAY, applications=[(a, "100.01")])
        assert "balance of $100.00" in str(err.value) and "stays unapplied" in str(err.value)
        uow.commit()
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Payment)) == 0
    with db.uow(admin) as uow:
        pay = payments.record_payment(uow, customer_id, "500", "cash", DAY, applications=[(a, "60")])
        with pytest.raises(ValidationError, match=r"balance of \$40.00"):
            payments.apply_payment(uow, pay.id, a, "41")
        uow.commit()
    with db.reader() as uow:
        assert payments.get_payment(uow, pay.id).unapplied == D("440.00")


def test_cannot_apply_more_than_left_on_payment(db: Database, admin: Actor) -> None:
    customer_id, a, b = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        pay = payments.record_payment(uow, customer_id, "120", "ach", DAY, applications=[(a, "100")])
        with pytest.raises(ValidationError, match=r"Only \$20.00"):
            payments.apply_payment(uow, pay.id, b, "30")


def test_unapply_reopens_invoice(db: Database, admin: Actor) -> None:
    customer_id, a, _ = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        pay = payments.record_payment(uow, customer_id, "100", "card", DAY, applications=[(a, "100")])
        assert invoices.get_invoice(uow, a).status is InvoiceStatus.PAID
        part = payments.unapply_payment(uow, pay.id, a, "40")
        assert part.unapplied == D("40.00")
        assert invoices.get_invoice(uow, a).status is InvoiceStatus.OPEN
        whole = payments.unapply_payment(uow, pay.id, a)
        assert whole.applications == () and whole.unapplied == D("100.00")
        with pytest.raises(ValidationError, match="not applied"):
            payments.unapply_payment(uow, pay.id, a)
        uow.commit()
    with db.reader() as uow:
        names = uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.entity_type == "payment").order_by(DomainEvent.id)
        ).all()
        assert names == ["payment.recorded", "payment.applied", "payment.unapplied", "payment.unapplied"]
        inv_events = uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.entity_type == "invoice", DomainEvent.entity_id == a)
        ).all()
        assert inv_events.count("invoice.paid") == 1


def test_delete_payment_soft_and_reopens(db: Database, admin: Actor) -> None:
    customer_id, a, b = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        pay = payments.record_payment(
            uow, customer_id, "350", "check", DAY, applications=[(a, "100"), (b, "250")]
        )
        deleted = payments.delete_payment(uow, pay.id)
        uow.commit()
    assert deleted.deleted_at is not None and deleted.applications == ()
    with db.reader() as uow:
        assert invoices.get_invoice(uow, a).status is InvoiceStatus.OPEN
        assert invoices.get_invoice(uow, b).balance == D("250.00")
        assert list_payments(uow).total == 0
        assert list_payments(uow, include_deleted=True).total == 1
        with pytest.raises(NotFound):
            payments.apply_payment(uow, pay.id, a, "1")


@pytest.mark.parametrize(
    ("amount", "method", "field"),
    [
        ("0", "cash", "amount"),
        ("-5", "cash", "amount"),
        ("1.005", "cash", "amount"),
        ("abc", "cash", "amount"),
        ("10", "barter", "method"),
    ],
)
def test_bad_payment_input(db: Database, admin: Actor, amount: str, method: str, field: str) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        with pytest.raises(ValidationError) as err:
            payments.record_payment(uow, customer.id, amount, method, DAY)
        assert err.value.field == field


def test_float_amount_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        with pytest.raises(ValidationError, match="not a float"):
            payments.record_payment(uow, customer.id, 10.5, "cash", DAY)


def test_application_to_other_customers_invoice_refused(db: Database, admin: Actor) -> None:
    _, a, _ = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        bob = make_customer(uow, "Bob")
        with pytest.raises(ValidationError, match="another customer"):
            payments.record_payment(uow, bob.id, "10", "cash", DAY, applications=[(a, "10")])


def test_list_payments(db: Database, admin: Actor) -> None:
    customer_id, a, _ = _two_invoices(db, admin)
    with db.uow(admin) as uow:
        p1 = payments.record_payment(uow, customer_id, "100", "check", date(2024, 1, 1), reference="CHK9")
        p2 = payments.record_payment(
            uow, customer_id, "60", "cash", date(2024, 2, 1), applications=[(a, "60")]
        )
        uow.commit()
    with db.reader() as uow:
        page = list_payments(uow)
        assert [r.id for r in page.rows] == [p2.id, p1.id]
        assert (page.rows[0].applied, page.rows[0].unapplied) == (D("60.00"), D("0.00"))
        assert [r.id for r in list_payments(uow, unapplied_only=True).rows] == [p1.id]
        assert [r.id for r in list_payments(uow, search="chk9").rows] == [p1.id]
        assert [r.id for r in list_payments(uow, sort="amount", descending=False).rows] == [p2.id, p1.id]
        with pytest.raises(ValidationError):
            list_payments(uow, limit=0)
