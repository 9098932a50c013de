"""A record read from a message parsed whole answers each field from its element until its
fields are wanted together; either way it says what the flattened record says."""

from __future__ import annotations

import copy
import dataclasses
import io
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from qbwc_server import qbxml as q
from qbwc_server.qbxml.parse import Record, to_record

_TRICKY = """<InvoiceRet>
  <TxnID>T-1</TxnID><EditSequence>9</EditSequence><RefNumber/>
  <CustomerRef><ListID>C-1</ListID><FullName>Ann</FullName></CustomerRef>
  <!-- a comment is not a field -->
  <Memo><Part>nested first</Part></Memo><Memo>leaf second</Memo>
  <Other>one</Other><Other>two</Other>
  <ItemRef><FullName>not a line</FullName></ItemRef>
  <InvoiceLineRet><TxnLineID>L-1</TxnLineID><ItemRef><FullName>Labor</FullName></ItemRef></InvoiceLineRet>
  <InvoiceLineRet><TxnLineID>L-2</TxnLineID><ItemRef><FullName>Parts</FullName></ItemRef></InvoiceLineRet>
  <DataExtRet><DataExtName>x</DataExtName></DataExtRet>
</InvoiceRet>"""

_PATHS = (
    "TxnID",
    "EditSequence",
    "RefNumber",
    "CustomerRef/ListID",
    "CustomerRef/FullName",
    "Memo",
    "Memo/Part",
    "Other",
    "ItemRef/FullName",
    "InvoiceLineRet/TxnLineID",
    "InvoiceLineRet",
    "DataExtRet/DataExtName",
    "Missing",
    "CustomerRef",
    "CustomerRef/Nope",
    "Customer Ref",
    "*",
    "CustomerRef//FullName",
    ".",
    "",
)


@pytest.mark.parametrize("path", _PATHS)
def test_one_field_read_from_the_element_is_what_the_flattened_record_says(path: str) -> None:
    element = etree.fromstring(_TRICKY)
    lazy, flat = Record.read_from(element, "r-1"), to_record(element, "r-1")
    assert lazy.get(path) == flat.get(path)
    assert lazy == flat  # (flattened now) values and lines alike
    assert lazy.get(path) == flat.get(path)


def test_the_fields_are_flattened_once_and_the_element_let_go() -> None:
    lazy = Record.read_from(etree.fromstring(_TRICKY), "r-1")
    assert lazy.txn_id == "T-1" and lazy.values["Other"] == ("one", "two")
    assert [line.get("TxnLineID") for line in lazy.lines("InvoiceLineRet")] == ["L-1", "L-2"]
    assert lazy._element is None  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):  # (dataclasses.FrozenInstanceError)
        lazy.kind = "CustomerRet"  # type: ignore[misc]
    # As any record: replaced field by field (tests do), equal to the same record read eagerly.
    stale = dataclasses.replace(lazy, values={**lazy.values, "EditSequence": ("1",)})
    assert stale.edit_sequence == "1" and stale.txn_id == "T-1" and stale.children == lazy.children
    assert stale != lazy and lazy == to_record(etree.fromstring(_TRICKY), "r-1")
    with pytest.raises(TypeError):
        hash(lazy)
    assert "TxnID" in repr(lazy)


def test_answers_read_from_a_whole_message_are_the_same_records() -> None:
    message = (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs>'
        '<InvoiceAddRs requestID="1-1" statusCode="0" statusSeverity="Info">' + _TRICKY + "</InvoiceAddRs>"
        '<CustomerAddRs requestID="2-1" statusCode="0" statusSeverity="Info"><CustomerRet>'
        "<ListID>80-1</ListID><Name>Ann</Name><FullName>Ann</FullName></CustomerRet></CustomerAddRs>"
        "</QBXMLMsgsRs></QBXML>"
    )
    read = q.Answers(message)
    customer = read["2-1"].record
    assert customer is not None and customer.list_id == "80-1" and customer.full_name == "Ann"
    # Streamed (read event by event, each record flattened at once): the same records.
    streamed = q.parse_response(io.BytesIO(message.encode()))
    assert streamed == dict(read)


_tag = st.sampled_from(["A", "B", "C", "InvoiceLineRet"])


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        tag = draw(_tag)
        if depth < 3 and draw(st.booleans()):
            parts.append(f"<{tag}>{draw(_trees(depth + 1))}</{tag}>")
        else:
            parts.append(f"<{tag}>{draw(st.sampled_from(['', 'x', 'y']))}</{tag}>")
    return "".join(parts)


@given(_trees(), st.sampled_from(["A", "B", "A/B", "B/A", "A/A/B", "C", "A/C", "InvoiceLineRet/A"]))
def test_any_shape_reads_the_same_both_ways(body: str, path: str) -> None:
    element = etree.fromstring(f"<XRet>{body}</XRet>")
    assert Record.read_from(element).get(path) == to_record(element).get(path)


def test_copied_and_pickled_as_the_plain_record_it_is() -> None:
    element = etree.fromstring(_TRICKY)
    flat = to_record(element, "r-1")
    for made in (
        copy.copy(Record.read_from(element, "r-1")),
        copy.deepcopy(Record.read_from(element, "r-1")),
        pickle.loads(pickle.dumps(Record.read_from(element, "r-1"))),
    ):
        assert made == flat and made.lines("InvoiceLineRet") == flat.lines("InvoiceLineRet")


def test_a_second_flattening_after_the_first_keeps_the_fields() -> None:
    # Two threads reading one record: the one that comes second finds it flattened already
    # (its element let go) and must not store empty fields over the first one's.
    lazy, flat = (
        Record.read_from(etree.fromstring(_TRICKY), "r-1"),
        to_record(etree.fromstring(_TRICKY), "r-1"),
    )
    assert lazy.values == flat.values
    lazy._flatten()  # type: ignore[attr-defined]  # what the slower thread does next
    assert lazy.values == flat.values and lazy.children == flat.children
