"""Money parsing and rounding: exact decimals, half-up, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain.money import (
    QTY_PLACES,
    format_money,
    line_amount,
    parse_decimal,
    parse_money,
    percent_of,
    round_cents,
)
from desktop_app.domain.totals import compute_totals
from desktop_app.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("125.50", "125.50"), (" $1,234.5 ", "1234.50"), ("0", "0.00"), (Decimal("7"), "7.00"), (42, "42.00")],
)
def test_parse_money_accepts_exact_input(text: object, expected: str) -> None:
    assert parse_money(text, "amount") == Decimal(expected)


@pytest.mark.parametrize("bad", [0.1, 1.0, True, None, "", "abc", "1.2.3", "NaN", "Infinity", "1.005", [1]])
def test_parse_money_refuses(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(bad, "amount")
    assert info.value.field == "amount"


def test_float_message_says_why() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        parse_money(19.99, "unit_price")


def test_a_yes_or_no_is_not_taken_for_a_number() -> None:
    # (True is an int to Python, and no float: the message must not call it one.)
    with pytest.raises(ValidationError, match=r"^Amount must be a number, like 125\.50\.$"):
        parse_money(True, "amount")


def test_negative_needs_permission() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        parse_money("-5", "amount")
    assert parse_money("-5", "amount", allow_negative=True) == Decimal("-5.00")


def test_too_large_refused() -> None:
    with pytest.raises(ValidationError, match="too large"):
        parse_money("1000000000000", "amount")
    assert parse_money("999999999999.99", "amount") == Decimal("999999999999.99")


def test_quantities_take_five_places_and_no_more() -> None:
    assert parse_decimal("1.23456", "quantity", places=QTY_PLACES) == Decimal("1.23456")
    with pytest.raises(ValidationError, match="at most 5 decimal places"):
        parse_decimal("1.234567", "quantity", places=QTY_PLACES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.165", "0.17"), ("0.125", "0.13"), ("2.675", "2.68"), ("-0.165", "-0.17"), ("1.004", "1.00")],
)
def test_round_half_up(value: str, expected: str) -> None:
    assert round_cents(Decimal(value)) == Decimal(expected)


def test_line_amount_and_percent() -> None:
    assert line_amount(Decimal("3"), Decimal("33.33335")) == Decimal("100.00")
    assert line_amount(Decimal("0.5"), Decimal("0.01")) == Decimal("0.01")
    assert percent_of(Decimal("1000.00"), Decimal("33.3333")) == Decimal("333.33")


def test_totals_tax_once_on_taxable_subtotal() -> None:
    # Per-line rounding would give 3 × 0.08 = 0.24; document-level rounding gives 0.25.
    lines = [(Decimal("1.00"), True)] * 3
    totals = compute_totals(lines, Decimal("8.25"))
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("3.00"), Decimal("0.25"), Decimal("3.25"))
    exempt = compute_totals(lines, Decimal("8.25"), tax_exempt=True)
    assert exempt.tax == Decimal("0.00") and exempt.total == Decimal("3.00")


def test_sum_of_many_cents_is_exact() -> None:
    assert sum((Decimal("0.10") for _ in range(1000)), Decimal("0")) == Decimal("100.00")


def test_format_money() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("-5")) == "-$5.00"
