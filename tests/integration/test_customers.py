"""Customers: create, edit, search, sub-customers, balances, deactivation, concurrency."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from desktop_app.db.models import AuditEntry, Customer, DomainEvent, Invoice, Payment, PaymentApplication
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import Conflict, NotFound, ValidationError
from desktop_app.services import customers
from desktop_app.services.customers import CustomerFields
from tests.integration import service_helpers as make


def test_create_returns_detail_and_audits(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = customers.create_customer(
            uow,
            CustomerFields(
                first_name="Jane",
                last_name="Doe",
                company="Doe Plumbing",
                email="jane@doe.com",
                mobile_phone="555-123-4567",
                bill_city="Austin",
                tax_exempt=True,
            ),
        )
        uow.commit()
    assert created.display_name == "Doe Plumbing"
    assert created.tax_exempt and created.active and created.version == 1
    assert created.open_balance == Decimal("0.00") and created.job_count == 0
    with db.reader() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "customer")).one()
        assert entry.action == "create" and entry.user_name == admin.name
        assert json.loads(entry.changes)["company"] == [None, "Doe Plumbing"]
        events = uow.session.scalars(
            select(DomainEvent.name).where(DomainEvent.entity_id == created.id)
        ).all()
        assert "customer.created" in events


def test_display_name_falls_back_to_first_last(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        person = customers.create_customer(uow, CustomerFields(first_name=" Bob ", last_name="Smith"))
        assert person.display_name == "Bob Smith"
        assert customers.create_customer(uow, CustomerFields(first_name="Solo")).display_name == "Solo"


def test_display_name_required(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        customers.create_customer(uow, CustomerFields(display_name="   "))
    assert info.value.field == "display_name"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"display_name": "A" * 42}, "display_name"),
        ({"display_name": "Parent:Child"}, "display_name"),
        ({"display_name": "X", "email": "not-an-email"}, "email"),
        ({"display_name": "X", "bill_zip": "1" * 14}, "bill_zip"),
        ({"display_name": "X", "first_name": 12}, "first_name"),
        ({"display_name": "X", "tax_exempt": "yes"}, "tax_exempt"),
        ({"display_name": "X", "parent_id": 999}, "parent_id"),
        ({"display_name": "X", "notes": "n" * 10_000_000}, "notes"),
    ],
)
def test_bad_fields_refused(db: Database, admin: Actor, fields: dict[str, object], field: str) -> None:
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        customers.create_customer(uow, CustomerFields(**fields))  # type: ignore[arg-type]
    assert info.value.field == field
    assert str(info.value)


def test_notes_stop_at_what_quickbooks_desktop_keeps(db: Database, admin: Actor) -> None:
    """US QuickBooks Desktop keeps 4,095 characters of Notes; the sync never cuts, so entry stops."""
    assert customers.TEXT_LIMITS["notes"] == 4095  # the form's limit hint reads this
    with db.uow(admin) as uow:
        created = make.customer(uow, notes="n" * 4095)
        uow.commit()
    assert len(created.notes) == 4095
    before = make.snapshot(db)
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        customers.update_customer(
            uow, created.id, created.version, dataclasses.replace(created.to_fields(), notes="n" * 4096)
        )
    assert info.value.field == "notes"
    assert "4,096 characters" in str(info.value) and "4,095" in str(info.value)
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        make.customer(uow, "Other", notes="ü" * 4096)
    assert info.value.field == "notes"
    assert make.snapshot(db) == before


def test_display_name_unique_ignoring_case_and_spaces(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make.customer(uow, "Acme  Roofing")
        uow.commit()
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="already exists") as info:
        make.customer(uow, "  acme roofing ")
    # A duplicate is the user's input at a field, not a concurrent edit (no "Reload" offer).
    assert info.value.field == "display_name" and not isinstance(info.value, Conflict)


def test_update_changes_fields_and_version(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        uow.commit()
    with db.uow(admin) as uow:
        updated = customers.update_customer(
            uow,
            created.id,
            created.version,
            dataclasses.replace(created.to_fields(), email="office@acme.com", display_name="ACME Roofing"),
        )
        uow.commit()
    assert updated.email == "office@acme.com" and updated.display_name == "ACME Roofing"
    assert updated.version == created.version + 1
    with db.reader() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert json.loads(entry.changes)["email"] == ["", "office@acme.com"]
        assert "customer.updated" in uow.session.scalars(select(DomainEvent.name)).all()


def test_update_without_changes_keeps_version(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        same = customers.update_customer(uow, created.id, created.version, created.to_fields())
        uow.commit()
    assert same.version == created.version


def test_stale_update_is_a_conflict_and_keeps_the_other_change(
    db: Database, admin: Actor, office: Actor
) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        uow.commit()
    with db.reader(office) as uow:
        seen_by_office = customers.get_customer(uow, created.id)
    with db.uow(admin) as uow:
        customers.update_customer(
            uow, created.id, created.version, dataclasses.replace(created.to_fields(), notes="Gate code 1234")
        )
        uow.commit()
    with db.uow(office) as uow, pytest.raises(Conflict, match="Another user"):
        customers.update_customer(
            uow,
            created.id,
            seen_by_office.version,
            dataclasses.replace(seen_by_office.to_fields(), notes="Dog in yard"),
        )
    with db.reader() as uow:
        assert customers.get_customer(uow, created.id).notes == "Gate code 1234"


def test_get_unknown_is_not_found(db: Database) -> None:
    with db.reader() as uow, pytest.raises(NotFound):
        customers.get_customer(uow, 12345)


def test_sub_customer_and_cycle_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        top = make.customer(uow, "Top")
        middle = make.customer(uow, "Middle", parent_id=top.id)
        bottom = make.customer(uow, "Bottom", parent_id=middle.id)
        assert bottom.parent_name == "Middle"
        with pytest.raises(ValidationError, match="under itself") as info:
            customers.update_customer(
                uow, top.id, top.version, dataclasses.replace(top.to_fields(), parent_id=bottom.id)
            )
        assert info.value.field == "parent_id"
        with pytest.raises(ValidationError, match="under itself"):
            customers.update_customer(
                uow, top.id, top.version, dataclasses.replace(top.to_fields(), parent_id=top.id)
            )
        page = customers.list_customers(uow, parent_id=top.id)
        assert [row.display_name for row in page.rows] == ["Middle"]


def test_nesting_deeper_than_quickbooks_allows_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        parent_id = None
        for level in range(5):
            parent_id = make.customer(uow, f"Level {level}", parent_id=parent_id).id
        with pytest.raises(ValidationError, match="levels deep"):
            make.customer(uow, "Too deep", parent_id=parent_id)


def test_deactivate_and_reactivate(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        off = customers.deactivate_customer(uow, created.id, created.version)
        assert not off.active
        assert customers.list_customers(uow).total == 0
        assert customers.list_customers(uow, active=False).total == 1
        assert customers.list_customers(uow, active=None).total == 1
        on = customers.reactivate_customer(uow, off.id, off.version)
        assert on.active and on.version == off.version + 1
        with pytest.raises(Conflict):
            customers.deactivate_customer(uow, created.id, created.version)


def test_list_search_sort_and_paging(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        make.customer(uow, "Zed Electric", email="zed@example.com")
        make.customer(uow, "Alpha Builders", company="Alpha Builders LLC", mobile_phone="(555) 201-9999")
        make.customer(uow, "Mid Town HVAC", work_phone="555-777-1234")
        uow.commit()
    with db.reader() as uow:
        names = [r.display_name for r in customers.list_customers(uow).rows]
        assert names == ["Alpha Builders", "Mid Town HVAC", "Zed Electric"]
        desc = customers.list_customers(uow, descending=True)
        assert desc.rows[0].display_name == "Zed Electric"
        assert [r.display_name for r in customers.list_customers(uow, search="ZED@").rows] == ["Zed Electric"]
        assert [r.display_name for r in customers.list_customers(uow, search="llc").rows] == [
            "Alpha Builders"
        ]
        assert customers.list_customers(uow, search="777-1234").rows[0].phone == "555-777-1234"
        assert [r.display_name for r in customers.list_customers(uow, search="(555) 201").rows] == [
            "Alpha Builders"
        ]
        assert customers.list_customers(uow, search="100%").total == 0
        page = customers.list_customers(uow, offset=1, limit=1)
        assert page.total == 3 and page.offset == 1 and page.limit == 1
        assert [r.display_name for r in page.rows] == ["Mid Town HVAC"]
        with pytest.raises(ValidationError):
            customers.list_customers(uow, sort="password")
        with pytest.raises(ValidationError):
            customers.list_customers(uow, limit=0)
        with pytest.raises(ValidationError):
            customers.list_customers(uow, offset=-1)


def _invoice(customer_id: int, number: str, total: str, status: str = "open", credit: str = "0") -> Invoice:
    return Invoice(
        number=number,
        customer_id=customer_id,
        invoice_date=date(2024, 5, 1),
        total=Decimal(total),
        deposit_credit=Decimal(credit),
        status=status,
    )


def test_open_balance_counts_payments_credits_and_skips_void(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        other = make.customer(uow, "Other")
        a = _invoice(created.id, "9001", "1000.10")
        b = _invoice(created.id, "9002", "500.00", credit="100.00")
        void = _invoice(created.id, "9003", "777.00", status="void")
        elsewhere = _invoice(other.id, "9004", "50.00")
        uow.session.add_all([a, b, void, elsewhere])
        uow.session.flush()
        live = Payment(
            customer_id=created.id, received_on=date(2024, 5, 2), amount=Decimal("300.05"), method="check"
        )
        live.applications.append(PaymentApplication(invoice_id=a.id, amount=Decimal("300.05")))
        deleted = Payment(
            customer_id=created.id,
            received_on=date(2024, 5, 2),
            amount=Decimal("99.00"),
            method="cash",
            deleted_at=utcnow(),
        )
        deleted.applications.append(PaymentApplication(invoice_id=b.id, amount=Decimal("99.00")))
        uow.session.add_all([live, deleted])
        uow.commit()
    with db.reader() as uow:
        # 1000.10 - 300.05 + 500.00 - 100.00; the void invoice and deleted payment do not count.
        assert customers.get_customer(uow, created.id).open_balance == Decimal("1100.05")
        rows = {r.display_name: r.open_balance for r in customers.list_customers(uow).rows}
        assert rows == {"Acme Roofing": Decimal("1100.05"), "Other": Decimal("50.00")}


def test_detail_has_locations_and_job_count(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        created = make.customer(uow)
        make.location(uow, created.id)
        make.job(uow, created.id)
        detail = customers.get_customer(uow, created.id)
    assert detail.job_count == 1
    assert [loc.street for loc in detail.locations] == ["12 Oak St"]


def test_search_stays_fast_with_100k_customers(db: Database, admin: Actor) -> None:
    rows = [
        {
            "display_name": f"Customer {n:06d}",
            "display_name_key": f"customer {n:06d}",
            "company": f"Co {n}",
            "email": f"c{n}@example.com",
            "mobile_phone": f"555-{n:07d}",
            "version": 1,
        }
        for n in range(100_000)
    ]
    with db.uow(admin) as uow:
        uow.session.execute(insert(Customer), rows)
        uow.commit()
    with db.reader() as uow:
        first = customers.list_customers(uow, limit=50)
        found = customers.list_customers(uow, search="c99998@")
        deep = customers.list_customers(uow, offset=99_950, limit=50)
    assert first.total == 100_000 and len(first.rows) == 50
    assert [r.display_name for r in found.rows] == ["Customer 099998"]
    assert deep.rows[-1].display_name == "Customer 099999"
