"""Sales-tax rates and the QuickBooks sales-tax items they are.

An invoice charges its own rate (the company's default, or zero for an exempt customer).
In QuickBooks Desktop that rate is a sales-tax item, named on the invoice
(``ItemSalesTaxRef``); QuickBooks refuses an invoice naming an item it does not have
(3140). So each rate invoices use is a ``TaxRate`` record, synced like any list record:
matched by name to one imported from QuickBooks, or created there (``ItemSalesTaxAdd``)
before the first invoice that needs it. An admin may point a rate at another QuickBooks
item of the same rate (Settings → Sales tax in QuickBooks).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink, Setting, TaxRate
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import NotFound, ValidationError
from desktop_app.services.common import require_admin

#: QuickBooks item names: 31 characters.
NAME_MAX = 31
_RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class TaxRateRow:
    id: int
    name: str
    rate: Decimal
    #: The QuickBooks sales-tax item it is linked to ("" until synced or matched).
    quickbooks_name: str
    in_quickbooks: bool
    #: The rate new invoices use (the company's default).
    is_default: bool
    #: False once another item of the same rate was chosen: invoices no longer use it.
    active: bool = True


def _setting(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    return row.value if row is not None else ""


def default_name(rate: Decimal) -> str:
    """ "Sales Tax 8.25%": what JobDesk calls a rate's item when nobody named it."""
    shown = format(rate.normalize(), "f")
    return f"Sales Tax {shown}%"[:NAME_MAX]


def _put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def _key(name: str) -> str:
    return name.strip().casefold()


def _choice_key(rate: Decimal) -> str:
    """The setting that names the QuickBooks item an admin chose for a rate."""
    return f"tax.item_for_rate.{rate.quantize(_RATE_PLACES)}"


def find_tax_rate(session: Session, rate: Decimal) -> TaxRate | None:
    """The record invoices charging ``rate`` name, without making one: the admin's choice,
    else the one named in Settings, else one linked to QuickBooks, else any of that rate."""
    wanted = rate.quantize(_RATE_PLACES)
    chosen_id = _setting(session, _choice_key(wanted))
    if chosen_id.isdigit():
        chosen = session.get(TaxRate, int(chosen_id))
        if chosen is not None and chosen.active and chosen.rate == wanted:
            return chosen
    same_rate = select(TaxRate).where(TaxRate.rate == wanted, TaxRate.active.is_(True)).order_by(TaxRate.id)
    candidates = list(session.scalars(same_rate))
    preferred = _setting(session, "tax.item_name").strip()
    named = next((c for c in candidates if preferred and c.name_key == _key(preferred)), None)
    if named is not None or not candidates:
        return named
    linked = set(
        session.scalars(
            select(QbLink.entity_id).where(
                QbLink.entity_type == "tax_item", QbLink.entity_id.in_([c.id for c in candidates])
            )
        )
    )
    return next((c for c in candidates if c.id in linked), candidates[0])


def _new_name(session: Session, rate: Decimal) -> str:
    """The name a rate's new record gets: the one in Settings for the default rate, if free."""
    preferred = _setting(session, "tax.item_name").strip()
    name = preferred if preferred and _is_default(session, rate) else default_name(rate)
    if session.scalar(select(TaxRate.id).where(TaxRate.name_key == _key(name))) is not None:
        name = default_name(rate)  # the preferred name is taken by another rate
    return name


def tax_rate_for(session: Session, rate: Decimal) -> TaxRate:
    """The record for ``rate`` (``find_tax_rate``), created on first need."""
    wanted = rate.quantize(_RATE_PLACES)
    cache: dict[Decimal, int] = session.info.setdefault("jobdesk_tax_rate_ids", {})
    known = cache.get(wanted)
    if known is not None:
        found = session.get(TaxRate, known)
        if found is not None:
            return found
    chosen = find_tax_rate(session, wanted)
    if chosen is None:
        name = _new_name(session, wanted)
        chosen = TaxRate(name=name, name_key=_key(name), rate=wanted, active=True)
        session.add(chosen)
        session.flush()
    cache[wanted] = chosen.id
    return chosen


def _is_default(session: Session, rate: Decimal) -> bool:
    text = _setting(session, "tax.default_rate")
    try:
        return bool(text) and Decimal(text).quantize(_RATE_PLACES) == rate
    except ArithmeticError:
        return False


def record_quickbooks_item(session: Session, name: str, rate: Decimal | None) -> TaxRate:
    """A sales-tax item read from QuickBooks: the rate of that name, made if new."""
    key = _key(name)[:NAME_MAX]
    found = session.scalar(select(TaxRate).where(TaxRate.name_key == key))
    if found is None:
        found = TaxRate(
            name=name[:NAME_MAX], name_key=key, rate=(rate or Decimal(0)).quantize(_RATE_PLACES), active=True
        )
        session.add(found)
        session.flush()
    return found


def list_tax_rates(uow: UnitOfWork) -> tuple[TaxRateRow, ...]:
    session = uow.session
    links = {
        link.entity_id: link
        for link in session.scalars(select(QbLink).where(QbLink.entity_type == "tax_item"))
    }
    default_text = _setting(session, "tax.default_rate")
    try:
        default = Decimal(default_text).quantize(_RATE_PLACES) if default_text else None
    except ArithmeticError:
        default = None
    # Read only: a rate nobody has used yet is not made here.
    default_rate = find_tax_rate(session, default) if default is not None and default > 0 else None
    default_id = default_rate.id if default_rate is not None else None
    rows = []
    for rate in session.scalars(select(TaxRate).order_by(TaxRate.rate, TaxRate.name_key)):
        link = links.get(rate.id)
        rows.append(
            TaxRateRow(
                id=rate.id,
                name=rate.name,
                rate=rate.rate,
                quickbooks_name=link.qb_name if link else "",
                in_quickbooks=link is not None,
                is_default=rate.id == default_id,
                active=rate.active,
            )
        )
    if default is not None and default > 0 and default_rate is None:
        # The default rate's item is made with the first invoice that needs it: shown as
        # such (id 0: not a record yet), without writing anything in a read.
        rows.append(
            TaxRateRow(
                id=0,
                name=_new_name(session, default),
                rate=default,
                quickbooks_name="",
                in_quickbooks=False,
                is_default=True,
            )
        )
        rows.sort(key=lambda row: (row.rate, row.name.casefold()))
    return tuple(rows)


def use_quickbooks_item(uow: UnitOfWork, rate_id: int) -> TaxRateRow:
    """Invoices charging this record's rate name this QuickBooks item (admin only)."""
    require_admin(uow, "choose the QuickBooks sales-tax item")
    session = uow.session
    chosen = session.get(TaxRate, rate_id)
    if chosen is None:
        raise NotFound("Sales-tax item", rate_id)
    if not chosen.active:
        raise ValidationError("tax_item", f"“{chosen.name}” is inactive; choose an active sales-tax item.")
    others = session.scalars(select(TaxRate).where(TaxRate.rate == chosen.rate, TaxRate.id != chosen.id))
    for other in others:
        if (
            session.scalar(
                select(QbLink.id).where(QbLink.entity_type == "tax_item", QbLink.entity_id == other.id)
            )
            is None
        ):
            other.active = False  # never made in QuickBooks: no second item of the same rate
    _put_setting(session, _choice_key(chosen.rate), str(chosen.id))
    if _is_default(session, chosen.rate):
        _put_setting(session, "tax.item_name", chosen.name)
    session.info.pop("jobdesk_tax_rate_ids", None)
    session.flush()
    return next(r for r in list_tax_rates(uow) if r.id == chosen.id)
