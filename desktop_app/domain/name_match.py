"""How two names compare when JobDesk meets an office's QuickBooks company (pure).

QuickBooks refuses a second record of the same name (ignoring case) in one name list,
but happily keeps ``O'Brien, Pavel`` beside ``OBrien, Pavel`` or ``Hiro Kim`` beside
``Kim, Hiro``: near-duplicates that an office never meant to make. ``match_key`` reduces
a name to what a person reads in it (its words, whatever the case, spacing, punctuation,
apostrophes and order), so two names with one key are proposed to a person instead of
being linked or duplicated silently. ``accepted_name`` is the name QuickBooks will take
for ours when the name it has is already used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

#: Apostrophes join a word (O'Brien is one word, as OBrien is); every other mark separates.
_APOSTROPHES = re.compile(r"['’‘`´]")
_WORD = re.compile(r"[0-9a-z]+")
#: The shortest limit that still leaves room for a name and a " (N)" suffix.
MIN_LIMIT = 6


class NameDifference(StrEnum):
    SAME = "same"
    #: Only capital letters differ.
    CASE = "case"
    #: The same words in the same order; spacing, punctuation or apostrophes differ.
    SPELLING = "spelling"
    #: The same words in another order ("Last, First" and "First Last").
    ORDER = "name_order"
    #: Other words: not a near match.
    DIFFERENT = "different"


def _words(name: str) -> list[str]:
    # NFKD then dropping combining marks: "José" and "Jose" are one word.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(_APOSTROPHES.sub("", plain))


def match_key(name: str) -> str:
    """The words of ``name``, lower case, sorted, joined by one space."""
    return " ".join(sorted(_words(name)))


def quickbooks_key(name: str) -> str:
    """Names QuickBooks treats as one (it ignores case and surrounding spaces)."""
    return " ".join(name.split()).casefold()


def difference(ours: str, theirs: str) -> NameDifference:
    """How two names differ, in the terms a person would use."""
    if ours == theirs:
        return NameDifference.SAME
    if match_key(ours) != match_key(theirs):
        return NameDifference.DIFFERENT
    if quickbooks_key(ours) == quickbooks_key(theirs):
        return NameDifference.CASE
    if _words(ours) == _words(theirs):
        return NameDifference.SPELLING
    return NameDifference.ORDER


def describe(ours: str, theirs: str) -> str:
    """The difference in plain words, for a person deciding."""
    kind = difference(ours, theirs)
    return {
        NameDifference.SAME: f"“{ours}” and “{theirs}” are the same name.",
        NameDifference.CASE: f"“{ours}” and “{theirs}” differ only in capital letters.",
        NameDifference.SPELLING: (
            f"“{ours}” and “{theirs}” have the same words; only spacing, punctuation or apostrophes differ."
        ),
        NameDifference.ORDER: (
            f"“{ours}” and “{theirs}” have the same words in another order (“Last, First” and “First Last”)."
        ),
        NameDifference.DIFFERENT: f"“{ours}” and “{theirs}” are different names.",
    }[kind]


def accepted_name(name: str, taken_names: Iterable[str], limit: int) -> str:
    """The name QuickBooks will accept for ``name``: itself when free, else "name (2)", "(3)" …

    Never longer than ``limit`` (the name is shortened before the suffix, so the number
    always shows) and never equal, ignoring case, to one of ``taken_names``.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"a name limit of {limit} leaves no room for a number")
    taken = {quickbooks_key(other) for other in taken_names}
    base = " ".join(name.split())
    first = base[:limit].rstrip()
    if first and quickbooks_key(first) not in taken:
        return first
    # At most len(taken) + 1 candidates can be refused, so this ends.
    for number in range(2, len(taken) + 3):
        suffix = f" ({number})"
        if len(suffix) > limit:
            break
        candidate = (base[: limit - len(suffix)].rstrip() + suffix).strip()
        if quickbooks_key(candidate) not in taken:
            return candidate
    raise ValueError(f"no name within {limit} characters is free for {name!r}")
