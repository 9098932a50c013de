"""Connecting to a QuickBooks company: what JobDesk needs from it, chosen among what it has.

The sync sends references QuickBooks must already hold: an income account for new items,
an item for lines without a price-book item, a sales-tax item for each rate invoices
charge, terms, and for payments a payment method and an account to deposit to. A wrong
name is refused (3140) one record at a time; here the admin chooses each among the
records the import copied (``qb_list_records``), with a sensible default, before the
first sync.

Where a choice lives (existing settings reused, the rest added in ``setting_specs``):

* income account → ``accounts.default_income_account_id`` (a local account, made from the
  QuickBooks one when needed; the sync sends its full name as IncomeAccountRef);
* generic item → ``items.generic_item_list_id`` (the sync sends it as the lines' ItemRef);
* a tax rate → its ``TaxRate`` linked to the QuickBooks item, chosen with
  ``tax_rates.use_quickbooks_item`` (setting ``tax.item_for_rate.<rate>``);
* terms → the link of JobDesk's terms to QuickBooks' (the sync sends TermsRef by ListID);
* a payment method → ``payments.qb_method.<method>`` and ``payments.deposit_to.<method>``
  (PaymentMethodRef and DepositToAccountRef on ReceivePayment).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from desktop_app.db.connection_models import QuickBooksListRecord
from desktop_app.db.models import Account, Invoice, QbLink, Setting, TaxRate, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import InvoiceStatus, PaymentMethod, TermsKind
from desktop_app.errors import ValidationError
from desktop_app.services import accounts, tax_rates
from desktop_app.services.common import audit, require_admin
from desktop_app.services.qb_links import link_to
from desktop_app.services.settings import get_setting, set_setting

INCOME_TYPES = accounts.INCOME_TYPES
#: Item types a line without a price-book item can name (an amount, no quantity needed).
GENERIC_ITEM_TYPES = ("ItemService", "ItemNonInventory", "ItemOtherCharge")
TAX_ITEM_TYPES = ("ItemSalesTax", "ItemSalesTaxGroup")
#: Accounts QuickBooks deposits a received payment to: a bank, or Undeposited Funds.
DEPOSIT_TYPES = ("Bank", "OtherCurrentAsset")
#: JobDesk's terms QuickBooks knows as standard terms; the others only set the due date.
SENT_TERMS = (TermsKind.NET_DAYS.value, TermsKind.UPON_RECEIPT.value)
_RATE = Decimal("0.0001")

#: Names (any case) a sensible default is looked for under, best first.
INCOME_NAMES = ("construction income", "sales", "sales income", "income", "services", "service income")
METHOD_NAMES: dict[str, tuple[str, ...]] = {
    PaymentMethod.CASH.value: ("cash",),
    PaymentMethod.CHECK.value: ("check", "cheque"),
    PaymentMethod.CARD.value: ("credit card", "card", "visa", "mastercard"),
    PaymentMethod.ACH.value: ("ach", "e-check", "echeck", "eft", "electronic transfer", "bank transfer"),
    PaymentMethod.OTHER.value: ("other",),
}
_METHOD_LABEL = {"cash": "Cash", "check": "Check", "card": "Card", "ach": "ACH", "other": "Other"}


#: The needs the admin has saved a choice for (comma-separated keys).
SAVED_KEYS = "connection.mapping_saved"


@dataclass(frozen=True)
class QuickBooksChoice:
    """One imported QuickBooks record that may be chosen."""

    list_id: str
    full_name: str
    record_type: str
    #: What tells it apart, in plain words ("8.25%", "due in 30 days", "Bank").
    detail: str


@dataclass(frozen=True)
class MappingNeed:
    """One thing JobDesk needs from the company, and what may be chosen for it."""

    #: income_account, generic_item, tax_item:<rate>, terms:<id>, payment_method:<method>,
    #: deposit_to:<method> — the key :func:`save_mapping` takes.
    key: str
    label: str
    #: What JobDesk uses it for.
    explanation: str
    choices: tuple[QuickBooksChoice, ...]
    #: ListID of what is chosen now, "" when nothing is.
    current: str
    #: ListID of a sensible choice, "" when none fits.
    default: str
    #: False: "" (no choice) may be saved, and means ``without_choice``.
    required: bool
    without_choice: str
    #: The admin saved a choice for it (perhaps "none"): the wizard shows that, not the default.
    saved: bool = False


@dataclass(frozen=True)
class Mapping:
    needs: tuple[MappingNeed, ...]

    def need(self, key: str) -> MappingNeed:
        return next(n for n in self.needs if n.key == key)

    def proposed(self) -> dict[str, str]:
        """What the wizard fills in: what was saved (even "none"), else the current choice or the default."""
        return {n.key: n.current if n.saved else (n.current or n.default) for n in self.needs}


# --- reading what was imported --------------------------------------------------------------------


def _detail(row: QuickBooksListRecord) -> dict[str, object]:
    try:
        loaded = json.loads(row.detail or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(_RATE) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def rate_of(row: QuickBooksListRecord) -> Decimal | None:
    detail = _detail(row)
    return _decimal(detail.get("rate", detail.get("TaxRate")))


def due_days_of(row: QuickBooksListRecord) -> int | None:
    detail = _detail(row)
    value = detail.get("due_days", detail.get("StdDueDays"))
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _records(uow: UnitOfWork, kind: str, types: Iterable[str] | None = None) -> list[QuickBooksListRecord]:
    query = select(QuickBooksListRecord).where(
        QuickBooksListRecord.kind == kind, QuickBooksListRecord.active.is_(True)
    )
    if types is not None:
        query = query.where(QuickBooksListRecord.record_type.in_(list(types)))
    return list(uow.session.scalars(query.order_by(QuickBooksListRecord.full_name)))


def _choice(row: QuickBooksListRecord, detail: str = "") -> QuickBooksChoice:
    return QuickBooksChoice(
        row.list_id, row.full_name or row.name, row.record_type, detail or row.record_type
    )


def _named(rows: Iterable[QuickBooksListRecord], names: Iterable[str]) -> str:
    """The ListID of the first row named (full or own name, any case) like one of ``names``."""
    listed = list(rows)
    for wanted in names:
        for row in listed:
            if wanted in (row.name.casefold(), (row.full_name or "").casefold()):
                return row.list_id
    return ""


def _linked_qb_id(uow: UnitOfWork, entity_type: str, entity_id: int) -> str:
    return (
        uow.session.scalar(
            select(QbLink.qb_id).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id)
        )
        or ""
    )


def _among(list_id: str, choices: Iterable[QuickBooksChoice]) -> str:
    return list_id if any(c.list_id == list_id for c in choices) else ""


def _setting_text(uow: UnitOfWork, key: str) -> str:
    return str(get_setting(uow, key) or "")


# --- the needs ------------------------------------------------------------------------------------


def _income_need(uow: UnitOfWork) -> MappingNeed:
    rows = _records(uow, "account", INCOME_TYPES)
    choices = tuple(_choice(r) for r in rows)
    current = ""
    chosen = accounts.get_default_income_account(uow)
    if chosen is not None:
        current = _among(_linked_qb_id(uow, "account", chosen.id), choices) or _named(
            rows, [chosen.full_name.casefold()]
        )
    default = current or _named(rows, INCOME_NAMES) or (rows[0].list_id if len(rows) == 1 else "")
    return MappingNeed(
        key="income_account",
        label="Income account for new items",
        explanation=(
            "Items JobDesk adds to QuickBooks post their sales to this account, unless an item names its own."
        ),
        choices=choices,
        current=current,
        default=default,
        required=True,
        without_choice="",
    )


def _generic_need(uow: UnitOfWork) -> MappingNeed:
    rows = _records(uow, "item", GENERIC_ITEM_TYPES)
    choices = tuple(_choice(r) for r in rows)
    current = _among(_setting_text(uow, "items.generic_item_list_id"), choices)
    return MappingNeed(
        key="generic_item",
        label="Item for lines without a price-book item",
        explanation="Invoice lines typed by hand, progress and deposit amounts name this item in QuickBooks.",
        choices=choices,
        current=current,
        default=current or _named(rows, ["sales"]),
        required=False,
        without_choice="JobDesk adds its own service item “Sales” to QuickBooks.",
    )


def _our_rates(uow: UnitOfWork) -> list[Decimal]:
    """The rates invoices charge: the company's default and those of invoices not yet sent."""
    rates: set[Decimal] = set()
    default = _decimal(get_setting(uow, "tax.default_rate"))
    if default is not None and default > 0:
        rates.add(default)
    sent = select(QbLink.entity_id).where(QbLink.entity_type == "invoice")
    query = select(Invoice.tax_rate).where(
        Invoice.tax_rate > 0, Invoice.status != InvoiceStatus.VOID.value, Invoice.id.not_in(sent)
    )
    rates.update(r.quantize(_RATE) for r in uow.session.scalars(query.distinct()))
    return sorted(rates)


def _shown_rate(rate: Decimal) -> str:
    return f"{format(rate.normalize(), 'f')}%"


def _tax_need(uow: UnitOfWork, rate: Decimal, all_tax_items: list[QuickBooksListRecord]) -> MappingNeed:
    rows = [r for r in all_tax_items if rate_of(r) == rate]
    choices = tuple(_choice(r, _shown_rate(rate)) for r in rows)
    current = ""
    ours = tax_rates.find_tax_rate(uow.session, rate)
    if ours is not None:
        current = _among(_linked_qb_id(uow, "tax_item", ours.id), choices) or _named(
            rows, [ours.name.casefold()]
        )
    preferred = _setting_text(uow, "tax.item_name").strip().casefold()
    default = current or (_named(rows, [preferred]) if preferred else "") or (rows[0].list_id if rows else "")
    shown = _shown_rate(rate)
    return MappingNeed(
        key=f"tax_item:{rate}",
        label=f"Sales tax {shown}",
        explanation=f"Invoices charging {shown} name this QuickBooks sales-tax item, which computes the tax.",
        choices=choices,
        current=current,
        default=default,
        required=False,
        # The admin's explicit choice is dropped; JobDesk's own rule then picks (tax_rates).
        without_choice=(
            "JobDesk picks: the item named in Settings → Sales tax if it is of this rate, else one "
            f"already in QuickBooks, else it adds its own “{tax_rates.default_name(rate)}”."
        ),
    )


def _days(terms: Terms) -> int:
    return (terms.net_days or 0) if terms.kind == TermsKind.NET_DAYS.value else 0


def _terms_need(uow: UnitOfWork, terms: Terms, all_terms: list[QuickBooksListRecord]) -> MappingNeed:
    days = _days(terms)
    rows = [r for r in all_terms if due_days_of(r) == days]
    choices = tuple(_choice(r, f"due in {due_days_of(r)} days" if days else "due on receipt") for r in rows)
    current = _among(_linked_qb_id(uow, "terms", terms.id), choices) or _named(rows, [terms.name.casefold()])
    return MappingNeed(
        key=f"terms:{terms.id}",
        label=f"Terms “{terms.name}”",
        explanation=f"Invoices with JobDesk's terms “{terms.name}” name these QuickBooks terms.",
        choices=choices,
        current=current,
        default=current or (rows[0].list_id if rows else ""),
        required=False,
        without_choice=f"JobDesk adds its own terms “{terms.name}” to QuickBooks.",
    )


def _method_needs(uow: UnitOfWork, method: str) -> tuple[MappingNeed, MappingNeed]:
    label = _METHOD_LABEL[method]
    methods = _records(uow, "payment_method")
    method_choices = tuple(_choice(r, r.record_type or "payment method") for r in methods)
    method_current = _among(_setting_text(uow, f"payments.qb_method.{method}"), method_choices)
    banks = _records(uow, "account", DEPOSIT_TYPES)
    bank_choices = tuple(_choice(r) for r in banks)
    bank_current = _among(_setting_text(uow, f"payments.deposit_to.{method}"), bank_choices)
    return (
        MappingNeed(
            key=f"payment_method:{method}",
            label=f"Payment method for {label} payments",
            explanation=f"{label} payments JobDesk records reach QuickBooks with this payment method.",
            choices=method_choices,
            current=method_current,
            default=method_current or _named(methods, METHOD_NAMES[method]),
            required=False,
            without_choice="No payment method is given (JobDesk still notes the method in the memo).",
        ),
        MappingNeed(
            key=f"deposit_to:{method}",
            label=f"Deposit {label} payments to",
            explanation=f"QuickBooks records {label} payments as deposited to this account.",
            choices=bank_choices,
            current=bank_current,
            default=bank_current or _named(banks, ["undeposited funds"]),
            required=False,
            without_choice=(
                "QuickBooks' own default (Undeposited Funds, or the account its preferences name)."
            ),
        ),
    )


def mapping_choices(uow: UnitOfWork) -> Mapping:
    """Every need, with the imported QuickBooks choices, the current one and a default."""
    found = _needs(uow)
    saved = _saved_keys(uow)
    return Mapping(tuple(replace(need, saved=need.key in saved) for need in found.needs))


def _saved_keys(uow: UnitOfWork) -> set[str]:
    return {key for key in str(get_setting(uow, SAVED_KEYS) or "").split(",") if key}


def _needs(uow: UnitOfWork) -> Mapping:
    """Every need, with the imported QuickBooks choices, the current one and a default."""
    needs: list[MappingNeed] = [_income_need(uow), _generic_need(uow)]
    tax_items = _records(uow, "item", TAX_ITEM_TYPES)
    needs += [_tax_need(uow, rate, tax_items) for rate in _our_rates(uow)]
    qb_terms = _records(uow, "terms")
    ours = uow.session.scalars(
        select(Terms).where(Terms.active.is_(True), Terms.kind.in_(SENT_TERMS)).order_by(Terms.name)
    )
    needs += [_terms_need(uow, t, qb_terms) for t in ours]
    for method in PaymentMethod:
        needs += _method_needs(uow, method.value)
    return Mapping(tuple(needs))


# --- saving ---------------------------------------------------------------------------------------

Apply = Callable[[], None]


def _refusal(uow: UnitOfWork, need: MappingNeed, list_id: str) -> ValidationError:
    """Why ``list_id`` cannot be chosen for ``need``, naming what it is when it was imported."""
    found = uow.session.scalar(select(QuickBooksListRecord).where(QuickBooksListRecord.list_id == list_id))
    if found is None:
        return ValidationError(
            need.key,
            f"{need.label}: the chosen record is not among those imported from QuickBooks (it may have "
            "been deleted there). Import QuickBooks' lists again, or choose one of those listed.",
        )
    what = f"“{found.full_name or found.name}”"
    if need.key.startswith("tax_item:"):
        rate = rate_of(found)
        if found.record_type in TAX_ITEM_TYPES and rate is not None:
            return ValidationError(
                need.key,
                f"{need.label}: {what} charges {_shown_rate(rate)}; invoices would total differently in "
                "QuickBooks. Choose a sales-tax item of the same rate.",
            )
    if need.key.startswith("terms:") and found.kind == "terms":
        return ValidationError(
            need.key,
            f"{need.label}: {what} falls due on another day than JobDesk's terms. "
            "Choose terms of the same days.",
        )
    if not found.active:
        return ValidationError(need.key, f"{need.label}: {what} is inactive in QuickBooks.")
    kind = found.record_type or found.kind.replace("_", " ")
    return ValidationError(need.key, f"{need.label}: {what} is a {kind}, which cannot be used for this.")


def _record(uow: UnitOfWork, list_id: str) -> QuickBooksListRecord:
    row = uow.session.scalar(select(QuickBooksListRecord).where(QuickBooksListRecord.list_id == list_id))
    if row is None:  # checked among the need's choices first; gone only if re-imported meanwhile
        raise ValidationError(
            "choices", "That QuickBooks record is no longer known: import again, then choose."
        )
    return row


def _plan_income(uow: UnitOfWork, list_id: str) -> Apply:
    row = _record(uow, list_id)

    def apply() -> None:
        accounts.upsert_accounts_from_quickbooks(
            uow,
            [
                accounts.QuickBooksAccount(
                    row.list_id, row.full_name, row.record_type, row.active, row.edit_sequence
                )
            ],
        )
        account_id = uow.session.scalar(
            select(QbLink.entity_id).where(QbLink.entity_type == "account", QbLink.qb_id == row.list_id)
        )
        if account_id is None:  # the name was already linked to another ListID: follow the name
            account_id = uow.session.scalar(select(Account.id).where(Account.full_name == row.full_name))
        accounts.set_default_income_account(uow, account_id)

    return apply


def _plan_tax(uow: UnitOfWork, need: MappingNeed, rate: Decimal, list_id: str) -> Apply:
    """The local rate record that is that QuickBooks item; refused when it cannot be."""
    row = _record(uow, list_id)
    session = uow.session
    linked_id = session.scalar(
        select(QbLink.entity_id).where(QbLink.entity_type == "tax_item", QbLink.qb_id == list_id)
    )
    local = session.get(TaxRate, linked_id) if linked_id is not None else None
    if local is None:
        local = session.scalar(select(TaxRate).where(TaxRate.name_key == row.name.strip().casefold()[:31]))
        if local is not None and _linked_qb_id(uow, "tax_item", local.id):
            raise ValidationError(
                need.key,
                f"{need.label}: JobDesk's “{local.name}” is already another QuickBooks item of that name; "
                "import QuickBooks' lists again.",
            )
    if local is not None and local.rate != rate:
        raise ValidationError(
            need.key,
            f"{need.label}: JobDesk's sales-tax item “{local.name}” charges {_shown_rate(local.rate)}, "
            f"QuickBooks' {_shown_rate(rate)}. Correct the rate in Settings → Sales tax first.",
        )
    existing = local

    def apply() -> None:
        tax = existing or tax_rates.record_quickbooks_item(session, row.name, rate)
        if not _linked_qb_id(uow, "tax_item", tax.id):
            link_to(
                session,
                "tax_item",
                tax.id,
                row.list_id,
                qb_name=row.full_name or row.name,
                edit_sequence=row.edit_sequence,
                existing=None,
            )
        tax.active = True  # an item QuickBooks has is one invoices may name
        session.flush()
        tax_rates.use_quickbooks_item(uow, tax.id)

    return apply


def _clear_tax(uow: UnitOfWork, rate: Decimal) -> Apply:
    def apply() -> None:
        row = uow.session.get(Setting, f"tax.item_for_rate.{rate}")
        if row is not None:
            uow.session.delete(row)
            uow.session.info.pop("jobdesk_tax_rate_ids", None)
            uow.flush()

    return apply


def _plan_terms(uow: UnitOfWork, need: MappingNeed, terms_id: int, list_id: str) -> Apply:
    session = uow.session
    holder = (
        session.scalar(select(QbLink.entity_id).where(QbLink.entity_type == "terms", QbLink.qb_id == list_id))
        if list_id
        else None
    )
    if holder is not None and holder != terms_id:
        other = session.get(Terms, holder)
        raise ValidationError(
            need.key,
            f"{need.label}: those QuickBooks terms are already JobDesk's "
            f"“{other.name if other else holder}”; two of JobDesk's terms cannot be one in QuickBooks.",
        )
    row = _record(uow, list_id) if list_id else None

    def apply() -> None:
        link = session.scalar(
            select(QbLink).where(QbLink.entity_type == "terms", QbLink.entity_id == terms_id)
        )
        if row is None:
            if link is not None:
                session.delete(link)
        elif link is None:
            link_to(
                session,
                "terms",
                terms_id,
                row.list_id,
                qb_name=row.full_name or row.name,
                edit_sequence=row.edit_sequence,
                existing=None,
            )
        else:
            link.qb_id, link.qb_name, link.edit_sequence = (
                row.list_id,
                row.full_name or row.name,
                row.edit_sequence,
            )
        session.flush()

    return apply


def _setting_apply(uow: UnitOfWork, key: str, value: str) -> Apply:
    def apply() -> None:
        set_setting(uow, key, value)

    return apply


def _plan_one(uow: UnitOfWork, need: MappingNeed, value: str) -> Apply:
    kind, _, arg = need.key.partition(":")
    if kind == "income_account":
        return _plan_income(uow, value)
    if kind == "generic_item":
        return _setting_apply(uow, "items.generic_item_list_id", value)
    if kind == "tax_item":
        rate = Decimal(arg)
        return _plan_tax(uow, need, rate, value) if value else _clear_tax(uow, rate)
    if kind == "terms":
        return _plan_terms(uow, need, int(arg), value)
    if kind == "payment_method":
        return _setting_apply(uow, f"payments.qb_method.{arg}", value)
    return _setting_apply(uow, f"payments.deposit_to.{arg}", value)


def _name(need: MappingNeed, list_id: str) -> str:
    if not list_id:
        return ""
    return next((c.full_name for c in need.choices if c.list_id == list_id), list_id)


def save_mapping(uow: UnitOfWork, choices: dict[str, str]) -> Mapping:
    """Admin: store the chosen QuickBooks records (ListIDs by need key; "" for none).

    Every choice is checked against what was imported before anything is stored: one bad
    choice refuses them all, naming its field. Audited as one entry ({key: [old, new]}).
    """
    require_admin(uow, "choose what JobDesk uses from the QuickBooks company")
    if not isinstance(choices, dict):
        raise ValidationError("choices", "Choose a QuickBooks record for each need.")
    mapping = _needs(uow)
    needs = {n.key: n for n in mapping.needs}
    plans: list[Apply] = []
    changes: dict[str, list[str]] = {}
    seen_terms: dict[str, str] = {}
    for key, value in choices.items():
        need = needs.get(key) if isinstance(key, str) else None
        if need is None:
            raise ValidationError(str(key), f"JobDesk needs nothing called “{key}” from QuickBooks.")
        if not isinstance(value, str):
            raise ValidationError(key, f"{need.label}: choose one of the QuickBooks records listed.")
        value = value.strip()
        if not value and need.required:
            raise ValidationError(key, f"{need.label}: choose one of the QuickBooks records listed.")
        if value and not _among(value, need.choices):
            raise _refusal(uow, need, value)
        if key.startswith("terms:") and value:
            if value in seen_terms:
                raise ValidationError(
                    key,
                    f"{need.label}: those QuickBooks terms are already chosen for "
                    f"{needs[seen_terms[value]].label}.",
                )
            seen_terms[value] = key
        # Applied even when it is the current choice: one found by name is linked only now.
        plans.append(_plan_one(uow, need, value))
        if value != need.current:
            changes[key] = [_name(need, need.current), _name(need, value)]
    for plan in plans:
        plan()
    saved = _saved_keys(uow) | set(choices)
    set_setting(uow, SAVED_KEYS, ",".join(sorted(saved)))
    if plans:
        changed = ", ".join(needs[k].label for k in changes)
        audit(
            uow,
            "mapping",
            "setting",
            None,
            summary=f"QuickBooks choices saved: {changed}" if changed else "QuickBooks choices confirmed",
            changes=changes,
        )
        uow.flush()
    return mapping_choices(uow)
