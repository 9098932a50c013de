"""Speed work on reading QuickBooks' answers must not change a result (issue 18).

A frozen copy of ``qbwc_server/qbxml/parse.py``'s reading functions as they were before the
speed work (commit ec85f36, verbatim). Hypothesis makes varied answers (errors, warnings,
missing and repeated fields, nested lines, Unicode, entities and character references,
CDATA, comments, broken and hostile messages, handed over as text, bytes, a stream or a
file): the live code must give the same Results, Statuses and Records, field for field and
in the same order, or the same error with the same message.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml import parse as live_parse
from qbwc_server.qbxml.parse import Record, Result, Status
from qbwc_server.qbxml.safe import MAX_MESSAGE_BYTES, WHOLE_MESSAGE_BYTES, Source, iter_events, parse_tree
from tests.unit.qbxml.test_qbxml_speed_equivalence_fields import reaches

# ===== frozen copy of parse.py (reading) =====

CHILD_RECORD_TAGS = frozenset(
    {
        "InvoiceLineRet",
        "InvoiceLineGroupRet",
        "CreditMemoLineRet",
        "CreditMemoLineGroupRet",
        "AppliedToTxnRet",
        "LinkedTxn",
        "TxnLineDetail",
        "ShipToAddress",
        "ContactsRet",
        "AdditionalNotesRet",
        "DataExtRet",
    }
)


def _int_attr(element: etree._Element, name: str) -> int | None:
    value = element.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise QbxmlError(f"{element.tag} has a non-numeric {name} '{value}'.") from None


def _status(element: etree._Element) -> Status:
    code = _int_attr(element, "statusCode")
    severity = element.get("statusSeverity")
    if code is None or severity is None:
        raise QbxmlError(f"{element.tag} has no statusCode/statusSeverity.")
    return Status(
        request_id=element.get("requestID") or "",
        rs_type=str(element.tag),
        status_code=code,
        status_severity=severity,
        status_message=element.get("statusMessage") or "",
        ret_count=_int_attr(element, "retCount"),
        iterator_id=element.get("iteratorID"),
        iterator_remaining_count=_int_attr(element, "iteratorRemainingCount"),
    )


def _flatten(
    element: etree._Element, prefix: str, values: dict[str, tuple[str, ...]], children: list[Record], rid: str
) -> None:
    for child in element:
        tag = str(child.tag)
        if tag in CHILD_RECORD_TAGS:
            children.append(to_record(child, rid))
        elif len(child):
            _flatten(child, f"{prefix}{tag}/", values, children, rid)
        else:
            path = prefix + tag
            values[path] = (*values.get(path, ()), child.text or "")


def to_record(element: etree._Element, request_id: str = "") -> Record:
    values: dict[str, tuple[str, ...]] = {}
    children: list[Record] = []
    _flatten(element, "", values, children, request_id)
    return Record(kind=str(element.tag), request_id=request_id, values=values, children=tuple(children))


def iter_response(source: Source, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[Status | Record]:
    """Statuses and records in document order, in bounded memory."""
    depth = 0
    current: Status | None = None
    loose: dict[str, tuple[str, ...]] = {}
    for event, element in iter_events(source, root="QBXML", max_bytes=max_bytes):
        if event == "start":
            depth += 1
            if depth == 2 and element.tag != "QBXMLMsgsRs":
                current = None
            parent = element.getparent()
            if depth == 3 and parent is not None and parent.tag == "QBXMLMsgsRs":
                current = _status(element)
                loose = {}
                yield current
            continue
        depth -= 1
        if depth == 3 and current is not None:
            # A child of an Rs: a record, or a loose field of TxnVoidRs/TxnDelRs.
            if len(element):
                yield to_record(element, current.request_id)
            elif element.tag != "ErrorRecovery":
                loose[str(element.tag)] = (element.text or "",)
            _release(element)
        elif depth == 2 and current is not None:
            if loose:
                yield Record(
                    kind=current.rs_type.removesuffix("Rs") + "Ret",
                    request_id=current.request_id,
                    values=loose,
                )
            current, loose = None, {}
            _release(element)


def _iter_tree(top: etree._Element) -> Iterator[Status | Record]:
    """What ``iter_response`` yields, from a message already parsed whole."""
    for messages in top:
        if messages.tag != "QBXMLMsgsRs":
            continue
        for answer in messages:
            status = _status(answer)
            yield status
            loose: dict[str, tuple[str, ...]] = {}
            for element in answer:
                if len(element):
                    yield to_record(element, status.request_id)
                elif element.tag != "ErrorRecovery":
                    loose[str(element.tag)] = (element.text or "",)
            if loose:
                yield Record(
                    kind=status.rs_type.removesuffix("Rs") + "Ret",
                    request_id=status.request_id,
                    values=loose,
                )


def _release(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def parse_response(source: Source, *, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Result]:
    """The whole response: requestID → Result, in message order."""
    statuses: list[Status] = []
    records: dict[int, list[Record]] = {}
    whole = isinstance(source, str | bytes) and len(source) <= min(max_bytes, WHOLE_MESSAGE_BYTES)
    items = (
        _iter_tree(parse_tree(source, max_bytes=max_bytes))
        if whole
        else iter_response(source, max_bytes=max_bytes)
    )
    for item in items:
        if isinstance(item, Status):
            statuses.append(item)
            records[len(statuses) - 1] = []
        else:
            records[len(statuses) - 1].append(item)
    results: dict[str, Result] = {}
    for index, status in enumerate(statuses):
        if status.request_id in results:
            raise QbxmlError(f"QuickBooks answered requestID {status.request_id!r} twice.")
        results[status.request_id] = Result(status=status, records=tuple(records[index]))
    return results


# ===== answers =====

RS_TAGS = (
    "CustomerAddRs",
    "CustomerModRs",
    "InvoiceAddRs",
    "InvoiceQueryRs",
    "TxnVoidRs",
    "TxnDelRs",
    "HostQueryRs",
)
RET_TAGS = ("CustomerRet", "InvoiceRet", "CreditMemoRet", "ItemServiceRet", "ReceivePaymentRet", "HostRet")
LEAF_TAGS = ("ListID", "TxnID", "EditSequence", "Name", "FullName", "Desc", "Amount", "TxnLineID", "Memo")
AGG_TAGS = ("CustomerRef", "ItemRef", "BillAddress", "AdditionalContactRef", "ErrorRecovery", "ParentRef")
CHILD_TAGS = tuple(sorted(CHILD_RECORD_TAGS))
ANY_TAGS = LEAF_TAGS + AGG_TAGS + CHILD_TAGS

_SAFE = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
) | st.sampled_from(list("\t\n\r &<>\"']]>"))
values = st.one_of(
    st.none(),
    st.text(_SAFE, max_size=12),
    st.sampled_from(["", " ", "  padded  ", "a & b", "<x/>", "]]>", "Zoë ☺ 𝄞", "1,234.50", "TRUE ", "\r\n"]),
)
#: (tag, text, as CDATA, children) or ("#comment", text) or ("#pi", text)
Spec = tuple[Any, ...]
_specials = st.tuples(st.sampled_from(["#comment", "#pi"]), st.text(st.sampled_from("ab "), max_size=4))
_leaves = st.tuples(st.sampled_from(ANY_TAGS), values, st.booleans(), st.just(()))
content = st.recursive(
    _leaves | _specials,
    lambda inner: st.tuples(
        st.sampled_from(ANY_TAGS),
        st.sampled_from([None, "\n  ", "x"]),
        st.just(False),
        st.lists(inner, max_size=5),
    ),
    max_leaves=30,
)
rets = st.tuples(
    st.sampled_from(RET_TAGS), st.none(), st.just(False), st.lists(content, min_size=1, max_size=8)
)
attr_text = st.text(st.sampled_from('ab1 &<"é'), max_size=6)
numbers = st.sampled_from(["0", "1", "500", "3100", "3210", "1000", "999", "-1", "x", "", " 7", "1e3"])
_status_attrs = {
    "requestID": st.sampled_from(["1", "2", "3", ""]) | attr_text,
    "statusCode": numbers,
    "statusSeverity": st.sampled_from(["Info", "Warn", "Error", "", "error"]),
}
_more_attrs = {"statusMessage": attr_text, "retCount": numbers, "iteratorID": attr_text}
_more_attrs["iteratorRemainingCount"] = numbers
_good_attrs = st.fixed_dictionaries(
    {
        "requestID": st.integers(0, 10**9).map(str),
        "statusCode": st.sampled_from(["0", "1", "500", "3100", "3210"]),
        "statusSeverity": st.sampled_from(["Info", "Warn", "Error"]),
    },
    optional={**_more_attrs, "retCount": st.integers(0, 9).map(str)},
)
#: Mostly what QuickBooks sends; sometimes attributes missing, repeated or not numbers.
attrs = st.one_of(
    _good_attrs,
    _good_attrs,
    st.fixed_dictionaries(_status_attrs, optional=_more_attrs),
    st.fixed_dictionaries({}, optional={**_status_attrs, **_more_attrs}),
)
answers = st.tuples(
    st.sampled_from(RS_TAGS), attrs, st.lists(rets | _leaves | _specials | content, max_size=4)
)
_good_answers = st.tuples(st.sampled_from(RS_TAGS), _good_attrs, st.lists(rets, min_size=1, max_size=3))
#: Half like QuickBooks' (distinct requestIDs, records in each answer), half anything.
messages = st.one_of(
    st.tuples(
        st.just("QBXML"),
        st.tuples(
            st.just("QBXMLMsgsRs"),
            st.lists(_good_answers, min_size=1, max_size=4, unique_by=lambda a: a[1]["requestID"]),
        ).map(lambda group: [group]),
    ),
    st.tuples(
        st.sampled_from(["QBXML"] * 8 + ["QBXMLMsgsRs", "qbxml"]),
        st.lists(
            st.tuples(st.sampled_from(["QBXMLMsgsRs"] * 4 + ["SignonMsgsRs"]), st.lists(answers, max_size=5)),
            min_size=1,
            max_size=2,
        ),
    ),
)


def element(spec: Spec) -> Any:
    """An lxml node from a spec."""
    if spec[0] == "#comment":
        return etree.Comment(spec[1])
    if spec[0] == "#pi":
        return etree.ProcessingInstruction("qb", spec[1])
    tag, text, cdata, children = spec
    node = etree.Element(tag)
    if text is not None:
        node.text = etree.CDATA(text) if cdata and "]]>" not in text and "\r" not in text else text
    for child in children:
        node.append(element(child))
    return node


def message(spec: Spec) -> etree._Element:
    root_tag, groups = spec
    root = etree.Element(root_tag)
    for group_tag, rs_specs in groups:
        group = etree.SubElement(root, group_tag)
        for rs_tag, rs_attrs, children in rs_specs:
            rs = etree.SubElement(group, rs_tag, rs_attrs)
            for child in children:
                rs.append(element(child))
    return root


#: How a message is handed over, and what may be wrong with its bytes.
FORMS = (
    "str",
    "bytes",
    "ascii",
    "pretty",
    "stream",
    "path",
    "doctype",
    "cut",
    "latin1",
    "bom",
    "small",
    "empty",
)


def source(root: etree._Element, form: str, cut: int, tmp: Path) -> tuple[Callable[[], Source], int]:
    """A fresh source of the message each call (streams are read once) and the max_bytes to use."""
    body = etree.tostring(root, encoding="unicode")
    data = b'<?xml version="1.0" ?>\n' + body.encode()
    sources: dict[str, Callable[[], Source]] = {
        "str": lambda: '<?xml version="1.0" ?>\n' + body,
        "bytes": lambda: data,
        "ascii": lambda: etree.tostring(root, encoding="ascii", xml_declaration=False),
        "pretty": lambda: etree.tostring(root, encoding="utf-8", pretty_print=True),
        "stream": lambda: io.BytesIO(data),
        "path": lambda: path,
        "doctype": lambda: b"<!DOCTYPE QBXML>" + data,
        "cut": lambda: data[: cut % max(len(data), 1)],
        "latin1": lambda: data.replace(b"QBXML", "QBXMLé".encode("latin-1"), 1),
        "bom": lambda: b"\xef\xbb\xbf" + data,
        "small": lambda: data,
        "empty": lambda: b"  \n",
    }
    path = tmp / "answer.xml"
    path.write_bytes(data)
    return sources[form], (len(data) - 1 if form == "small" else MAX_MESSAGE_BYTES)


def snap(item: Any) -> Any:
    """Everything about a result, with types and the order of every mapping."""
    if isinstance(item, Record):
        values = [(key, type(found), found) for key, found in item.values.items()]
        children = [snap(child) for child in item.children]
        return (
            # A record read lazily (``parse._ReadRecord``) is a Record like any other.
            Record,
            item.kind,
            item.request_id,
            type(item.values),
            values,
            type(item.children),
            children,
        )
    if isinstance(item, Status):
        return (type(item), dataclasses.astuple(item))
    if isinstance(item, Result):
        return (type(item), snap(item.status), type(item.records), [snap(r) for r in item.records])
    if isinstance(item, dict):
        return [(key, snap(found)) for key, found in item.items()]
    return [snap(entry) for entry in item]


def read(fn: Callable[..., Any], make: Callable[[], Source], max_bytes: int) -> tuple[Any, ...]:
    try:
        result = fn(make(), max_bytes=max_bytes)
        if isinstance(result, Iterator):
            result = list(result)
    except Exception as error:  # every error must be the same as before
        return ("raised", type(error), error.args, vars(error))
    return ("read", snap(result))


SAME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("answers")


@SAME
@given(messages, st.sampled_from(FORMS), st.integers(0, 10**6))
def test_parse_response_is_unchanged(tmp: Path, spec: Spec, form: str, cut: int) -> None:
    make, max_bytes = source(message(spec), form, cut, tmp)
    assert read(live_parse.parse_response, make, max_bytes) == read(parse_response, make, max_bytes)


@SAME
@given(messages, st.sampled_from(FORMS), st.integers(0, 10**6))
def test_iter_response_is_unchanged(tmp: Path, spec: Spec, form: str, cut: int) -> None:
    make, max_bytes = source(message(spec), form, cut, tmp)
    assert read(live_parse.iter_response, make, max_bytes) == read(iter_response, make, max_bytes)


@SAME
@given(
    st.tuples(st.sampled_from(RET_TAGS), st.none(), st.just(False), st.lists(content, max_size=8)), attr_text
)
def test_to_record_is_unchanged_on_any_element(spec: Spec, request_id: str) -> None:
    """Including elements no parser made: comments and processing instructions among the fields."""
    node = element(spec)
    assert snap(live_parse.to_record(node, request_id)) == snap(to_record(node, request_id))
    assert snap(live_parse.to_record(node)) == snap(to_record(node))


def test_the_answers_reach_records_lines_and_errors(tmp: Path) -> None:
    """The generated answers are read into records with nested lines, and also fail."""

    def read_as(case: tuple[Spec, str]) -> str:
        make, max_bytes = source(message(case[0]), case[1], 0, tmp)
        try:
            results = parse_response(make(), max_bytes=max_bytes)
        except QbxmlError:
            return "raised"
        found = [r for result in results.values() for r in result.records]
        return "nested" if any(r.children for r in found) else "record" if found else "none"

    cases = st.tuples(messages, st.sampled_from(FORMS[:6]))
    for seen in ("record", "nested", "raised"):
        reaches(cases, lambda case, seen=seen: read_as(case) == seen)


def test_a_changed_record_is_seen() -> None:
    """The comparison is not blind: an answer with one field fewer reads differently."""
    answer = b'<QBXML><QBXMLMsgsRs><CustomerAddRs requestID="1" statusCode="0" statusSeverity="Info">'
    answer += (
        b"<CustomerRet><ListID>1</ListID><Name>A</Name></CustomerRet></CustomerAddRs></QBXMLMsgsRs></QBXML>"
    )
    whole = read(parse_response, lambda: answer, MAX_MESSAGE_BYTES)
    shorter = read(parse_response, lambda: answer.replace(b"<Name>A</Name>", b""), MAX_MESSAGE_BYTES)
    assert whole[0] == "read"
    assert whole != shorter
