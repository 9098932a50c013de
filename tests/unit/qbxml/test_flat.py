"""Requests written flat (issue 18's speed work) are the trees they stand for, byte for byte.

``Flat.text()`` must be what lxml writes for ``Flat.element()``; ``Flat.check()`` must give
``preflight.check``'s verdict on that tree, word for word (the frozen copy of the check
from before the speed work); the customer builders, which now write flat, must give the
frozen builders' bytes or errors. Hypothesis feeds hostile text and mutated shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from lxml import etree

from qbwc_server.qbxml import build as live_build
from qbwc_server.qbxml import build_txns
from qbwc_server.qbxml.flat import Flat
from qbwc_server.qbxml.records import CustomerFields, InvoiceFields
from tests.unit.qbxml.test_qbxml_speed_equivalence_build import customer_add, customer_mod
from tests.unit.qbxml.test_qbxml_speed_equivalence_fields import SAME, ids, inputs, outcome, request_ids
from tests.unit.qbxml.test_qbxml_speed_equivalence_preflight import check, labels, requests, verdict
from tests.unit.qbxml.test_qbxml_speed_equivalence_txns import invoice_add, invoice_mod, invoices


def flat_of(request: etree._Element) -> Flat | None:
    """The tree written flat, or None when it holds what a flat request cannot (a comment, a
    processing instruction, stray text, an attribute other than the requestID)."""
    if dict(request.attrib) != {"requestID": request.get("requestID")} or request.text:
        return None
    out = Flat(str(request.tag), str(request.get("requestID")))

    def write(node: etree._Element) -> bool:
        for child in node:
            if not isinstance(child.tag, str) or child.tail or child.attrib:
                return False
            if len(child):
                if child.text:
                    return False
                out.open(child.tag)
                if not write(child):
                    return False
                out.close()
            elif child.text is None:
                out.open(child.tag)  # <X/>: an empty aggregate
                out.close()
            else:
                out.leaf(child.tag, child.text)
        return True

    return out if write(request) else None


def _serialised(request: etree._Element) -> str:
    return etree.tostring(request, encoding="utf-8").decode("utf-8")


@settings(max_examples=400, deadline=None)
@given(requests(), labels)
def test_a_flat_request_is_its_tree_and_gets_the_trees_verdict(request: etree._Element, label: str) -> None:
    out = flat_of(request)
    if out is None:
        reject()
    assert out.text() == _serialised(request)
    assert _serialised(out.element()) == _serialised(request)
    assert verdict(lambda _request, label_: out.check(label_), request, label) == verdict(
        check, request, label
    )


_tags = st.sampled_from(["Name", "Memo", "Addr1", "FullName", "Desc"])
_texts = st.text(max_size=12) | st.sampled_from(["&", "<>", "a\rb", "\t\n", "]]>", '"', "é€𝄞", "\x85\u2028"])


@st.composite
def hostile(draw: st.DrawFn) -> Flat:
    request_id = draw(st.sampled_from(["1", "12-3", 'a"b', "a&b<c>", "t\tn\nr\r", "é"]))
    out = Flat("CustomerAddRq", request_id)
    out.open("CustomerAdd")
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            out.leaf(draw(_tags), draw(_texts))
        else:
            out.open("BillAddress")
            out.leaf(draw(_tags), draw(_texts))
            out.close()
    out.close()
    return out


#: Runs no builder writes: names lxml refuses or writes differently, leaves named like an
#: opening or a closing, closes too many, aggregates left open.
_odd_names = st.sampled_from(["Name", "BillAddress", "é", "1bad", "a:b", "+Name", "", "x y"])


@st.composite
def odd_runs(draw: st.DrawFn) -> Flat:
    out = Flat(draw(st.sampled_from(["CustomerAddRq", "InvoiceAddRq", "é"])), "1")
    for _ in range(draw(st.integers(0, 6))):
        step = draw(st.sampled_from(["leaf", "open", "close"]))
        if step == "leaf":
            out.leaf(draw(_odd_names), draw(_texts))
        elif step == "open":
            out.open(draw(_odd_names))
        else:
            out.close()
    return out


def _result(write: Callable[[], str]) -> tuple[Any, ...]:
    try:
        return ("written", write())
    except Exception as error:  # the same error, or the same text
        return ("raised", type(error))


@settings(max_examples=300, deadline=None)
@given(hostile())
def test_hostile_text_is_escaped_or_refused_as_lxml_does(out: Flat) -> None:
    assert _result(out.text) == _result(lambda: _serialised(out.element()))


@settings(max_examples=400, deadline=None)
@given(odd_runs())
def test_a_run_no_builder_writes_is_still_its_tree_or_refused(out: Flat) -> None:
    """Whatever was written, the text is the tree's (or both are refused), and the check is
    the tree check's; a leaf whose tag reads as an opening or a closing is refused, never
    written as something else."""
    assert _result(out.text) == _result(lambda: _serialised(out.element()))
    tree = _result(lambda: _serialised(out.element()))
    if tree[0] == "written":
        assert verdict(lambda _request, label: out.check(label), out.element(), "L") == verdict(
            check, out.element(), "L"
        )


def test_a_leaf_named_like_a_token_is_refused_and_an_open_aggregate_is_closed() -> None:
    for name in ("+Name", ""):
        out = Flat("CustomerAddRq", "1")
        out.open("CustomerAdd")
        out.leaf(name, "x")
        out.close()
        for call in (out.text, out.element, out.check):
            with pytest.raises(ValueError):
                call()
    out = Flat("CustomerAddRq", "1")
    out.open("CustomerAdd")
    out.leaf("Name", "A")
    expected = '<CustomerAddRq requestID="1"><CustomerAdd><Name>A</Name></CustomerAdd></CustomerAddRq>'
    assert out.text() == _serialised(out.element()) == expected


def test_a_request_id_lxml_refuses_is_refused_when_the_request_is_started() -> None:
    for request_id in ("a\x00", "\x1f", "\ud800"):
        assert _result(lambda request_id=request_id: Flat("CustomerAddRq", request_id).text()) == _result(
            lambda request_id=request_id: _serialised(etree.Element("CustomerAddRq", requestID=request_id))
        )


def _flat_outcome(build: Callable[..., Flat], *args: Any) -> tuple[Any, ...]:
    """``outcome`` of the flat request: its text as the tree's bytes, or the error."""
    try:
        text = build(*args).text()
    except Exception as error:  # every error must be the same as before
        return ("raised", type(error), error.args, vars(error))
    return ("built", text.encode("utf-8"))


@SAME
@given(request_ids, inputs(CustomerFields))
def test_customer_add_written_flat_is_unchanged(request_id: str, customer: CustomerFields) -> None:
    assert _flat_outcome(live_build.customer_add_flat, request_id, customer) == outcome(
        customer_add, request_id, customer
    )


@SAME
@given(request_ids, ids, ids, inputs(CustomerFields))
def test_customer_mod_written_flat_is_unchanged(
    request_id: str, list_id: str, edit: str, customer: CustomerFields
) -> None:
    assert _flat_outcome(live_build.customer_mod_flat, request_id, list_id, edit, customer) == outcome(
        customer_mod, request_id, list_id, edit, customer
    )


@SAME
@given(request_ids, invoices)
def test_invoice_add_written_flat_is_unchanged(request_id: str, invoice: InvoiceFields) -> None:
    assert _flat_outcome(build_txns.invoice_add_flat, request_id, invoice) == outcome(
        invoice_add, request_id, invoice
    )


@SAME
@given(request_ids, ids, ids, invoices)
def test_invoice_mod_written_flat_is_unchanged(
    request_id: str, txn_id: str, edit: str, invoice: InvoiceFields
) -> None:
    assert _flat_outcome(build_txns.invoice_mod_flat, request_id, txn_id, edit, invoice) == outcome(
        invoice_mod, request_id, txn_id, edit, invoice
    )


def test_the_comparison_sees_a_changed_byte() -> None:
    out = Flat("CustomerAddRq", "1")
    out.open("CustomerAdd")
    out.leaf("Name", "A&B")
    out.close()
    assert (
        out.text()
        == '<CustomerAddRq requestID="1"><CustomerAdd><Name>A&amp;B</Name></CustomerAdd></CustomerAddRq>'
    )
    assert _result(out.text) != _result(lambda: out.text().replace("&amp;", "&"))
