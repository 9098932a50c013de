"""Document lines shared by bids, jobs and credit memos: input checking, price-book copying, totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from sqlalchemy import select

from desktop_app.db.credit_models import CreditMemoLine
from desktop_app.db.models import BidLine, Customer, Item, JobLine
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import QTY_PLACES, line_amount, parse_decimal
from desktop_app.domain.totals import Totals, compute_totals
from desktop_app.errors import ValidationError
from desktop_app.services import settings
from desktop_app.services.common import MAX_NOTE, clean_text

#: More lines than this is a paste gone wrong, not a bid; QuickBooks chokes well before.
MAX_LINES = 500


@dataclass(frozen=True)
class LineInput:
    """One line as a form submits it.

    With ``item_id`` the price-book item supplies whatever is left as None (description,
    rate, taxable); without it the line is ad hoc and needs a description and a rate.
    ``id`` keeps an existing line (and its id) when a document is saved again.
    """

    quantity: object = "1"
    item_id: int | None = None
    description: str | None = None
    rate: object | None = None
    taxable: bool | None = None
    id: int | None = None


@dataclass(frozen=True)
class LineDetail:
    id: int
    position: int
    item_id: int | None
    item_name: str
    description: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    taxable: bool


class _Line(Protocol):
    id: int
    position: int
    description: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    taxable: bool
    item_id: int | None


L = TypeVar("L", BidLine, JobLine, CreditMemoLine)


@dataclass(frozen=True)
class CheckedLine:
    id: int | None
    item_id: int | None
    description: str
    quantity: Decimal
    rate: Decimal
    taxable: bool

    @property
    def amount(self) -> Decimal:
        return line_amount(self.quantity, self.rate)


def check_lines(uow: UnitOfWork, lines: Sequence[LineInput]) -> list[CheckedLine]:
    """Validate every line before anything is written, so a bad line changes nothing."""
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence):
        raise ValidationError("lines", "Lines must be a list of lines.")
    if len(lines) > MAX_LINES:
        raise ValidationError("lines", f"A document can have at most {MAX_LINES} lines.")
    checked: list[CheckedLine] = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, LineInput):
            raise ValidationError("lines", f"Line {number} is not a line.")
        checked.append(_check_line(uow, number, line))
    return checked


def _check_line(uow: UnitOfWork, number: int, line: LineInput) -> CheckedLine:
    where = f"Line {number}"
    quantity = parse_decimal(line.quantity, "quantity", places=QTY_PLACES)
    if quantity <= 0:
        raise ValidationError("quantity", f"{where}: the quantity must be more than zero.")
    item: Item | None = None
    if line.item_id is not None:
        if not isinstance(line.item_id, int) or isinstance(line.item_id, bool):
            raise ValidationError("item_id", f"{where}: the price-book item was not found.")
        item = uow.session.get(Item, line.item_id)
        if item is None:
            raise ValidationError("item_id", f"{where}: the price-book item was not found.")
        if not item.active:
            raise ValidationError("item_id", f"{where}: “{item.name}” is inactive in the price book.")
    if line.description is not None or item is None:
        description = clean_text(
            line.description, "description", max_length=4000, label=f"{where} description"
        )
        if not description and item is None:
            raise ValidationError("description", f"{where}: enter a description or choose an item.")
    else:
        description = item.description or item.name
    if line.rate is not None:
        rate = parse_decimal(line.rate, "rate", places=QTY_PLACES)
    elif item is not None:
        rate = item.unit_price
    else:
        raise ValidationError("rate", f"{where}: enter a rate.")
    if rate < 0:
        raise ValidationError("rate", f"{where}: the rate cannot be negative.")
    if line.taxable is not None and not isinstance(line.taxable, bool):
        raise ValidationError("taxable", f"{where}: taxable must be yes or no.")
    taxable = line.taxable if line.taxable is not None else (item.taxable if item is not None else False)
    checked = CheckedLine(line.id, line.item_id, description, quantity, rate, taxable)
    parse_decimal(checked.amount, "amount")  # an amount beyond the money column's range
    return checked


def apply_lines(existing: list[L], checked: Sequence[CheckedLine], factory: type[L]) -> list[L]:
    """The new line list: lines named by id are updated in place, others created. A line
    naming one that is not the document's (or one named twice) changes nothing."""
    by_id = {line.id: line for line in existing}
    named = [data.id for data in checked if data.id is not None]
    for position, data in enumerate(checked):
        if data.id is not None and (data.id not in by_id or named.count(data.id) > 1):
            raise ValidationError("lines", f"Line {position + 1} does not belong to this document.")
    result: list[L] = []
    for position, data in enumerate(checked):
        if data.id is not None:
            if data.id not in by_id:
                raise ValidationError("lines", f"Line {position + 1} does not belong to this document.")
            record = by_id.pop(data.id)
        else:
            record = factory()
        record.position = position
        record.item_id = data.item_id
        record.description = data.description
        record.quantity = data.quantity
        record.rate = data.rate
        record.amount = data.amount
        record.taxable = data.taxable
        result.append(record)
    return result


def tax_rate(uow: UnitOfWork) -> Decimal:
    rate = settings.get_setting(uow, "tax.default_rate")
    assert isinstance(rate, Decimal)
    return rate


def totals_for(uow: UnitOfWork, customer: Customer, lines: Iterable[_Line]) -> Totals:
    return compute_totals(
        ((line.amount, line.taxable) for line in lines), tax_rate(uow), tax_exempt=customer.tax_exempt
    )


def line_details(uow: UnitOfWork, lines: Sequence[_Line]) -> tuple[LineDetail, ...]:
    item_ids = {line.item_id for line in lines if line.item_id is not None}
    names: dict[int, str] = {}
    if item_ids:
        names = {
            row.id: row.name
            for row in uow.session.execute(select(Item.id, Item.name).where(Item.id.in_(item_ids)))
        }
    return tuple(
        LineDetail(
            id=line.id,
            position=line.position,
            item_id=line.item_id,
            item_name=names.get(line.item_id, "") if line.item_id is not None else "",
            description=line.description,
            quantity=line.quantity,
            rate=line.rate,
            amount=line.amount,
            taxable=line.taxable,
        )
        for line in lines
    )


def lines_summary(lines: Sequence[_Line]) -> str:
    """A compact audit form of a document's lines (the full lines live in the record)."""
    return "; ".join(f"{line.description[:30]} {line.quantity}×{line.rate}" for line in lines)[:2000]


def check_notes(value: object) -> str:
    return clean_text(value, "notes", max_length=MAX_NOTE)


def as_inputs(lines: Sequence[LineDetail]) -> tuple[LineInput, ...]:
    """A document's lines back as inputs (keeps ids), for editing and copying."""
    return tuple(
        LineInput(
            quantity=line.quantity,
            item_id=line.item_id,
            description=line.description,
            rate=line.rate,
            taxable=line.taxable,
            id=line.id,
        )
        for line in lines
    )
