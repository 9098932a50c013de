"""The near variants the office company plants, on the issue's own examples."""

from __future__ import annotations

import pytest

from qbwc_server.simulator import office_names as names


@pytest.mark.parametrize(
    ("vary", "ours", "theirs"),
    [
        (names.punctuation_variant, "O'Brien, Pavel", "OBrien, Pavel"),
        (names.punctuation_variant, "Smith & Sons", "Smith and Sons"),
        (names.punctuation_variant, "Kim, Hiro", "Kim Hiro"),
        (names.punctuation_variant, "Hiro", None),
        (names.spacing_variant, "Kim, Hiro", "Kim,Hiro"),
        (names.spacing_variant, "Patel Properties LLC", "Patel  Properties LLC"),
        (names.spacing_variant, "Hiro", None),
        (names.case_variant, "Kim, Hiro", "KIM, HIRO"),
        (names.case_variant, "ACME", None),
        (names.first_last_variant, "Kim, Hiro", "Hiro Kim"),
        (names.first_last_variant, "Patel Properties LLC", None),
        (names.job_number_variant, "1010 Panel upgrade", "1010 - Panel upgrade"),
        (names.job_number_variant, "Panel upgrade", None),
    ],
)
def test_variants(vary: object, ours: str, theirs: str | None) -> None:
    assert callable(vary)
    assert vary(ours) == theirs


def test_near_names_share_a_key_and_others_do_not() -> None:
    key = names.match_key
    assert key("O'Brien, Pavel") == key("OBrien, Pavel") == key("Pavel O'Brien") == key("obrien ,  PAVEL")
    assert key("1010 Panel upgrade") == key("1010 - Panel upgrade")
    assert key("Kim, Hiro") != key("Kim, Hana")


def test_person_of_reads_both_orders_and_refuses_a_firm() -> None:
    assert names.person_of("Kim, Hiro") == ("Hiro", "Kim")
    assert names.person_of("Hiro Kim") == ("Hiro", "Kim")
    assert names.person_of("Patel Properties LLC") is None


def test_people_never_repeat() -> None:
    pairs = [pair for pair, _ in zip(names.people(), range(30_000), strict=False)]
    assert len(set(pairs)) == len(pairs)
