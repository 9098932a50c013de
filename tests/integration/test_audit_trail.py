"""The audit trail: every kind of change leaves who, when, which record and before → after."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.append_only import AuditTrailReadOnlyError
from desktop_app.db.models import AuditEntry
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import ValidationError
from desktop_app.services import (
    audit_log,
    customers,
    invoices,
    items,
    jobs,
    numbering,
    payments,
    settings,
    sync_center,
    users,
)
from desktop_app.services.lines import LineInput
from tests.integration.test_permissions import linked_invoice, open_alert

DAY = date(2024, 4, 2)
ROOT = Path(__file__).resolve().parents[2]


def entries(db: Database, entity_type: str, entity_id: int | None = None) -> list[dict[str, Any]]:
    with db.reader() as uow:
        return [
            {
                "action": row.action,
                "user": row.user_name,
                "user_id": row.user_id,
                "at": row.at,
                "changes": {c.field: [c.before, c.after] for c in row.changes},
            }
            for row in reversed(
                audit_log.list_entries(uow, entity_type=entity_type, entity_id=entity_id, limit=500).rows
            )
        ]


@pytest.fixture
def signed_in(db: Database) -> Actor:
    with db.uow() as uow:
        users.create_first_admin(uow, "ada", "Ada Admin", "long enough")
        uow.commit()
    return users.sign_in(db, "ada", "long enough")


def test_customer_create_and_update(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        made = customers.create_customer(uow, customers.CustomerFields(display_name="Ann", email="a@x.com"))
        customers.update_customer(uow, made.id, made.version, replace(made.to_fields(), email="ann@x.com"))
        uow.commit()
    create, update = entries(db, "customer", made.id)
    assert create["action"] == "create" and create["changes"]["display_name"] == [None, "Ann"]
    assert update["action"] == "update" and update["changes"] == {"email": ["a@x.com", "ann@x.com"]}
    assert (update["user"], update["user_id"]) == ("Ada Admin", signed_in.user_id)


def test_job_create_and_update(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        customer = customers.create_customer(uow, customers.CustomerFields(display_name="Bob"))
        lines = (LineInput(quantity="1", description="Paint", rate="300"),)
        job = jobs.create_job(uow, jobs.JobFields(customer_id=customer.id, name="Porch", lines=lines))
        jobs.update_job(
            uow, job.id, job.version, jobs.JobFields(customer_id=customer.id, name="Front porch", lines=lines)
        )
        uow.commit()
    create, update = entries(db, "job", job.id)
    assert create["changes"]["name"] == [None, "Porch"]
    assert update["changes"]["name"] == ["Porch", "Front porch"]


def test_price_book_item_create_and_update(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        item = items.create_item(uow, items.ItemFields(name="Labor", unit_price="85"))
        items.update_item(uow, item.id, item.version, items.ItemFields(name="Labor", unit_price="90"))
        uow.commit()
    create, update = entries(db, "item", item.id)
    assert create["changes"]["name"] == [None, "Labor"]
    assert [str(v) for v in update["changes"]["unit_price"]] == ["85.00000", "90.00000"]


def test_invoice_void(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        invoice_id = linked_invoice(uow, linked=False)
        invoices.void_invoice(uow, invoice_id, "Billed twice")
        uow.commit()
    void = entries(db, "invoice", invoice_id)[-1]
    assert void["action"] == "void"
    assert void["changes"] == {"status": ["open", "void"], "void_reason": ["", "Billed twice"]}


def test_invoice_edit_of_a_linked_invoice_by_an_admin(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        invoice_id = linked_invoice(uow)
        invoices.update_invoice(uow, invoice_id, memo="Gate code 42")
        uow.commit()
    edit = entries(db, "invoice", invoice_id)[-1]
    assert edit["action"] == "update" and edit["changes"] == {"memo": ["", "Gate code 42"]}


def test_payment_delete(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        customer = customers.create_customer(uow, customers.CustomerFields(display_name="Cy"))
        payment = payments.record_payment(uow, customer.id, "75", "check", DAY, reference="1001")
        payments.delete_payment(uow, payment.id)
        uow.commit()
    record, delete = entries(db, "payment", payment.id)
    assert record["action"] == "create"
    assert delete["action"] == "delete" and delete["changes"] == {"deleted": [False, True]}


def test_numbering_changes(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        numbering.set_next_number(uow, "invoice", 5000)
        settings.set_setting(uow, "numbering.job_prefix", "J")
        uow.commit()
    counter = entries(db, "counter")[-1]
    assert counter["action"] == "numbering" and counter["changes"] == {"invoice": [1000, 5000]}
    prefix = entries(db, "setting")[-1]
    assert prefix["changes"] == {"numbering.job_prefix": ["", "J"]}


def test_settings_change_masks_secrets(db: Database, signed_in: Actor) -> None:
    with db.uow(signed_in) as uow:
        settings.set_setting(uow, "sync.interval_minutes", 30)
        settings.set_setting(uow, "qbwc.password_hash", "scrypt$not$a$real$hash")
        uow.commit()
    interval, password = entries(db, "setting")[-2:]
    assert interval["changes"] == {"sync.interval_minutes": ["15", "30"]}
    assert "scrypt" not in json.dumps(password["changes"], default=str)


def test_sync_resolutions(db: Database, signed_in: Actor) -> None:
    with db.uow() as uow:
        retried, dismissed = open_alert(uow), open_alert(uow)
        uow.commit()
    with db.uow(signed_in) as uow:
        first = sync_center.resolve_alert(uow, retried, "retry")
        second = sync_center.resolve_alert(uow, dismissed, "dismiss")
        sync_center.undo_dismiss(uow, dismissed)
        uow.commit()
    trail = entries(db, "customer", first.entity_id) + entries(db, "customer", second.entity_id)
    resolutions = [e for e in trail if e["action"] == "sync_resolution"]
    assert [e["changes"]["alert"] for e in resolutions] == [
        ["refused", "retry"],
        ["refused", "dismiss"],
        ["dismissed", "open"],
    ]
    assert {e["user"] for e in resolutions} == {"Ada Admin"}


def test_browse_by_record_user_and_date(db: Database, signed_in: Actor, office: Actor) -> None:
    with db.uow(signed_in) as uow:
        ann = customers.create_customer(uow, customers.CustomerFields(display_name="Ann"))
        uow.commit()
    with db.uow(office) as uow:
        bob = customers.create_customer(uow, customers.CustomerFields(display_name="Bob"))
        uow.commit()
    today = date.today()
    with db.reader() as uow:
        by_user = audit_log.list_entries(uow, user=office.name)
        assert [row.entity_id for row in by_user.rows] == [bob.id]
        assert [r.entity_id for r in audit_log.history_for(uow, "customer", ann.id)] == [ann.id]
        assert audit_log.list_entries(uow, date_from=today, date_to=today).total >= 3
        assert audit_log.list_entries(uow, date_to=today - timedelta(days=1)).total == 0
        assert audit_log.list_entries(uow, date_from=today + timedelta(days=1)).total == 0
        assert audit_log.list_entries(uow, search="bob").rows[0].entity_id == bob.id
        assert office.name in audit_log.user_names(uow)
        newest = audit_log.list_entries(uow, entity_type="customer").rows
        assert [row.entity_id for row in newest] == [bob.id, ann.id]
        assert newest[0].record == f"Customer #{bob.id}"
        with pytest.raises(ValidationError):
            audit_log.list_entries(uow, date_from=today, date_to=today - timedelta(days=1))


def test_the_trail_cannot_be_changed_or_deleted_through_the_application(db: Database) -> None:
    with db.uow() as uow:
        customers.create_customer(uow, customers.CustomerFields(display_name="Ann"))
        uow.commit()
    with db.uow() as uow:
        entry = uow.session.scalars(select(AuditEntry)).first()
        assert entry is not None
        entry.summary = "nothing happened"
        with pytest.raises(AuditTrailReadOnlyError):
            uow.flush()
    with db.uow() as uow:
        entry = uow.session.scalars(select(AuditEntry)).first()
        uow.session.delete(entry)
        with pytest.raises(AuditTrailReadOnlyError):
            uow.flush()
    with db.reader() as uow:
        assert [e.summary for e in uow.session.scalars(select(AuditEntry))] == ["Customer Ann created"]


def test_no_code_updates_or_deletes_audit_rows_in_bulk() -> None:
    """Bulk statements skip the session's guard, so none may exist (ORM or raw SQL)."""
    pattern = re.compile(
        r"\b(update|delete)\(\s*AuditEntry\b|\b(update|delete\s+from)\s+[\"']?audit_log\b", re.IGNORECASE
    )
    offenders = [
        path.relative_to(ROOT).as_posix()
        for folder in ("desktop_app", "qbwc_server")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert pattern.search("session.execute(delete(AuditEntry).where(...))")
    assert pattern.search('text("DELETE FROM audit_log")')


def test_earlier_entries_stay_as_written_while_work_goes_on(db: Database, signed_in: Actor) -> None:
    def all_rows() -> list[tuple[Any, ...]]:
        with db.reader() as uow:
            return [
                (e.id, e.at, e.user_name, e.action, e.entity_type, e.entity_id, e.summary, e.changes)
                for e in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            ]

    with db.uow(signed_in) as uow:
        made = customers.create_customer(uow, customers.CustomerFields(display_name="Ann"))
        uow.commit()
    before = all_rows()
    with db.uow(signed_in) as uow:
        customers.update_customer(uow, made.id, made.version, replace(made.to_fields(), company="Ann Co"))
        customers.deactivate_customer(uow, made.id, made.version + 1)
        uow.commit()
    after = all_rows()
    assert after[: len(before)] == before and len(after) == len(before) + 2
