"""Phone numbers, e-mail addresses, states and ZIP codes: checked before they are saved.

What is typed in these fields is printed on invoices and sent to QuickBooks, so "call me
maybe", "maria@" or "9581A" are refused with a sentence that says what is expected.
Phone numbers are read by ``phonenumbers`` (Google's libphonenumber rules: lengths per
country, extensions, +country codes) and e-mail addresses by ``email-validator`` (the
RFC syntax, internationalised domains), both better kept than a regular expression.
A phone number only has to be *possible* (the right length for its country), not
assigned: offices keep 555 numbers for tests and new area codes appear.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from desktop_app.errors import ValidationError

#: Numbers typed without a +country code are read as North American.
DEFAULT_REGION = "US"

#: USPS codes of the states, DC and the territories, and Canada's provinces and territories
#: (QuickBooks Desktop is sold in both; its State field holds either).
STATE_CODES = frozenset(
    (
        *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA"),
        *("KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ"),
        *("NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT"),
        *("VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP", "UM", "AA", "AE", "AP"),
        *("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"),
    )
)
_STATE_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_CANADA_POSTAL = re.compile(r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$")


def check_phone(text: str, field: str, label: str) -> str:
    """The number as typed (trimmed), or a ``ValidationError`` saying what a number looks like."""
    if not text:
        return text
    hint = "Type it as (775) 555-0134, with +country code for a number abroad."
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(field, f"{label} “{text}” is not a phone number. {hint}") from None
    if not phonenumbers.is_possible_number(number):
        digits = len(str(number.national_number))
        raise ValidationError(
            field, f"{label} “{text}” has {digits} digits, which is not a whole phone number. {hint}"
        )
    return text


def check_email(text: str, field: str = "email", label: str = "Email") -> str:
    """The address as typed, or a ``ValidationError`` that says what is wrong with it."""
    if not text:
        return text
    try:
        # No DNS look-up: saving must not wait on the network, and an office may be offline.
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(field, f"{label} “{text}” is not an e-mail address: {exc}") from None
    return text


def check_state(text: str, field: str, label: str = "State") -> str:
    """A two-letter code (upper-cased) or a state or province written out."""
    if not text:
        return text
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        if code not in STATE_CODES:
            raise ValidationError(
                field, f"{label} “{text}” is not a US state or Canadian province code (such as NV or ON)."
            )
        return code
    if not _STATE_NAME.match(text):
        raise ValidationError(
            field, f"{label} “{text}” should be a two-letter code such as NV, or the name written out."
        )
    return text


def check_zip(text: str, field: str, label: str = "ZIP") -> str:
    """A US ZIP or ZIP+4, or a Canadian postal code (upper-cased)."""
    if not text:
        return text
    if _US_ZIP.match(text):
        return text
    if _CANADA_POSTAL.match(text):
        return text.upper()
    raise ValidationError(
        field,
        f"{label} “{text}” is not a ZIP code: type 5 digits (95814) or ZIP+4 (95814-1234), "
        f"or a Canadian postal code (K1A 0B1).",
    )
