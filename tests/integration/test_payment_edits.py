"""Editing a saved payment (issue 16, point 5): amount, date, method, reference and memo.

Rules: a stale version is a Conflict; the amount never drops below what is applied; a
payment in QuickBooks is changed by an admin only and the change is queued for it; a
payment entered in QuickBooks is changed there; every edit is audited and raises the
event the sync listens to; bad input changes nothing.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desktop_app.db.models import AuditEntry, DomainEvent, Payment, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from desktop_app.services import invoices, payments
from desktop_app.services.payments import MAX_PAYMENT_MEMO
from desktop_app.services.queue_states import PENDING, finish
from tests.factories import make_customer, make_job

D = Decimal
DAY = date(2024, 4, 2)


_names = itertools.count(1)


def _payment(db: Database, actor: Actor, *, applied: str = "250", amount: str = "300") -> tuple[int, int]:
    """A $300 check with ``applied`` of it on a $250 and a $400 invoice (oldest first)."""
    with db.uow(actor) as uow:
        customer = make_customer(uow, f"Ann {next(_names)}")
        a = invoices.create_invoice(uow, make_job(uow, customer, [("1", "250", False)]).id)
        b = invoices.create_invoice(uow, make_job(uow, customer, [("1", "400", False)]).id)
        apps: list[tuple[int, object]] = []
        left = D(applied)
        for invoice, room in ((a, D("250")), (b, D("400"))):
            if left > 0:
                apps.append((invoice.id, min(left, room)))
                left -= min(left, room)
        pay = payments.record_payment(
            uow, customer.id, amount, "check", DAY, reference="CHK 9", memo="first", applications=apps
        )
        uow.commit()
    return pay.id, pay.version


def _edit(uow: UnitOfWork, payment_id: int, version: int, **changes: Any) -> payments.PaymentDetail:
    fields: dict[str, Any] = {
        "amount": "300.00",
        "received_on": DAY,
        "method": "check",
        "reference": "CHK 9",
        "memo": "first",
    }
    fields.update(changes)
    return payments.update_payment(uow, payment_id, version, **fields)


def _state(db: Database, payment_id: int) -> tuple[Any, ...]:
    """Everything an edit could change: the payment row, its audit entries, its events, the queue."""
    with db.reader() as uow:
        p = uow.session.get(Payment, payment_id)
        assert p is not None
        audits = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "payment").order_by(AuditEntry.id)
        ).all()
        events = uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.entity_type == "payment").order_by(DomainEvent.id)
        ).all()
        queued = uow.session.execute(
            select(SyncItem.id, SyncItem.state).where(SyncItem.entity_type == "payment")
        ).all()
        return (p.version, p.amount, p.received_on, p.method, p.reference, p.memo, audits, events, queued)


def _link(db: Database, payment_id: int) -> None:
    """As the sync leaves a payment QuickBooks took: linked, its queue items done."""
    with db.uow() as uow:
        uow.session.add(QbLink(entity_type="payment", entity_id=payment_id, qb_id=f"TXN-P{payment_id}"))
        for item in uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "payment")):
            finish(item)
        uow.commit()


def _queued(db: Database, payment_id: int) -> list[tuple[str, str]]:
    with db.reader() as uow:
        items = uow.session.scalars(
            select(SyncItem).where(
                SyncItem.entity_type == "payment",
                SyncItem.entity_id == payment_id,
                SyncItem.state.in_(PENDING),
            )
        )
        return [(i.action, i.state) for i in items]


def test_edit_changes_the_fields_audits_and_raises_the_event(db: Database, office: Actor) -> None:
    payment_id, version = _payment(db, office)
    with db.uow(office) as uow:
        edited = _edit(
            uow,
            payment_id,
            version,
            amount="1,000",
            received_on=date(2024, 4, 5),
            method="ach",
            reference=" EFT 77 ",
            memo="corrected",
        )
        uow.commit()
    assert (edited.amount, edited.applied, edited.unapplied) == (D("1000.00"), D("250.00"), D("750.00"))
    assert (edited.received_on, edited.method.value, edited.reference, edited.memo) == (
        date(2024, 4, 5),
        "ach",
        "EFT 77",
        "corrected",
    )
    assert edited.version > version
    with db.reader() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "payment", AuditEntry.action == "update")
        ).one()
        assert entry.entity_id == payment_id and entry.user_name == office.name
        assert json.loads(entry.changes) == {
            "amount": ["300.00", "1000.00"],
            "received_on": ["2024-04-02", "2024-04-05"],
            "method": ["check", "ach"],
            "reference": ["CHK 9", "EFT 77"],
            "memo": ["first", "corrected"],
        }
        events = uow.session.scalars(
            select(DomainEvent.name).where(
                DomainEvent.entity_id == payment_id, DomainEvent.entity_type == "payment"
            )
        ).all()
        assert events[-1] == "payment.updated"


def test_an_edit_that_changes_nothing_records_nothing(db: Database, admin: Actor) -> None:
    payment_id, version = _payment(db, admin)
    before = _state(db, payment_id)
    with db.uow(admin) as uow:
        same = _edit(uow, payment_id, version, amount="300")
        uow.commit()
    assert same.version == version
    assert _state(db, payment_id) == before


def test_stale_version_is_a_conflict_and_changes_nothing(db: Database, admin: Actor) -> None:
    payment_id, version = _payment(db, admin)
    with db.uow(admin) as uow:
        _edit(uow, payment_id, version, memo="someone else's edit")
        uow.commit()
    before = _state(db, payment_id)
    with db.uow(admin) as uow:
        with pytest.raises(Conflict, match="Another user changed this payment"):
            _edit(uow, payment_id, version, amount="500")
        uow.commit()
    assert _state(db, payment_id) == before


def test_amount_below_what_is_applied_is_refused_at_the_amount(db: Database, admin: Actor) -> None:
    payment_id, version = _payment(db, admin, applied="300", amount="300")
    with db.reader() as uow:
        numbers = [
            invoices.get_invoice(uow, a.invoice_id).number
            for a in payments.get_payment(uow, payment_id).applications
        ]
    before = _state(db, payment_id)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError) as err:
            _edit(uow, payment_id, version, amount="240")
        uow.commit()
    assert err.value.field == "amount"
    message = str(err.value)
    assert "$300.00 of this payment is applied" in message
    assert "Unapply $60.00" in message
    assert all(number in message for number in numbers)
    assert _state(db, payment_id) == before
    with db.uow(admin) as uow:  # exactly what is applied is fine: nothing left unapplied
        edited = _edit(uow, payment_id, version, amount="300.00", memo="x")
        assert edited.unapplied == D("0.00")


def test_unapply_then_lower_the_amount_in_one_save(db: Database, admin: Actor) -> None:
    """The window saves in this order: take back what is applied less, then the fields."""
    payment_id, version = _payment(db, admin, applied="300", amount="300")
    with db.reader() as uow:
        last = payments.get_payment(uow, payment_id).applications[-1].invoice_id
    with db.uow(admin) as uow:
        payments.unapply_payment(uow, payment_id, last, "50")
        edited = _edit(uow, payment_id, version, amount="250")
        uow.commit()
    assert (edited.amount, edited.applied, edited.unapplied) == (D("250.00"), D("250.00"), D("0.00"))


BAD_INPUT = [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.005"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": 10.5}, "amount"),
    ({"amount": None}, "amount"),
    ({"method": "barter"}, "method"),
    ({"method": None}, "method"),
    ({"received_on": None}, "received_on"),
    ({"received_on": "2024-04-05"}, "received_on"),
    ({"received_on": date(1800, 1, 1)}, "received_on"),
    ({"reference": "X" * 21}, "reference"),
    ({"reference": 12}, "reference"),
    ({"memo": "m" * (MAX_PAYMENT_MEMO + 1)}, "memo"),
    ({"memo": "a\x00b"}, "memo"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUT)
def test_bad_input_is_refused_and_changes_nothing(
    db: Database, admin: Actor, change: dict[str, Any], field: str
) -> None:
    payment_id, version = _payment(db, admin, applied="0")
    before = _state(db, payment_id)
    with db.uow(admin) as uow:
        with pytest.raises(ValidationError) as err:
            # A good amount beside the bad field: the good part must not be saved either.
            _edit(uow, payment_id, version, **({"amount": "999"} | change))
        uow.commit()
    assert err.value.field == field
    assert _state(db, payment_id) == before


def test_a_payment_in_quickbooks_is_changed_by_an_admin_and_queued(
    db: Database, admin: Actor, office: Actor
) -> None:
    payment_id, version = _payment(db, admin)
    _link(db, payment_id)
    with db.reader() as uow:
        assert payments.get_payment(uow, payment_id).in_quickbooks
    before = _state(db, payment_id)
    assert _queued(db, payment_id) == []  # QuickBooks has it: nothing waits
    with db.uow(office) as uow:
        with pytest.raises(PermissionDenied, match="Admin role can change a payment that is already in"):
            _edit(uow, payment_id, version, amount="310")
        uow.commit()
    assert _state(db, payment_id) == before
    with db.uow(admin) as uow:
        edited = _edit(uow, payment_id, version, amount="310")
        uow.commit()
    assert edited.amount == D("310.00")
    assert _queued(db, payment_id) == [("upsert", "queued")]  # built as a ReceivePaymentMod


def test_an_office_user_changes_a_payment_not_in_quickbooks(db: Database, office: Actor) -> None:
    payment_id, version = _payment(db, office)
    with db.uow(office) as uow:
        assert not payments.get_payment(uow, payment_id).in_quickbooks
        assert _edit(uow, payment_id, version, reference="CHK 10").reference == "CHK 10"


def test_a_payment_entered_in_quickbooks_is_changed_there(db: Database, admin: Actor) -> None:
    payment_id, version = _payment(db, admin)
    with db.uow() as uow:
        record = uow.session.get(Payment, payment_id)
        assert record is not None
        record.origin = "quickbooks"
        uow.commit()
        version = record.version
    before = _state(db, payment_id)
    with db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match="Change it in QuickBooks"):
            _edit(uow, payment_id, version, memo="changed here")
        uow.commit()
    assert _state(db, payment_id) == before


def test_a_deleted_payment_cannot_be_edited(db: Database, admin: Actor) -> None:
    payment_id, _ = _payment(db, admin)
    with db.uow(admin) as uow:
        deleted = payments.delete_payment(uow, payment_id)
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(NotFound):
        _edit(uow, payment_id, deleted.version, memo="too late")


cents = st.decimals(min_value=D("0.01"), max_value=D("2000"), places=2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(applied=st.decimals(min_value=D("0.01"), max_value=D("650"), places=2), new_amount=cents)
def test_unapplied_is_never_negative_after_an_edit(
    db: Database, admin: Actor, applied: Decimal, new_amount: Decimal
) -> None:
    """Any new amount at or above what is applied is taken; any below it is refused."""
    payment_id, version = _payment(db, admin, applied=str(applied), amount="650")
    with db.uow(admin) as uow:
        if new_amount < applied:
            with pytest.raises(ValidationError):
                _edit(uow, payment_id, version, amount=str(new_amount))
            assert payments.get_payment(uow, payment_id).amount == D("650.00")
        else:
            edited = _edit(uow, payment_id, version, amount=str(new_amount))
            assert edited.unapplied == new_amount - applied >= 0
            assert edited.applied == applied
        uow.rollback()


def test_what_a_payment_in_quickbooks_pays_is_changed_by_an_admin_only(
    db: Database, admin: Actor, office: Actor
) -> None:
    payment_id, _ = _payment(db, admin)
    with db.reader() as uow:
        invoice_id = payments.get_payment(uow, payment_id).applications[0].invoice_id
    _link(db, payment_id)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        payments.unapply_payment(uow, payment_id, invoice_id)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        payments.apply_payment(uow, payment_id, invoice_id, "10")
    with db.uow(admin) as uow:
        payments.unapply_payment(uow, payment_id, invoice_id, "10")
        uow.commit()


def test_what_a_payment_entered_in_quickbooks_pays_is_changed_there(db: Database, admin: Actor) -> None:
    payment_id, _ = _payment(db, admin)
    with db.uow(admin) as uow:
        record = uow.session.get(Payment, payment_id)
        assert record is not None
        record.origin = "quickbooks"
        invoice_id = record.applications[0].invoice_id
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(InvalidTransition, match="Change it in QuickBooks"):
        payments.unapply_payment(uow, payment_id, invoice_id)
