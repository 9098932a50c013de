"""QuickBooks' field limits and value formatting, checked before anything is sent.

A value that does not fit raises ``QbxmlLimitError`` naming the record and the field.
Nothing is cut, not even free text: ``Memo`` and ``Notes`` over QuickBooks' 4,095
characters are refused like any other field (entry stops there, and a record that is
longer anyway gets a pre-flight alert naming the field). The one documented exception:
amounts are rounded half-up to cents (``format_amount``), the one rounding rule of the
app (``desktop_app.domain.money.round_cents``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from desktop_app.domain.money import round_cents
from desktop_app.errors import QbxmlLimitError

# Maximum lengths from the qbXML 13.0 schema (the SDK's "max length" facets).
NAME_MAX = 41
ITEM_NAME_MAX = 31
TERMS_NAME_MAX = 31
FULL_NAME_MAX = 209
INVOICE_REF_MAX = 11
PAYMENT_REF_MAX = 20
ADDR_LINE_MAX = 41
CITY_MAX = 31
STATE_MAX = 21
POSTAL_CODE_MAX = 13
COUNTRY_MAX = 31
ADDR_NOTE_MAX = 41
PHONE_MAX = 21
COMPANY_NAME_MAX = 41
PERSON_NAME_MAX = 25
SALUTATION_MAX = 15
EMAIL_MAX = 1023
CONTACT_MAX = 41
JOB_DESC_MAX = 99
PO_NUMBER_MAX = 25
FREE_TEXT_MAX = 4095
ID_MAX = 36
EDIT_SEQUENCE_MAX = 16

#: AMTTYPE allows 13 integer digits; PRICETYPE/QUANTYPE 10 digits and 5 decimals.
AMOUNT_INT_DIGITS = 13
RATE_INT_DIGITS = 10
RATE_DECIMALS = 5

# Characters XML 1.0 cannot carry at all (lxml would raise a bare ValueError), and a lone
# surrogate, which UTF-8 cannot carry (lxml: UnicodeEncodeError). Refused here, in words,
# before anything is written: customers' and invoices' requests are text, not lxml trees.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(record: str, field: str, value: str, max_len: int) -> str:
    """A string that fits ``max_len`` and can be carried by XML, else ``QbxmlLimitError``."""
    # Printable ASCII (most text) has none of _XML_INVALID's characters: skip the search.
    if not (type(value) is str and value.isascii() and value.isprintable()) and _XML_INVALID.search(value):
        raise QbxmlLimitError(record, field, f"{field} contains a control character QuickBooks cannot store.")
    if len(value) > max_len:
        raise QbxmlLimitError(
            record, field, f"{field} is {len(value)} characters; QuickBooks allows at most {max_len}."
        )
    return value


def free_text(record: str, field: str, value: str) -> str:
    """Memo/Notes: at most 4,095 characters, else ``QbxmlLimitError`` (never cut: a reader
    of QuickBooks' copy would not know what JobDesk's record says past the cut)."""
    return text(record, field, value, FREE_TEXT_MAX)


def list_name(record: str, field: str, value: str, max_len: int) -> str:
    """A list element's own name: non-blank, no ':' (it separates parent and job in FullName)."""
    if not value.strip():
        raise QbxmlLimitError(record, field, f"{field} cannot be blank.")
    if ":" in value:
        raise QbxmlLimitError(
            record,
            field,
            f"{field} cannot contain ':' because QuickBooks uses it to separate parent and job.",
        )
    return text(record, field, value, max_len)


def full_name(record: str, field: str, value: str) -> str:
    """A FullName reference (``Parent:Job``): each segment is a valid name."""
    if type(value) is str and ":" not in value:  # one segment (most names): no split needed
        blank = not value.strip()
    else:
        blank = not value or any(not part.strip() for part in value.split(":"))
    if blank:
        raise QbxmlLimitError(record, field, f"{field} '{value}' is not a valid QuickBooks full name.")
    return text(record, field, value, FULL_NAME_MAX)


#: The limits, made once (each is exact: a power of ten, and one step of five decimals).
_AMOUNT_LIMIT = Decimal(10) ** AMOUNT_INT_DIGITS
_RATE_LIMIT = Decimal(10) ** RATE_INT_DIGITS
_RATE_STEP = Decimal(1).scaleb(-RATE_DECIMALS)


def _decimal(record: str, field: str, value: Decimal) -> Decimal:
    # bool is an int; float would carry binary rounding into money.
    if type(value) is Decimal:
        number = value  # Decimal(value) of a Decimal is an exact copy: the same number
    elif isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise QbxmlLimitError(record, field, f"{field} must be a Decimal, not {type(value).__name__}.")
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise QbxmlLimitError(record, field, f"{field} must be a finite number.")
    return number


def format_amount(record: str, field: str, value: Decimal) -> str:
    """AMTTYPE: always two decimals, rounded half-up; at most 13 integer digits."""
    number = round_cents(_decimal(record, field, value))
    if abs(number) >= _AMOUNT_LIMIT:
        raise QbxmlLimitError(record, field, f"{field} {number} is larger than QuickBooks can store.")
    if number == 0:
        number = abs(number)  # "-0.00" is valid XML but confuses comparisons on the way back
    return f"{number:.2f}"


def format_rate(record: str, field: str, value: Decimal) -> str:
    """PRICETYPE/QUANTYPE/PERCENTTYPE: up to five decimals, never rounded (it would change totals)."""
    number = _decimal(record, field, value)
    try:
        exact = number.quantize(_RATE_STEP)
    except InvalidOperation:
        raise QbxmlLimitError(
            record, field, f"{field} {number} is larger than QuickBooks can store."
        ) from None
    if exact != number:
        raise QbxmlLimitError(
            record, field, f"{field} {number} has more than {RATE_DECIMALS} decimal places."
        )
    if abs(number) >= _RATE_LIMIT:
        raise QbxmlLimitError(record, field, f"{field} {number} is larger than QuickBooks can store.")
    rendered = format(exact.normalize(), "f")
    return "0" if rendered in ("-0", "0") else rendered


def format_int(record: str, field: str, value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QbxmlLimitError(record, field, f"{field} must be a whole number of zero or more.")
    return str(value)


def format_date(value: date) -> str:
    return value.isoformat() if not isinstance(value, datetime) else value.date().isoformat()


def format_datetime(value: datetime) -> str:
    """DATETIMETYPE: ``2024-05-01T13:45:00`` or with ``-07:00``; QuickBooks has no fractions."""
    return value.replace(microsecond=0).isoformat()


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_amount(value: str | None) -> Decimal | None:
    """Response text → Decimal (None when absent or empty)."""
    if value is None or value.strip() == "":
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        from desktop_app.errors import QbxmlError

        raise QbxmlError(f"QuickBooks sent '{value}' where a number was expected.") from None
