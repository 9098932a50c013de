"""The QuickBooks chart of accounts as JobDesk sees it: imported, listed, one default."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.db.models import Account, QbLink
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import ValidationError
from desktop_app.services import settings
from desktop_app.services.common import audit, clean_text
from desktop_app.services.qb_links import link_to

#: The account types an item's income may post to (qbXML AccountType values).
INCOME_TYPES: tuple[str, ...] = ("Income", "OtherIncome")
DEFAULT_INCOME_KEY = "accounts.default_income_account_id"


@dataclass(frozen=True)
class AccountRow:
    id: int
    name: str
    full_name: str
    account_type: str
    active: bool


@dataclass(frozen=True)
class QuickBooksAccount:
    """One account as the QuickBooks import reads it (AccountRet)."""

    list_id: str
    full_name: str
    account_type: str
    active: bool = True
    edit_sequence: str = ""


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


def _row(account: Account) -> AccountRow:
    return AccountRow(account.id, account.name, account.full_name, account.account_type, account.active)


def list_accounts(
    uow: UnitOfWork, *, types: Sequence[str] | None = INCOME_TYPES, include_inactive: bool = False
) -> tuple[AccountRow, ...]:
    """Accounts for a picker, by full name; ``types=None`` lists every type."""
    query = select(Account)
    if types is not None:
        query = query.where(Account.account_type.in_(list(types)))
    if not include_inactive:
        query = query.where(Account.active.is_(True))
    return tuple(_row(a) for a in uow.session.scalars(query.order_by(Account.full_name)))


def upsert_accounts_from_quickbooks(uow: UnitOfWork, rows: Iterable[QuickBooksAccount]) -> UpsertResult:
    """Bring accounts in line with QuickBooks; matched by ListID, else by full name.

    Accounts QuickBooks did not send are left alone: an import of one account type must
    not deactivate the others, and items may still point at them.
    """
    created = updated = unchanged = 0
    for row in rows:
        list_id = clean_text(row.list_id, "list_id", max_length=40, required=True, label="ListID")
        full_name = clean_text(
            row.full_name, "full_name", max_length=159, required=True, label="Account name"
        )
        account_type = clean_text(
            row.account_type, "account_type", max_length=40, required=True, label="Account type"
        )
        name = full_name.rsplit(":", 1)[-1][:41]
        link = uow.session.scalar(
            select(QbLink).where(QbLink.entity_type == "account", QbLink.qb_id == list_id)
        )
        account = uow.session.get(Account, link.entity_id) if link is not None else None
        if account is None:
            account = uow.session.scalar(select(Account).where(Account.full_name == full_name))
        values = {
            "name": name,
            "full_name": full_name,
            "account_type": account_type,
            "active": bool(row.active),
        }
        if account is None:
            account = Account(**values)
            uow.session.add(account)
            uow.flush()
            audit(
                uow, "import", "account", account.id, summary=f"Account {full_name} imported from QuickBooks"
            )
            created += 1
        else:
            before = {key: getattr(account, key) for key in values}
            if before != values:
                for key, value in values.items():
                    setattr(account, key, value)
                audit(
                    uow,
                    "import",
                    "account",
                    account.id,
                    summary=f"Account {full_name} updated from QuickBooks",
                    changes={k: [before[k], v] for k, v in values.items() if before[k] != v},
                )
                updated += 1
            else:
                unchanged += 1
        # The link found by ListID above is ours to move; else ours is looked up.
        sequence = row.edit_sequence
        if link is not None:
            link_to(
                uow.session,
                "account",
                account.id,
                list_id,
                edit_sequence=sequence,
                qb_name=full_name,
                existing=link,
            )
        else:
            link_to(uow.session, "account", account.id, list_id, edit_sequence=sequence, qb_name=full_name)
        uow.flush()
    return UpsertResult(created, updated, unchanged)


def get_default_income_account(uow: UnitOfWork) -> AccountRow | None:
    """The account new items post to when none is chosen; None if unset or gone."""
    account_id = settings.get_setting(uow, DEFAULT_INCOME_KEY)
    if not account_id:
        return None
    account = uow.session.get(Account, account_id)
    return _row(account) if account is not None and account.active else None


def set_default_income_account(uow: UnitOfWork, account_id: int | None) -> AccountRow | None:
    if account_id is None:
        settings.set_setting(uow, DEFAULT_INCOME_KEY, 0)
        return None
    account = income_account(uow, account_id)
    settings.set_setting(uow, DEFAULT_INCOME_KEY, account.id)
    return _row(account)


def income_account(uow: UnitOfWork, account_id: object) -> Account:
    """An active income account, or a ValidationError naming the income account field."""
    field = "income_account_id"
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationError(field, "The income account was not found.")
    account = uow.session.get(Account, account_id)
    if account is None:
        raise ValidationError(field, "The income account was not found. Import accounts from QuickBooks.")
    if not account.active:
        raise ValidationError(field, f"The account “{account.full_name}” is inactive in QuickBooks.")
    if account.account_type not in INCOME_TYPES:
        raise ValidationError(field, f"“{account.full_name}” is not an income account.")
    return account
