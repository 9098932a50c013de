"""Accounts: the income-account picker, the QuickBooks import upsert, the default account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Account, QbLink
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import ValidationError
from desktop_app.services import accounts
from desktop_app.services.accounts import QuickBooksAccount
from tests.integration import service_helpers as make

CHART = [
    QuickBooksAccount("80000001-1", "Sales", "Income", edit_sequence="1"),
    QuickBooksAccount("80000002-1", "Sales:Labor", "Income"),
    QuickBooksAccount("80000003-1", "Interest Income", "OtherIncome"),
    QuickBooksAccount("80000004-1", "Checking", "Bank"),
    QuickBooksAccount("80000005-1", "Old Sales", "Income", active=False),
]


def test_upsert_creates_then_is_idempotent(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        first = accounts.upsert_accounts_from_quickbooks(uow, CHART)
        uow.commit()
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    with db.uow(admin) as uow:
        again = accounts.upsert_accounts_from_quickbooks(uow, CHART)
        uow.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Account)) == 5
        links = uow.session.scalars(select(QbLink).where(QbLink.entity_type == "account")).all()
        assert {link.qb_id for link in links} == {row.list_id for row in CHART}
        labor = uow.session.scalars(select(Account).where(Account.full_name == "Sales:Labor")).one()
        assert labor.name == "Labor"


def test_upsert_follows_renames_by_list_id(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        accounts.upsert_accounts_from_quickbooks(uow, CHART[:2])
        result = accounts.upsert_accounts_from_quickbooks(
            uow, [QuickBooksAccount("80000002-1", "Sales:Labour", "Income", active=False)]
        )
        assert (result.created, result.updated) == (0, 1)
        names = set(uow.session.scalars(select(Account.full_name)))
        assert names == {"Sales", "Sales:Labour"}
        renamed = uow.session.scalars(select(Account).where(Account.full_name == "Sales:Labour")).one()
        assert not renamed.active


def test_upsert_matches_existing_account_by_full_name(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        existing = make.account(uow, "Sales")
        result = accounts.upsert_accounts_from_quickbooks(uow, CHART[:1])
        assert result.created == 0
        link = uow.session.scalars(select(QbLink).where(QbLink.entity_type == "account")).one()
        assert link.entity_id == existing.id and link.qb_id == "80000001-1"


def test_upsert_refuses_blank_rows_and_changes_nothing(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow, pytest.raises(ValidationError) as info:
        accounts.upsert_accounts_from_quickbooks(uow, [QuickBooksAccount("1-1", "  ", "Income")])
    assert info.value.field == "full_name"
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Account)) == 0


def test_list_accounts_for_income_picker(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        accounts.upsert_accounts_from_quickbooks(uow, CHART)
        income = [row.full_name for row in accounts.list_accounts(uow)]
        assert income == ["Interest Income", "Sales", "Sales:Labor"]
        every = accounts.list_accounts(uow, types=None, include_inactive=True)
        assert len(every) == 5
        assert [r.full_name for r in accounts.list_accounts(uow, types=["Bank"])] == ["Checking"]


def test_default_income_account(db: Database, admin: Actor, office: Actor) -> None:
    with db.uow(admin) as uow:
        accounts.upsert_accounts_from_quickbooks(uow, CHART)
        uow.commit()
    with db.uow(admin) as uow:
        assert accounts.get_default_income_account(uow) is None
        ids = {r.full_name: r.id for r in accounts.list_accounts(uow, types=None, include_inactive=True)}
        chosen = accounts.set_default_income_account(uow, ids["Sales:Labor"])
        assert chosen is not None and chosen.full_name == "Sales:Labor"
        with pytest.raises(ValidationError, match="not an income account"):
            accounts.set_default_income_account(uow, ids["Checking"])
        with pytest.raises(ValidationError, match="inactive"):
            accounts.set_default_income_account(uow, ids["Old Sales"])
        with pytest.raises(ValidationError, match="not found"):
            accounts.set_default_income_account(uow, 9999)
        uow.commit()
    with db.reader() as uow:
        default = accounts.get_default_income_account(uow)
        assert default is not None and default.id == ids["Sales:Labor"]
    with db.uow(admin) as uow:
        assert accounts.set_default_income_account(uow, None) is None
        assert accounts.get_default_income_account(uow) is None
    with db.uow(office) as uow:
        # Not an admin-only setting: office staff keep the price book.
        accounts.set_default_income_account(uow, ids["Sales"])


def test_default_account_gone_inactive_reads_as_none(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        record = make.account(uow)
        accounts.set_default_income_account(uow, record.id)
        record.active = False
        uow.session.flush()
        assert accounts.get_default_income_account(uow) is None
