"""Money: ``Decimal`` end to end, rounded half-up to cents in exactly one place.

Floats are refused outright: a float that reaches a money path is a bug, and
silently converting it would hide binary rounding (0.1 + 0.2).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
#: Numeric(14, 2): the largest amount a column holds.
MAX_AMOUNT = Decimal("999999999999.99")
#: Quantities and rates carry up to five decimals, as QuickBooks allows.
QTY_PLACES = Decimal("0.00001")


def round_cents(value: Decimal) -> Decimal:
    """The one place money is rounded: half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(value: object, field: str, *, places: Decimal = CENT) -> Decimal:
    """Turn user input (str, int, Decimal) into a Decimal, or raise ``ValidationError``.

    ``places`` says how many decimals are allowed; more is an error rather than a
    silent rounding, because the user typed something we would otherwise change.
    """
    from desktop_app.errors import ValidationError

    if isinstance(value, bool):  # (an int to Python: True would be 1)
        raise ValidationError(field, f"{_label(field)} must be a number, like 125.50.")
    if isinstance(value, float):
        raise ValidationError(field, f"{_label(field)} must be given as an exact number, not a float.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "")
        if not text:
            raise ValidationError(field, f"{_label(field)} is required.")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(field, f"{_label(field)} must be a number, like 125.50.") from None
    else:
        raise ValidationError(field, f"{_label(field)} must be a number, like 125.50.")
    if not number.is_finite():
        raise ValidationError(field, f"{_label(field)} must be a number, like 125.50.")
    if abs(number) > MAX_AMOUNT:
        raise ValidationError(field, f"{_label(field)} is too large.")
    if number != number.quantize(places, rounding=ROUND_HALF_UP):
        decimals = -places.as_tuple().exponent  # type: ignore[operator]
        raise ValidationError(field, f"{_label(field)} can have at most {decimals} decimal places.")
    return number.quantize(places)


def parse_money(value: object, field: str, *, allow_negative: bool = False) -> Decimal:
    """User input → a whole-cent amount; negative refused unless allowed."""
    from desktop_app.errors import ValidationError

    amount = parse_decimal(value, field, places=CENT)
    if amount < 0 and not allow_negative:
        raise ValidationError(field, f"{_label(field)} cannot be negative.")
    return amount


def line_amount(quantity: Decimal, rate: Decimal) -> Decimal:
    """Amount of a line: quantity × rate, rounded to cents."""
    return round_cents(quantity * rate)


def percent_of(total: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``total``, rounded to cents."""
    return round_cents(total * percent / HUNDRED)


def format_money(amount: Decimal) -> str:
    """``1234.5`` → ``$1,234.50`` for display (negative as ``-$5.00``)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(round_cents(amount)):,.2f}"


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()
