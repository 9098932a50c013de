from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml.fields import format_amount, format_rate, parse_amount

AMOUNT = re.compile(r"[+\-]?[0-9]{1,13}(\.[0-9]{2})?")  # AMTTYPE in the 13.0 schema
PRICE = re.compile(r"[+\-]?[0-9]{1,10}(\.[0-9]{1,5})?")  # PRICETYPE / QUANTYPE


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.165", "0.17"),
        ("0.164", "0.16"),
        ("-0.165", "-0.17"),
        ("0", "0.00"),
        ("-0.001", "0.00"),
        ("12", "12.00"),
        ("9999999999999.99", "9999999999999.99"),
        ("1.005", "1.01"),
    ],
)
def test_amounts_round_half_up_to_exactly_two_decimals(value: str, text: str) -> None:
    assert format_amount("Invoice 1", "Amount", Decimal(value)) == text


@given(
    st.decimals(
        min_value=Decimal("-9999999999999.99"),
        max_value=Decimal("9999999999999.99"),
        allow_nan=False,
        allow_infinity=False,
        places=4,
    )
)
def test_every_amount_formats_to_amttype_and_back(value: Decimal) -> None:
    text = format_amount("R", "Amount", value)
    assert AMOUNT.fullmatch(text)
    assert parse_amount(text) == abs(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) * (
        1 if value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) >= 0 else -1
    )


@given(
    st.decimals(
        min_value=Decimal("-9999999999.99999"),
        max_value=Decimal("9999999999.99999"),
        allow_nan=False,
        allow_infinity=False,
        places=5,
    )
)
def test_every_rate_formats_to_pricetype_exactly(value: Decimal) -> None:
    text = format_rate("R", "Rate", value)
    assert PRICE.fullmatch(text)
    assert Decimal(text) == value


@pytest.mark.parametrize("value", [Decimal("1E+20"), Decimal("10000000000"), Decimal("0.123456")])
def test_rates_that_do_not_fit_are_refused(value: Decimal) -> None:
    with pytest.raises(QbxmlLimitError) as caught:
        format_rate("Invoice 1 line 2", "Rate", value)
    assert caught.value.field == "Rate"


def test_amounts_refuse_floats_and_bools() -> None:
    for bad in (0.1, True):
        with pytest.raises(QbxmlLimitError):
            format_amount("R", "Amount", bad)  # type: ignore[arg-type]
