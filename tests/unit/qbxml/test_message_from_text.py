"""``build_message_from_text`` (the sync's message, from the requests' kept text) is
``build_message``'s message, character for character, and refuses what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from desktop_app.errors import QbxmlLimitError
from qbwc_server.qbxml import (
    Address,
    CustomerFields,
    build_message,
    build_message_from_text,
    company_query,
    customer_add,
    host_query,
)
from qbwc_server.sync.built import to_xml
from tests.unit.qbxml.test_build import ALL_REQUESTS

#: Text as a person types it into a name or an address: markup characters, quotes,
#: accents, symbols outside the Basic Multilingual Plane (no control characters, which
#: the fields refuse before any XML is made).
_TYPED = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip())


def _both(make: list, on_error: str = "continueOnError", version: str = "13.0") -> tuple[str, str]:
    # Serialised first: ``build_message`` moves the elements into its own tree.
    texts = [(request.get("requestID"), to_xml(request)) for request in make]
    from_text = build_message_from_text(texts, on_error=on_error, version=version)  # type: ignore[arg-type]
    return build_message(make, on_error=on_error, version=version), from_text  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["13.0", "16.0"])
@pytest.mark.parametrize("on_error", ["stopOnError", "continueOnError"])
def test_every_kind_of_request_makes_the_same_message(on_error: str, version: str) -> None:
    requests = []
    for number, name in enumerate(sorted(ALL_REQUESTS)):
        request = ALL_REQUESTS[name]()
        request.set("requestID", f"{number}-{name}")
        requests.append(request)
    built, from_text = _both(requests, on_error, version)
    assert from_text == built


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(name=_TYPED, street=_TYPED, first=_TYPED, many=st.integers(1, 4))
def test_any_text_a_person_types_makes_the_same_message(
    name: str, street: str, first: str, many: int
) -> None:
    fields = CustomerFields(name=name, first_name=first, bill_address=Address(addr1=street))
    try:
        requests = [customer_add(f"{k}-1", fields) for k in range(many)]
    except QbxmlLimitError:
        assume(False)  # (a name QuickBooks would refuse is refused before any XML is made)
    built, from_text = _both([*requests, host_query("h")])
    assert from_text == built


def test_a_request_id_lxml_escapes_is_recognised() -> None:
    request = host_query('a&b"<c>\t1')
    built, from_text = _both([request, company_query("2")])
    assert from_text == built


def test_no_request_is_the_empty_message_as_before() -> None:
    assert build_message_from_text([]) == build_message([])


def test_it_refuses_what_build_message_refuses() -> None:
    one = to_xml(host_query("1"))
    with pytest.raises(ValueError, match="used twice"):
        build_message_from_text([("1", one), ("1", to_xml(company_query("1")))])
    with pytest.raises(ValueError, match="no requestID"):
        build_message_from_text([("", one)])
    with pytest.raises(ValueError, match="does not carry"):
        build_message_from_text([("2", one)])  # (the text is request "1")
    with pytest.raises(ValueError, match="onError"):
        build_message_from_text([("1", one)], on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="qbXML version"):
        build_message_from_text([("1", one)], version="13")
