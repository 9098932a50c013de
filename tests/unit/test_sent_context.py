"""What an item carries while it is out: written as ``json.dumps`` writes it, its values read
back as the very text the link keeps (``in_flight.sent_context`` / ``read_sent``)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.services.queue_states import Phase
from qbwc_server.sync.in_flight import read_sent, sent_context

_text = st.text(max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


#: The phases items really go with (encoded once, ``in_flight._PHASES``), and any other text.
_phase = st.sampled_from(list(Phase)) | st.sampled_from([str(phase) for phase in Phase]) | _text


@given(st.dictionaries(_text, _text, max_size=8), st.dictionaries(_text, _json, max_size=4), _phase)
def test_written_as_json_dumps_and_read_back_whole(
    values: dict[str, str], extra: dict[str, Any], phase: str
) -> None:
    written = sent_context(values, extra, phase)
    assert written == json.dumps({"values": values, "extra": extra, "phase": phase})
    read, values_json = read_sent(written)
    assert read == {"values": values, "extra": extra, "phase": phase}
    assert values_json == json.dumps(values)


def test_a_value_that_looks_like_the_next_key_does_not_cut_the_values_short() -> None:
    values = {"Name": 'A, "extra": {}, "phase": "x"}', "extra": "own key"}
    read, values_json = read_sent(sent_context(values, {"extra": 1}, "add"))
    assert read["values"] == values and read["extra"] == {"extra": 1}
    assert values_json == json.dumps(values)


def test_a_context_written_otherwise_is_read_whole_without_the_values_text() -> None:
    # An older JobDesk, or any other writer: read as JSON, the values encoded again when needed.
    for written in (
        "",
        '{"phase": "add", "values": {"a": "b"}}',
        '{"values": {"a": "b"}}',
        '{"values": 5}',
        '{"values": {"a": "b"}, "extra": {}, "values": {"a": "c"}}',  # the last one counts
    ):
        read, values_json = read_sent(written or None)
        assert read == json.loads(written or "{}")
        assert values_json is None
