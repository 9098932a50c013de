"""Admin-only actions are refused in the services for an Office user and allowed for an Admin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from desktop_app.db.models import QbLink
from desktop_app.db.qbwc_models import WC_FAILED, WcSession
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.domain.passwords import hash_password
from desktop_app.errors import PermissionDenied
from desktop_app.services import (
    customers,
    invoices,
    numbering,
    payments,
    settings,
    sync_center,
    sync_queue,
    users,
)
from qbwc_server import qwc, sessions
from tests.factories import make_customer, make_job

DAY = date(2024, 4, 2)


def linked_invoice(uow: UnitOfWork, *, linked: bool = True) -> int:
    customer = make_customer(uow)
    invoice = invoices.create_invoice(uow, make_job(uow, customer, [("1", "100", False)]).id)
    if linked:
        uow.session.add(QbLink(entity_type="invoice", entity_id=invoice.id, qb_id=f"TXN-{invoice.id}"))
        uow.flush()
    return invoice.id


def linked_payment(uow: UnitOfWork, *, linked: bool = True) -> int:
    customer = make_customer(uow)
    payment = payments.record_payment(uow, customer.id, "50", "cash", DAY)
    if linked:
        uow.session.add(QbLink(entity_type="payment", entity_id=payment.id, qb_id=f"TXN-P{payment.id}"))
        uow.flush()
    return payment.id


def open_alert(uow: UnitOfWork) -> int:
    customer = make_customer(uow)
    item = SyncItem(entity_type="customer", entity_id=customer.id, action="upsert", state="attention")
    uow.session.add(item)
    uow.flush()
    alert = Alert(
        sync_item_id=item.id,
        entity_type="customer",
        entity_id=customer.id,
        record_label=customer.display_name,
        kind="refused",
        message="QuickBooks refused it.",
        resolutions="retry,edit,dismiss",
    )
    uow.session.add(alert)
    uow.flush()
    return alert.id


def dismissed_alert(uow: UnitOfWork) -> int:
    alert_id = open_alert(uow)
    alert = uow.session.get(Alert, alert_id)
    assert alert is not None
    alert.state, alert.resolution, alert.resolved_at = "dismissed", "dismiss", utcnow()
    uow.flush()
    return alert_id


def refused_session(uow: UnitOfWork) -> None:
    uow.session.add(
        WcSession(
            ticket="t-refused", user_name="jobdesk", state=WC_FAILED, expires_at=utcnow(),
            company_name="Other Co", company_file="C:\\QB\\Other.qbw",
        )
    )  # fmt: skip
    uow.flush()


def office_user(uow: UnitOfWork) -> int:
    users.create_first_admin(uow, "boss", "The Boss", "long enough")
    return users.create_user(uow, "clerk", "The Clerk", "office", "long enough").id


def no_setup(uow: UnitOfWork) -> None:
    return None


# (name, setup(uow) -> context, action(uow, context))
ADMIN_ONLY: list[tuple[str, Callable[[UnitOfWork], Any], Callable[[UnitOfWork, Any], Any]]] = [
    ("Web Connector user name", no_setup, lambda u, _: settings.set_setting(u, "qbwc.username", "qbuser")),
    (
        "Web Connector password",
        no_setup,
        lambda u, _: settings.set_setting(u, "qbwc.password_hash", hash_password("s3cret-pass")),
    ),
    ("server port", no_setup, lambda u, _: settings.set_setting(u, "qbwc.port", 8090)),
    (".qwc export", no_setup, lambda u, _: qwc.write_qwc(u, "https://localhost:8089/qbwc")),
    ("bind company", no_setup, lambda u, _: sessions.bind_company(u, "Acme", "C:\\QB\\Acme.qbw", "F-1")),
    ("re-bind company", refused_session, lambda u, _: sessions.rebind_to_refused(u)),
    ("forget company", no_setup, lambda u, _: sessions.clear_binding(u)),
    ("sync interval", no_setup, lambda u, _: settings.set_setting(u, "sync.interval_minutes", 30)),
    ("sync trigger", no_setup, lambda u, _: settings.set_setting(u, "sync.on_job_finished", False)),
    ("batch size", no_setup, lambda u, _: settings.set_setting(u, "sync.batch_max_requests", 20)),
    ("office may sync", no_setup, lambda u, _: settings.set_setting(u, "sync.office_may_sync_now", False)),
    ("numbering prefix", no_setup, lambda u, _: settings.set_setting(u, "numbering.job_prefix", "J")),
    ("numbering start", no_setup, lambda u, _: settings.set_setting(u, "numbering.invoice_start", 5000)),
    ("counter move", no_setup, lambda u, _: numbering.set_next_number(u, "job", 2000)),
    ("switch to match", no_setup, lambda u, _: numbering.switch_to_match(u, renumber_existing=False)),
    ("dismiss alert", open_alert, lambda u, a: sync_center.resolve_alert(u, a, "dismiss")),
    ("undo dismissal", dismissed_alert, lambda u, a: sync_center.undo_dismiss(u, a)),
    (
        "edit invoice in QuickBooks",
        linked_invoice,
        lambda u, i: invoices.update_invoice(u, i, memo="Changed"),
    ),
    ("void invoice in QuickBooks", linked_invoice, lambda u, i: invoices.void_invoice(u, i, "wrong")),
    ("delete payment in QuickBooks", linked_payment, lambda u, p: payments.delete_payment(u, p)),
    (
        "create user",
        no_setup,
        lambda u, _: users.create_user(u, "newbie", "New Person", "office", "long enough"),
    ),
    ("set password", office_user, lambda u, i: users.set_password(u, i, "another long one")),
    (
        "change role",
        office_user,
        lambda u, i: users.update_user(u, i, None, login="b", name="B", role="admin"),
    ),
    ("deactivate user", office_user, lambda u, i: users.deactivate_user(u, i)),
    ("auto sign-in policy", no_setup, lambda u, _: settings.set_setting(u, "users.auto_sign_in", False)),
]


def _run(db: Database, actor: Actor, setup: Callable[[UnitOfWork], Any], action: Callable[..., Any]) -> None:
    with db.uow() as uow:
        context = setup(uow)
        uow.commit()
    with db.uow(actor) as uow:
        action(uow, context)
        uow.commit()


@pytest.mark.parametrize(("name", "setup", "action"), ADMIN_ONLY, ids=[case[0] for case in ADMIN_ONLY])
def test_refused_for_office_and_names_the_role(
    db: Database, office: Actor, name: str, setup: Callable[[UnitOfWork], Any], action: Callable[..., Any]
) -> None:
    from tests.integration.service_helpers import snapshot

    with db.uow() as uow:
        context = setup(uow)
        uow.commit()
    before = snapshot(db)
    with db.uow(office) as uow, pytest.raises(PermissionDenied) as refused:
        action(uow, context)
    assert refused.value.role_needed == "Admin"
    assert "Admin role" in str(refused.value)
    assert snapshot(db) == before


@pytest.mark.parametrize(("name", "setup", "action"), ADMIN_ONLY, ids=[case[0] for case in ADMIN_ONLY])
def test_allowed_for_admin(
    db: Database, admin: Actor, name: str, setup: Callable[[UnitOfWork], Any], action: Callable[..., Any]
) -> None:
    _run(db, admin, setup, action)


def test_office_edits_and_voids_invoices_not_yet_in_quickbooks(db: Database, office: Actor) -> None:
    with db.uow() as uow:
        first, second = linked_invoice(uow, linked=False), linked_invoice(uow, linked=False)
        payment = linked_payment(uow, linked=False)
        uow.commit()
    with db.uow(office) as uow:
        assert invoices.update_invoice(uow, first, memo="Gate code 1234").memo == "Gate code 1234"
        assert invoices.void_invoice(uow, second, "duplicate").status == "void"
        assert payments.delete_payment(uow, payment).deleted_at is not None
        uow.commit()


def test_office_does_the_everyday_work(db: Database, office: Actor) -> None:
    with db.uow(office) as uow:
        customer = customers.create_customer(uow, customers.CustomerFields(display_name="Office Made"))
        invoice_id = linked_invoice(uow, linked=False)
        payments.record_payment(uow, customer.id, "10", "cash", DAY)
        settings.set_setting(uow, "company.phone", "555-0100")
        assert sync_queue.send_records(uow, [("invoice", invoice_id)]) == 1
        sync_queue.request_sync_now(uow)
        uow.commit()


def test_sync_now_for_office_only_when_the_admin_allows_it(db: Database, admin: Actor, office: Actor) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "sync.office_may_sync_now", False)
        uow.commit()
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        sync_queue.request_sync_now(uow)
    with db.uow(admin) as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
