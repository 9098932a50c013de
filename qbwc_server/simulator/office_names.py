"""Names for an office's QuickBooks company: its own, and near variants of JobDesk's.

The office's own names come from pools that share no word with JobDesk's demo company,
so the only resemblances between the two are the ones ``office`` plants and lists. Each
variant function returns None when a name has nothing to vary (the planter then tries
another name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count

FIRST = (
    "Aaron",
    "Bianca",
    "Cyrus",
    "Delia",
    "Emmett",
    "Fiona",
    "Gideon",
    "Harriet",
    "Ivan",
    "Juno",
    "Kellan",
    "Lorna",
    "Marcus",
    "Nadia",
    "Otto",
    "Petra",
    "Reid",
    "Selma",
    "Theo",
    "Ursula",
    "Victor",
    "Wren",
    "Xavier",
    "Yusuf",
    "Zelda",
)
LAST = (
    "Abernathy",
    "Bellamy",
    "Castillo",
    "Donnelly",
    "Eriksen",
    "Fairbanks",
    "Gallagher",
    "Hargrove",
    "Ingram",
    "Jablonski",
    "Kavanagh",
    "Lindqvist",
    "Mancini",
    "Novak",
    "Okafor",
    "Pemberton",
    "Quintero",
    "Ramsey",
    "Sorensen",
    "Thibodeaux",
    "Underwood",
    "Vasquez",
    "Whitfield",
    "Yamamoto",
    "Zielinski",
)
COMPANY_WORDS = ("Holdings", "Builders Inc", "Realty Group", "Property Mgmt", "Dental Office", "Cafe")
JOB_WORDS = (
    "Service agreement",
    "Warranty work",
    "Phase 1",
    "Phase 2",
    "Punch list",
    "Storm damage",
    "Tenant improvement",
    "Annual maintenance",
    "Crawlspace",
    "Attic",
)
SERVICES = (
    "Trenching",
    "Excavation",
    "Concrete Pour",
    "Masonry",
    "Roofing Labor",
    "Gutter Install",
    "Insulation Labor",
    "Siding Install",
    "Inspection",
    "Travel Time",
    "Overtime Labor",
    "Apprentice Labor",
    "Foreman Hours",
    "Crane Time",
    "Cleanup Crew",
)
MATERIALS = (
    "PVC Elbow",
    "Rebar",
    "Gravel Ton",
    "Flashing Roll",
    "Shingle Bundle",
    "Anchor Bolt",
    "Vapor Barrier",
    "Caulk Tube",
    "Junction Box",
    "Conduit",
)
CHARGES = ("Permit Fee", "Disposal Fee", "Fuel Surcharge", "Equipment Rental", "Rush Fee")
STOCK = ("Breaker 20A", "Smoke Detector", "Thermostat", "Door Hinge", "Sump Pump")
VENDOR_WORDS = ("Lumber Co", "Electric Supply", "Plumbing Wholesale", "Rentals", "Hardware", "Concrete")
STREETS = ("Birch St", "Willow Way", "Aspen Ct", "Juniper Rd", "Sycamore Ave", "Poplar Pl")
CITIES = (("Roseville", "CA", "956"), ("Davis", "CA", "956"), ("Carson City", "NV", "897"))


def match_key(name: str) -> str:
    """A name with case, punctuation, spacing and word order taken out: two names with the
    same key are near matches (``O'Brien, Pavel`` ~ ``OBrien, Pavel`` ~ ``Pavel O'Brien``)."""
    words = re.sub(r"[^\w\s]", "", name.casefold().replace(",", " ").replace("-", " ")).split()
    return " ".join(sorted(words))


def numbered(words: tuple[str, ...]) -> Iterator[str]:
    """``words`` once each, then again with 2, 3 … after them: as many names as asked for."""
    for round_number in count(1):
        for word in words:
            yield word if round_number == 1 else f"{word} {round_number}"


def people(first: tuple[str, ...] = FIRST, last: tuple[str, ...] = LAST) -> Iterator[tuple[str, str]]:
    """(first, last) pairs without repeats: every pair, then with a middle initial, then numbered."""
    pairs = [(f, surname) for surname in last for f in first]
    for round_number in count(0):
        for given, surname in pairs:
            if round_number == 0:
                yield given, surname
            elif round_number <= 26:
                yield f"{given} {chr(64 + round_number)}.", surname
            else:
                yield f"{given} {round_number}", surname


# -- variants of JobDesk's names ----------------------------------------------------------------

_LAST_FIRST = re.compile(r"^([^,]+),\s*(.+)$")


def punctuation_variant(name: str) -> str | None:
    """``O'Brien, Pavel`` → ``OBrien, Pavel``; ``Smith & Sons`` → ``Smith and Sons``; a name
    with only a comma loses it (``Kim, Hiro`` → ``Kim Hiro``)."""
    for old, new in (("'", ""), ("’", ""), ("&", "and"), (".", ""), (",", "")):
        if old in name:
            return name.replace(old, new)
    return None


def spacing_variant(name: str) -> str | None:
    """``Kim, Hiro`` → ``Kim,Hiro``; otherwise a double space at the first space."""
    if ", " in name:
        return name.replace(", ", ",", 1)
    if " " in name:
        return name.replace(" ", "  ", 1)
    return None


def case_variant(name: str) -> str | None:
    varied = name.upper()
    return varied if varied != name else None


def first_last_variant(name: str) -> str | None:
    """``Kim, Hiro`` → ``Hiro Kim`` (QuickBooks offices type people both ways)."""
    match = _LAST_FIRST.match(name)
    return None if match is None else f"{match.group(2)} {match.group(1)}"


def person_of(name: str) -> tuple[str, str] | None:
    """(first, last) of ``Last, First`` or ``First Last``; None for a company-like name."""
    match = _LAST_FIRST.match(name)
    if match is not None:
        return match.group(2), match.group(1)
    words = name.split()
    if len(words) == 2 and all(w[:1].isupper() and w.isalpha() for w in words):
        return words[0], words[1]
    return None


_JOB_NUMBER = re.compile(r"^(\d+)\s+(.+)$")


def job_number_variant(job_name: str) -> str | None:
    """``1010 Panel upgrade`` → ``1010 - Panel upgrade`` (the number set off as many offices do)."""
    match = _JOB_NUMBER.match(job_name)
    return None if match is None else f"{match.group(1)} - {match.group(2)}"
