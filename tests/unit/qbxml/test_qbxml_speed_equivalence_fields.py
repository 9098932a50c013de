"""Speed work on the qbXML builders must not change a byte (issue 18): the field checks,
and the inputs every ``test_qbxml_speed_equivalence_*`` file draws from.

Below is a frozen copy of ``qbwc_server/qbxml/fields.py``'s checks and formats as they were
before the speed work (commit ec85f36, verbatim), gathered as ``f`` for the frozen builders
of the other files. Inputs come in three kinds: valid, valid but for one field, anything at
all; comparisons are of the bytes built or of the error raised (type, message, attributes).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from lxml import etree

from desktop_app.domain.money import round_cents
from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import fields as live_fields
from qbwc_server.qbxml import records as records_module
from qbwc_server.qbxml.fields import (
    AMOUNT_INT_DIGITS,
    FREE_TEXT_MAX,
    FULL_NAME_MAX,
    RATE_DECIMALS,
    RATE_INT_DIGITS,
)
from qbwc_server.qbxml.records import (
    Address,
    ItemKind,
    JobStatus,
    Ref,
)

Request = etree._Element

# ===== frozen copy of fields.py (functions and the control-character pattern) =====

# One deliberate change since: a lone surrogate is refused here as a control character is
# (lxml refused it with a UnicodeEncodeError when the tree was written; customers' and
# invoices' requests are now written as text, which must not wait for lxml to see it).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(record: str, field: str, value: str, max_len: int) -> str:
    """A string that fits ``max_len`` and can be carried by XML, else ``QbxmlLimitError``."""
    if _XML_INVALID.search(value):
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
    if not value or any(not part.strip() for part in value.split(":")):
        raise QbxmlLimitError(record, field, f"{field} '{value}' is not a valid QuickBooks full name.")
    return text(record, field, value, FULL_NAME_MAX)


def _decimal(record: str, field: str, value: Decimal) -> Decimal:
    # bool is an int; float would carry binary rounding into money.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise QbxmlLimitError(record, field, f"{field} must be a Decimal, not {type(value).__name__}.")
    number = Decimal(value)
    if not number.is_finite():
        raise QbxmlLimitError(record, field, f"{field} must be a finite number.")
    return number


def format_amount(record: str, field: str, value: Decimal) -> str:
    """AMTTYPE: always two decimals, rounded half-up; at most 13 integer digits."""
    number = round_cents(_decimal(record, field, value))
    if abs(number) >= Decimal(10) ** AMOUNT_INT_DIGITS:
        raise QbxmlLimitError(record, field, f"{field} {number} is larger than QuickBooks can store.")
    if number == 0:
        number = abs(number)  # "-0.00" is valid XML but confuses comparisons on the way back
    return f"{number:.2f}"


def format_rate(record: str, field: str, value: Decimal) -> str:
    """PRICETYPE/QUANTYPE/PERCENTTYPE: up to five decimals, never rounded (it would change totals)."""
    number = _decimal(record, field, value)
    try:
        exact = number.quantize(Decimal(1).scaleb(-RATE_DECIMALS))
    except InvalidOperation:
        raise QbxmlLimitError(
            record, field, f"{field} {number} is larger than QuickBooks can store."
        ) from None
    if exact != number:
        raise QbxmlLimitError(
            record, field, f"{field} {number} has more than {RATE_DECIMALS} decimal places."
        )
    if abs(number) >= Decimal(10) ** RATE_INT_DIGITS:
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


#: The live module's constants with the frozen functions above: what the frozen builders call ``f``.
f = SimpleNamespace(
    **{name: value for name, value in vars(live_fields).items() if name.isupper()},
    text=text,
    free_text=free_text,
    list_name=list_name,
    full_name=full_name,
    format_amount=format_amount,
    format_rate=format_rate,
    format_int=format_int,
    format_date=format_date,
    format_datetime=format_datetime,
    format_bool=format_bool,
)


# ===== inputs: valid ones, ones with one field wrong, and anything at all =====

_CHARS = list("aZ09 :&<>\"'-,.#/;\t\n\r\x00\x0b\x1f\x7f\x85\xa0\ufffe\uffff\ud800é—☺𝄞")
_GOOD_CHARS = "abcXYZ0189 &<>\"'-,.#/;\t\n\r\x7f\x85\xa0é—☺𝄞"
#: Lengths on both sides of every QuickBooks limit the builders check.
_LIMITS = (5, 11, 13, 15, 16, 20, 21, 25, 31, 36, 40, 41, 50, 99, 209, 255, 1023, 4095)
_LENGTHS = sorted({n + d for n in _LIMITS for d in (-1, 0, 1)})

#: Fit every limit the builders check (the shortest is a RefNumber's 11).
good_texts = st.text(st.sampled_from(_GOOD_CHARS), min_size=1, max_size=10).filter(lambda s: bool(s.strip()))
any_texts: st.SearchStrategy[str] = st.one_of(
    st.text(st.sampled_from(_CHARS), max_size=24),
    st.text(max_size=24),
    st.sampled_from(["", " ", ":", "a:b", "a::b", " :b", "a: ", "Net 30", "Smith & Sons:Kitchen", "Zoë"]),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "é", " ", ":", "<"]), st.sampled_from(_LENGTHS)),
)
#: Texts on both sides of each limit: where a changed limit or message would show.
boundary_texts = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["a", "é", " ", ":", "<"]), st.sampled_from(_LENGTHS)
)
good_decimals = st.one_of(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
    st.decimals(min_value=-1000, max_value=1000, places=5),
    st.integers(-(10**6), 10**6).map(Decimal),
)
any_decimals: st.SearchStrategy[Any] = st.one_of(
    good_decimals,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-(10**6), max_value=10**6, places=6),
    st.integers(-(10**14), 10**14),
    st.sampled_from(
        [
            Decimal("-0"),
            Decimal("-0.00"),
            Decimal("0.005"),
            Decimal("-0.005"),
            Decimal("12.345"),
            Decimal("1E+10"),
            Decimal("1E+13"),
            Decimal("9999999999.99999"),
            Decimal("9999999999999.995"),
            Decimal("0.000001"),
            Decimal("5E-5"),
            True,
            1.5,
            "3",
        ]
    ),
)


def _refs(names: st.SearchStrategy[str]) -> st.SearchStrategy[Ref]:
    pairs = st.tuples(st.none() | names, st.none() | names).filter(lambda p: bool(p[0] or p[1]))
    return pairs.map(lambda p: Ref(*p))


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "str": good_texts,
    "Decimal": good_decimals,
    "date": st.dates(),
    "bool": st.booleans(),
    "int": st.integers(0, 999),
    "JobStatus": st.sampled_from(JobStatus),
    "ItemKind": st.sampled_from(ItemKind),
    "Ref": _refs(st.lists(good_texts, min_size=1, max_size=3).map(":".join)),
}
GOOD["Address"] = st.builds(Address, *[st.none() | good_texts] * 10)
ANY: dict[str, st.SearchStrategy[Any]] = {
    "str": any_texts | boundary_texts,
    "Decimal": any_decimals,
    "date": st.dates() | st.datetimes(),
    "bool": st.booleans(),
    "int": st.integers(-5, 10**6) | st.sampled_from([True, 1.0]),
    "JobStatus": st.sampled_from(JobStatus),
    "ItemKind": st.sampled_from(ItemKind),
    "Ref": _refs(any_texts),
}
ANY["Address"] = st.builds(Address, *[st.none() | any_texts] * 10)


def _kind(annotation: Any) -> tuple[str, bool]:
    """The input kind of a field (``"Ref"`` for ``Ref | None``) and whether it may be None."""
    text_ = str(annotation)
    return text_.removesuffix(" | None"), text_.endswith(" | None")


def records(
    cls: type, table: dict[str, st.SearchStrategy[Any]], **given_: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Instances of a ``…Fields`` class, each field drawn from ``table`` (or ``given_``)."""
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for field_ in dataclasses.fields(cls):
        if field_.name in given_:
            drawn[field_.name] = given_[field_.name]
            continue
        kind, optional = _kind(field_.type)
        drawn[field_.name] = (st.none() | table[kind]) if optional else table[kind]
    return st.builds(cls, **drawn)


@st.composite
def one_field_off(draw: st.DrawFn, cls: type, **given_: st.SearchStrategy[Any]) -> Any:
    """A valid instance with one field (not one of ``given_``) set to anything at all."""
    record = draw(records(cls, GOOD, **given_))
    choices = [f_ for f_ in dataclasses.fields(cls) if f_.name not in given_]
    field_ = draw(st.sampled_from(choices))
    kind, optional = _kind(field_.type)
    wrong = one_field_off(Address) if kind == "Address" else ANY[kind]  # one line of it wrong
    value = draw((st.none() | wrong) if optional else wrong)
    return dataclasses.replace(record, **{field_.name: value})


def inputs(cls: type, **given_: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid instances, some with one field wrong, some with anything anywhere."""
    return st.one_of(records(cls, GOOD, **given_), one_field_off(cls, **given_), records(cls, ANY, **given_))


# ===== a deterministic sweep: every field of a full record, changed one at a time =====

_SPECIAL_TEXTS = (
    "",
    " ",
    ":",
    "a:b",
    "a::b",
    " :b",
    "\x00",
    "a\x0bb",
    "\ufffe",
    "\ud800",
    "a\r\nb",
    "<&>\"'",
    "Zoë ☺ 𝄞",
)
SWEEP: dict[str, tuple[Any, ...]] = {
    "str": _SPECIAL_TEXTS + tuple(ch * n for n in _LENGTHS for ch in ("a", "é")),
    "Decimal": (
        *(
            Decimal(text_)
            for text_ in ("0", "-0", "0.005", "-0.005", "12.345", "1.123456", "0.00001", "-7.5")
        ),
        *(Decimal(text_) for text_ in ("9999999999.99999", "1E+10", "9999999999999.99", "9999999999999.995")),
        *(Decimal(text_) for text_ in ("NaN", "Infinity", "-Infinity", "1E+100000")),
        5,
        True,
        1.5,
    ),
    "date": (date(2024, 2, 29), datetime(2024, 5, 1, 13, 45, 7, 123)),
    "bool": (True, False),
    "int": (0, 1, -1, True, 1.0, 10**6),
    "JobStatus": tuple(JobStatus),
    "ItemKind": tuple(ItemKind),
}


def full(cls: type, **given_: Any) -> Any:
    """An instance of a ``…Fields`` class with every field set to a valid value."""
    good: dict[str, Any] = {
        "str": "Ab 1",
        "Decimal": Decimal("12.5"),
        "date": date(2024, 5, 1),
        "bool": True,
        "int": 3,
        "JobStatus": JobStatus.IN_PROGRESS,
        "ItemKind": ItemKind.NON_INVENTORY,
        "Ref": Ref(full_name="Smith & Sons:Kitchen"),
        "Address": Address(*[f"line {n}" for n in range(10)]),
    }
    values = dict(given_)
    for field_ in dataclasses.fields(cls):
        kind, _ = _kind(field_.type)
        if field_.name not in values:
            element = _element_class(kind)
            values[field_.name] = (full(element), full(element)) if element else good[kind]
    return cls(**values)


def _element_class(kind: str) -> type | None:
    """``InvoiceLineFields`` for ``tuple[InvoiceLineFields, ...]``; None for other kinds."""
    if not kind.startswith("tuple["):
        return None
    found: type = getattr(records_module, kind.removeprefix("tuple[").split(",")[0])
    return found


def variants(base: Any) -> Iterator[Any]:
    """``base`` with one field changed at a time (into each listed value, and None where
    allowed); a nested Ref, Address or first line changed the same way."""
    for field_ in dataclasses.fields(base):
        kind, optional = _kind(field_.type)
        current = getattr(base, field_.name)
        if optional:
            yield dataclasses.replace(base, **{field_.name: None})
        if kind in SWEEP:
            choices: Iterator[Any] = iter(SWEEP[kind])
        elif kind == "Ref":
            choices = (
                Ref(**{side: text_}) for text_ in SWEEP["str"] if text_ for side in ("list_id", "full_name")
            )
        elif kind == "Address":
            choices = variants(current)
        else:
            choices = ((line, *current[1:]) for line in (variants(current[0]) if current else ()))
            yield dataclasses.replace(base, **{field_.name: ()})
        for value in choices:
            yield dataclasses.replace(base, **{field_.name: value})


request_ids = st.one_of(st.sampled_from(["1", "c1", "x" * 50]), st.text(max_size=52))
ids = st.one_of(good_texts, any_texts)
SAME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reaches(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> None:
    """The inputs reach a case: ``strategy`` produces one for which ``condition`` holds.

    Searched for, not counted: a count over a derandomised sample changes with the modules
    loaded (Hypothesis also draws constants it finds in them), so a threshold on it fails or
    passes by the order tests run in."""
    find(
        strategy,
        condition,
        settings=settings(
            max_examples=5000,
            database=None,
            deadline=None,
            phases=(Phase.generate,),  # the first one found will do: no shrinking
            suppress_health_check=list(HealthCheck),
        ),
    )


def outcome(build: Callable[..., Request], *args: Any) -> tuple[Any, ...]:
    """The serialised request, or the error's type, arguments and attributes."""
    try:
        request = build(*args)
    except Exception as error:  # every error must be the same as before
        return ("raised", type(error), error.args, vars(error))
    return ("built", etree.tostring(request, encoding="utf-8"))


def assert_same(old: Callable[..., Request], new: Callable[..., Request], *args: Any) -> None:
    assert outcome(new, *args) == outcome(old, *args)


@SAME
@given(ANY["str"], st.sampled_from(_LIMITS), ANY["Decimal"], ANY["int"], ANY["date"])
def test_the_field_checks_are_unchanged(value: str, limit: int, number: Any, count: Any, day: date) -> None:
    def same(old: Callable[..., Any], new: Callable[..., Any], *args: Any) -> None:
        assert outcome(lambda: _as_leaf(new(*args))) == outcome(lambda: _as_leaf(old(*args)))

    same(text, live_fields.text, "R", "Field", value, limit)
    same(free_text, live_fields.free_text, "R", "Memo", value)
    same(list_name, live_fields.list_name, "R", "Name", value, limit)
    same(full_name, live_fields.full_name, "R", "Ref.FullName", value)
    same(format_amount, live_fields.format_amount, "R", "Amount", number)
    same(format_rate, live_fields.format_rate, "R", "Rate", number)
    same(format_int, live_fields.format_int, "R", "Days", count)
    same(format_date, live_fields.format_date, day)
    same(format_bool, live_fields.format_bool, bool(count))


def _as_leaf(value: str) -> Request:
    node = etree.Element("Value")
    node.set("type", type(value).__name__)
    node.text = value
    return node
