"""Near matches between JobDesk's names and QuickBooks' (domain.name_match)."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.domain.name_match import (
    MIN_LIMIT,
    NameDifference,
    accepted_name,
    describe,
    difference,
    match_key,
    quickbooks_key,
)

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
words = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8), max_size=6)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("O'Brien, Pavel", "OBrien, Pavel"),
        ("Kim, Hiro", "Hiro Kim"),
        ("1010 - Panel upgrade", "1010 Panel upgrade"),
        ("Smith,  Ann", "smith, ann"),
        ("José Núñez", "Jose Nunez"),
        ("D’Angelo Tile", "DAngelo Tile"),
    ],
)
def test_near_duplicates_seen_in_offices_share_one_key(ours: str, theirs: str) -> None:
    assert match_key(ours) == match_key(theirs)


def test_different_people_keep_different_keys() -> None:
    assert match_key("Kim, Hiro") != match_key("Kim, Hana")
    assert match_key("1010 Panel upgrade") != match_key("1011 Panel upgrade")
    assert match_key("O Brien, Pavel") != match_key("OBrien, Pavel")  # two words, not one


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ("Kim, Hiro", "Kim, Hiro", NameDifference.SAME),
        ("Kim, Hiro", "kim, hiro", NameDifference.CASE),
        ("Kim, Hiro", " Kim,  HIRO ", NameDifference.CASE),
        ("O'Brien, Pavel", "OBrien, Pavel", NameDifference.SPELLING),
        ("1010 - Panel upgrade", "1010 Panel upgrade", NameDifference.SPELLING),
        ("Kim, Hiro", "Hiro Kim", NameDifference.ORDER),
        ("Kim, Hiro", "Kim, Hana", NameDifference.DIFFERENT),
    ],
)
def test_the_difference_is_named(ours: str, theirs: str, expected: NameDifference) -> None:
    assert difference(ours, theirs) is expected
    assert ours in describe(ours, theirs) and theirs in describe(ours, theirs)


def test_descriptions_are_plain_words() -> None:
    assert "capital letters" in describe("Kim, Hiro", "kim, hiro")
    assert "apostrophes" in describe("O'Brien, Pavel", "OBrien, Pavel")
    assert "another order" in describe("Kim, Hiro", "Hiro Kim")


@given(names)
def test_the_key_is_idempotent(name: str) -> None:
    assert match_key(match_key(name)) == match_key(name)


@given(words, st.randoms(use_true_random=False), st.sampled_from([" ", ", ", " - ", "  "]))
def test_the_key_ignores_word_order_and_separators(parts: list[str], rnd: Random, sep: str) -> None:
    shuffled = list(parts)
    rnd.shuffle(shuffled)
    assert match_key(sep.join(shuffled).upper()) == match_key(" ".join(parts))


@given(names, names)
def test_difference_agrees_with_the_key(ours: str, theirs: str) -> None:
    same_key = match_key(ours) == match_key(theirs)
    assert (difference(ours, theirs) is not NameDifference.DIFFERENT) == (same_key or ours == theirs)


@given(names, st.lists(names, max_size=30), st.integers(min_value=MIN_LIMIT, max_value=60))
def test_the_accepted_name_is_free_and_fits(name: str, taken: list[str], limit: int) -> None:
    accepted = accepted_name(name, taken, limit)
    assert accepted
    assert len(accepted) <= limit
    assert quickbooks_key(accepted) not in {quickbooks_key(t) for t in taken}


TAKEN = ["Kim, Hiro", "kim, hiro (2)", "KIM, HIRO (3)", "Kim, Hiro (5)"]


@given(st.lists(st.sampled_from(TAKEN), max_size=4))
def test_the_first_free_number_is_taken(taken: list[str]) -> None:
    accepted = accepted_name("Kim, Hiro", taken, 41)
    keys = {quickbooks_key(t) for t in taken}
    candidates = ["Kim, Hiro"] + [f"Kim, Hiro ({n})" for n in range(2, 9)]
    assert accepted == next(c for c in candidates if quickbooks_key(c) not in keys)


def test_a_free_name_is_kept_and_a_taken_one_numbered_within_the_limit() -> None:
    assert accepted_name("O'Brien, Pavel", ["OBrien, Pavel"], 41) == "O'Brien, Pavel"
    assert accepted_name("Kim, Hiro", ["KIM, HIRO"], 41) == "Kim, Hiro (2)"
    long = "A" * 31
    assert accepted_name(long, [long.lower()], 31) == "A" * 27 + " (2)"
    with pytest.raises(ValueError):
        accepted_name("x", [], MIN_LIMIT - 1)
