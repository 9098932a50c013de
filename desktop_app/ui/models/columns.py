"""Columns of a table: how to get a value from a row dataclass and how to show it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from desktop_app.domain.money import format_money
from desktop_app.domain.status import label

#: Raw value (for sorting and delegates), e.g. a status code.
RawRole = Qt.ItemDataRole.UserRole + 1
#: The column kind ("status", "money"...), for delegates.
KindRole = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    get: Callable[[Any], object] | None = None
    #: text, money, date, datetime, status, percent, number, bool
    kind: str = "text"
    #: The sort key passed to the query; "" means the column cannot be sorted.
    sort: str | None = None
    width: int = 120
    stretch: bool = False

    @property
    def sort_key(self) -> str:
        return self.key if self.sort is None else self.sort

    def value(self, row: Any) -> object:
        if self.get is not None:
            return self.get(row)
        if isinstance(row, dict):
            return row.get(self.key)
        return getattr(row, self.key, None)

    def display(self, row: Any) -> str:
        return format_value(self.value(row), self.kind)

    @property
    def alignment(self) -> Qt.AlignmentFlag:
        if self.kind in {"money", "percent", "number"}:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if self.kind in {"status", "bool"}:
            return Qt.AlignmentFlag.AlignCenter
        return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def format_value(value: object, kind: str = "text") -> str:
    if value is None or value == "":
        return ""
    if kind == "money" and isinstance(value, Decimal | int):
        return format_money(Decimal(value))
    if kind == "percent" and isinstance(value, Decimal | int):
        return f"{Decimal(value).normalize():f}%"
    if kind == "status":
        return label(str(value))
    if kind == "bool":
        return "Yes" if value else ""
    if isinstance(value, datetime):
        return (
            value.astimezone().strftime("%m/%d/%Y %I:%M %p") if value.tzinfo else f"{value:%m/%d/%Y %I:%M %p}"
        )
    if isinstance(value, date):
        return f"{value:%m/%d/%Y}"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)
