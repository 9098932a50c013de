"""Response messages → one ``Result`` per requestID.

``iter_response`` streams: it yields each response's ``Status`` as soon as its start
tag is read, then its records one by one, clearing the XML behind it, so a 50 MB
CustomerQueryRs is read in bounded memory. ``parse_response`` collects everything and
suits ordinary batches: a message of a few megabytes it parses whole, which is several
times faster than event by event and gives the same results.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml.fields import parse_amount
from qbwc_server.qbxml.safe import MAX_MESSAGE_BYTES, WHOLE_MESSAGE_BYTES, Source, iter_events, parse_tree

#: Repeated structures kept as nested records instead of being flattened into paths.
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


#: A path lxml's ``find`` reads as the flattening does: tag names only, none of a nested record.
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:/[A-Za-z][A-Za-z0-9_]*)*")


@functools.cache
def _plain_path(path: str) -> bool:
    return _PATH.fullmatch(path) is not None and CHILD_RECORD_TAGS.isdisjoint(path.split("/"))


#: Status codes below this are success, "nothing found" (1) or warnings (500…).
ERROR_CODES_FROM = 1000


@dataclass(frozen=True, slots=True)
class Status:
    """The attributes of one ``…Rs`` element."""

    request_id: str
    rs_type: str
    status_code: int
    status_severity: str
    status_message: str
    ret_count: int | None = None
    iterator_id: str | None = None
    iterator_remaining_count: int | None = None

    @property
    def ok(self) -> bool:
        """Not an error: success, "no match" (1, Info) or a partial answer (500, Warn)."""
        return not self.is_error

    @property
    def is_error(self) -> bool:
        """QuickBooks' error codes are 1000 and up (3100, 3210 …) whatever severity came with
        them: an answer seen in the wild carries 3210 with "Info" and no record."""
        return self.status_severity == "Error" or self.status_code >= ERROR_CODES_FROM

    @property
    def no_match(self) -> bool:
        return self.status_code == 1


@dataclass(frozen=True, slots=True, eq=False)
class Record:
    """One ``…Ret`` element: leaf values by path (``CustomerRef/FullName``) plus nested lines."""

    kind: str
    request_id: str
    values: Mapping[str, tuple[str, ...]]
    children: tuple[Record, ...] = ()

    # Equal to any record of the same content (one read lazily, ``_ReadRecord``, included).
    __hash__ = None  # type: ignore[assignment]  # (its values are a dict, as they always were)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.kind, self.request_id, self.values, self.children) == (
            other.kind,
            other.request_id,
            other.values,
            other.children,
        )

    @staticmethod
    def read_from(element: etree._Element, request_id: str = "") -> Record:
        """The record of ``element``, its fields read when first asked for (``_ReadRecord``)."""
        return _ReadRecord(str(element.tag), request_id, element=element)

    def get(self, path: str) -> str | None:
        found = self.values.get(path)
        return found[0] if found else None

    def get_all(self, path: str) -> tuple[str, ...]:
        return self.values.get(path, ())

    def decimal(self, path: str) -> Decimal | None:
        return parse_amount(self.get(path))

    def date(self, path: str) -> date | None:
        value = self.get(path)
        return None if not value else date.fromisoformat(value[:10])

    def flag(self, path: str) -> bool | None:
        value = self.get(path)
        return None if value is None else value.strip().lower() == "true"

    def additional_contact(self, name: str) -> str | None:
        """An ``AdditionalContactRef`` value by its ContactName (QuickBooks keeps "Mobile" there)."""
        names = self.get_all("AdditionalContactRef/ContactName")
        values = self.get_all("AdditionalContactRef/ContactValue")
        for contact, value in zip(names, values, strict=False):
            if contact.casefold() == name.casefold():
                return value
        return None

    def lines(self, kind: str) -> tuple[Record, ...]:
        return tuple(child for child in self.children if child.kind == kind)

    @property
    def list_id(self) -> str | None:
        return self.get("ListID")

    @property
    def txn_id(self) -> str | None:
        return self.get("TxnID")

    @property
    def edit_sequence(self) -> str | None:
        return self.get("EditSequence")

    @property
    def name(self) -> str | None:
        return self.get("Name")

    @property
    def full_name(self) -> str | None:
        return self.get("FullName") or self.get("Name")

    @property
    def ref_number(self) -> str | None:
        return self.get("RefNumber")

    @property
    def is_active(self) -> bool | None:
        return self.flag("IsActive")

    @property
    def balance_remaining(self) -> Decimal | None:
        return self.decimal("BalanceRemaining")

    @property
    def total_amount(self) -> Decimal | None:
        return self.decimal("TotalAmount")

    @property
    def subtotal(self) -> Decimal | None:
        return self.decimal("Subtotal")


class _ReadRecord(Record):
    """A record of a message parsed whole, its fields flattened into paths when they are
    first wanted together (``values``, ``children``); a single field asked for before that
    is read from the element itself (applying a saved record reads three or four of its
    twenty-odd fields, for each record of every message). The same record in every way."""

    __slots__ = ("_element", "_read_children", "_read_values")

    _element: etree._Element | None
    _read_values: Mapping[str, tuple[str, ...]] | None
    _read_children: tuple[Record, ...]

    def __init__(
        self,
        kind: str,
        request_id: str,
        values: Mapping[str, tuple[str, ...]] | None = None,
        children: tuple[Record, ...] = (),
        *,
        element: etree._Element | None = None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "kind", kind)
        _set(self, "request_id", request_id)
        _set(self, "_element", element)
        _set(self, "_read_values", values if element is None else None)
        _set(self, "_read_children", children)

    @property
    def values(self) -> Mapping[str, tuple[str, ...]]:
        values = self._read_values
        return values if values is not None else self._flatten()

    @property
    def children(self) -> tuple[Record, ...]:
        if self._read_values is None:
            self._flatten()
        return self._read_children

    def _flatten(self) -> Mapping[str, tuple[str, ...]]:
        element = self._element  # (read once: another thread may be flattening it too)
        if element is None:
            # Flattened meanwhile: its values were stored before the element was let go.
            return self._read_values or {}
        values: dict[str, tuple[str, ...]] = {}
        children: list[Record] = []
        _flatten(element, "", values, children, self.request_id)
        _set = object.__setattr__
        _set(self, "_read_children", tuple(children))
        _set(self, "_read_values", values)
        _set(self, "_element", None)  # (the message's tree is kept only while it is needed)
        return values

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        """Copied or pickled as the plain record it is (its element is not copied)."""
        return Record, (self.kind, self.request_id, dict(self.values), self.children)

    def get(self, path: str) -> str | None:
        element = self._element
        if element is not None and _plain_path(path):
            # What the flattened values would say: the first element at the path (lxml finds
            # in document order), when it is a leaf.
            # One tag (most fields asked for): its first child of that tag, as ``find`` gives
            # it, without parsing a path (half the time).
            found = element.find(path) if "/" in path else next(element.iterchildren(path), None)
            if found is None:
                return None
            if not len(found):
                return found.text or ""
        return super().get(path)


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    records: tuple[Record, ...] = field(default=())

    @property
    def request_id(self) -> str:
        return self.status.request_id

    @property
    def record(self) -> Record | None:
        """The single record of an Add/Mod response (None on error)."""
        return self.records[0] if self.records else None


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
    # The hottest loop of reading an answer (one pass per element): each tag read once, and a
    # path's first value stored without building the empty tuple it would be added to.
    for child in element:
        tag = child.tag
        if type(tag) is not str:
            tag = str(tag)  # a comment or processing instruction: only in trees built by hand
        if tag in CHILD_RECORD_TAGS:
            children.append(to_record(child, rid))
        elif len(child):
            _flatten(child, prefix + tag + "/", values, children, rid)
        else:
            path = prefix + tag
            text = child.text or ""
            found = values.get(path)
            values[path] = (text,) if found is None else (*found, text)


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
    for answer, status in _answers_of(top):
        yield status
        yield from _records_of(answer, status)


def _answers_of(top: etree._Element) -> Iterator[tuple[etree._Element, Status]]:
    for messages in top:
        if messages.tag == "QBXMLMsgsRs":
            for answer in messages:
                yield answer, _status(answer)


def _records_of(answer: etree._Element, status: Status) -> list[Record]:
    records: list[Record] = []
    loose: dict[str, tuple[str, ...]] = {}
    for element in answer:
        if len(element):
            records.append(Record.read_from(element, status.request_id))
        elif element.tag != "ErrorRecovery":
            loose[str(element.tag)] = (element.text or "",)
    if loose:
        kind = status.rs_type.removesuffix("Rs") + "Ret"
        records.append(Record(kind=kind, request_id=status.request_id, values=loose))
    return records


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
    _no_twice(statuses)
    return {status.request_id: Result(status, tuple(records[index])) for index, status in enumerate(statuses)}


def _no_twice(statuses: list[Status]) -> None:
    seen: set[str] = set()
    for status in statuses:
        if status.request_id in seen:
            raise QbxmlError(f"QuickBooks answered requestID {status.request_id!r} twice.")
        seen.add(status.request_id)


def count_answers(response_xml: str) -> int:
    """About how many answers a response holds, without reading it (a progress bar's
    estimate, ``SyncEngine``): its requestID attributes (a field's text naming one counts too)."""
    return response_xml.count(' requestID="')


class Answers(Mapping[str, Result]):
    """A response read as far as its statuses: requestID → ``Result``, in message order.

    Reading each record's fields is most of the time reading an answer takes; here it is
    done when a result is first asked for (all of them then), so a caller that only needs
    to know what came back (how many answers, for which requests) does not wait for it.
    Every error ``parse_response`` raises is raised here at once: the rest cannot fail.
    """

    def __init__(self, source: Source, *, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._results: dict[str, Result] | None = None
        self._answers: list[tuple[etree._Element, Status]] = []
        if isinstance(source, str | bytes) and len(source) <= min(max_bytes, WHOLE_MESSAGE_BYTES):
            self._answers = list(_answers_of(parse_tree(source, max_bytes=max_bytes)))
            _no_twice([status for _, status in self._answers])
            self._ids = [status.request_id for _, status in self._answers]
        else:  # streamed: read whole at once (``iter_response`` keeps no tree to come back to)
            self._results = parse_response(source, max_bytes=max_bytes)
            self._ids = list(self._results)

    def _read(self) -> dict[str, Result]:
        if self._results is None:
            self._results = {
                status.request_id: Result(status, tuple(_records_of(answer, status)))
                for answer, status in self._answers
            }
            self._answers = []  # the tree is no longer needed
        return self._results

    def __getitem__(self, request_id: str) -> Result:
        return self._read()[request_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._ids
