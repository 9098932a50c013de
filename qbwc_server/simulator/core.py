"""Shared machinery of the simulated company: ids, clock, references, names, Ret emission."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from lxml import etree

from qbwc_server.simulator.names import NameIndex, space_representatives
from qbwc_server.simulator.store import (
    ITEM_KINDS,
    TERMS_KINDS,
    CompanyState,
    ListElement,
)

#: The simulated company's time zone: QuickBooks writes times with the machine's offset.
COMPANY_TZ = timezone(timedelta(hours=-8))
_EPOCH = datetime(1970, 1, 1)

REF_KINDS: Mapping[str, frozenset[str]] = {
    "CustomerRef": frozenset({"Customer"}),
    "TermsRef": TERMS_KINDS,
    "SalesTaxCodeRef": frozenset({"SalesTaxCode"}),
    "CustomerSalesTaxCodeRef": frozenset({"SalesTaxCode"}),
    "ItemSalesTaxRef": frozenset({"ItemSalesTax"}),
    "ItemRef": ITEM_KINDS,
    "AccountRef": frozenset({"Account"}),
    "IncomeAccountRef": frozenset({"Account"}),
    "ARAccountRef": frozenset({"Account"}),
    "DepositToAccountRef": frozenset({"Account"}),
    "PaymentMethodRef": frozenset({"PaymentMethod"}),
    "PreferredPaymentMethodRef": frozenset({"PaymentMethod"}),
    "TaxVendorRef": frozenset({"Vendor"}),
}

#: Aggregates whose names end in "Ref" but which point at no list (a name/value pair).
NOT_REFERENCES = frozenset({"AdditionalContactRef"})

_ADDRESS = ("Addr1", "Addr2", "Addr3", "Addr4", "Addr5", "City", "State", "PostalCode", "Country", "Note")
#: Child order inside stored aggregates (a Mod may add a sub-element the Add did not have).
SUB_ORDER: Mapping[str, Sequence[str]] = {
    "BillAddress": _ADDRESS,
    "ShipAddress": _ADDRESS,
    "VendorAddress": _ADDRESS,
    "SalesOrPurchase": ("Desc", "Price", "PricePercent", "AccountRef"),
    "AdditionalContactRef": ("ContactName", "ContactValue"),
}

Computed = str | Callable[[etree._Element], None] | None


class Refusal(Exception):
    """A request QuickBooks would refuse; ``process`` turns it into a status code."""

    def __init__(self, code: int, message: str, severity: str = "Error") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.severity = severity


def format_time(value: datetime) -> str:
    return value.replace(tzinfo=COMPANY_TZ).isoformat()


def parse_time(text: str, *, end_of_day: bool = False) -> datetime:
    """A DATETIMETYPE from a request, as naive company time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(COMPANY_TZ).replace(tzinfo=None)
    if end_of_day and "T" not in text:
        value += timedelta(days=1, seconds=-1)
    return value


def amount_text(value: Decimal) -> str:
    return f"{value:.2f}"


def leaf(parent: etree._Element, tag: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, tag).text = value


def child_text(node: etree._Element, path: str) -> str | None:
    found = node.find(path)
    return None if found is None else (found.text or "")


def decimal_of(node: etree._Element, path: str) -> Decimal | None:
    value = child_text(node, path)
    return None if value is None or value == "" else Decimal(value)


class Core:
    """State plus the helpers every handler needs."""

    def __init__(self, state: CompanyState) -> None:
        self.state = state
        # Iterators live only as long as the process, as in QuickBooks (they die with the session).
        self.iterators: dict[str, tuple[str, list[str]]] = {}
        self.iterator_count = 0
        self.names = NameIndex(state.lists.values())

    # -- clock and ids ---------------------------------------------------------------------

    def tick(self) -> datetime:
        """Every write moves the clock a second, so EditSequence changes on every modification."""
        self.state.clock += timedelta(seconds=1)
        return self.state.clock

    def advance(self, delta: timedelta) -> None:
        self.state.clock += delta

    def stamp(self) -> str:
        return str(int((self.state.clock - _EPOCH).total_seconds()))

    def new_list_id(self) -> str:
        self.state.next_id += 1
        return f"{0x80000000 + self.state.next_id:08X}-{self.stamp()}"

    def new_txn_id(self) -> tuple[str, int]:
        self.state.next_id += 1
        self.state.next_txn_number += 1
        return f"{self.state.next_id:X}-{self.stamp()}", self.state.next_txn_number - 1

    # -- lists -----------------------------------------------------------------------------

    def full_name(self, element: ListElement) -> str:
        parts = [element.name]
        parent_id = element.parent_id
        while parent_id is not None:
            parent = self.state.lists[parent_id]
            parts.append(parent.name)
            parent_id = parent.parent_id
        return ":".join(reversed(parts))

    def sublevel(self, element: ListElement) -> int:
        return self.full_name(element).count(":")

    def elements(self, kinds: Iterable[str]) -> list[ListElement]:
        wanted = frozenset(kinds)
        return [e for e in self.state.lists.values() if e.kind in wanted]

    def find(
        self, kinds: Iterable[str], *, list_id: str | None = None, full_name: str | None = None
    ) -> ListElement | None:
        wanted = frozenset(kinds)
        if list_id is not None:
            found = self.state.lists.get(list_id)
            return found if found is not None and found.kind in wanted else None
        if full_name is not None:
            for space_kind in space_representatives(wanted).values():
                found_id = self.names.by_full_name(space_kind, full_name)
                if found_id is not None and self.state.lists[found_id].kind in wanted:
                    return self.state.lists[found_id]
        return None

    def resolve(self, ref: etree._Element, kinds: Iterable[str], record: str) -> ListElement:
        list_id, name = child_text(ref, "ListID"), child_text(ref, "FullName")
        found = self.find(kinds, list_id=list_id, full_name=None if list_id else name)
        if found is None:
            kind = str(ref.tag).removesuffix("Ref")
            raise Refusal(
                3140,
                f'There is an invalid reference to QuickBooks {kind} "{list_id or name}" in the {record}. '
                "QuickBooks error message: Invalid argument. "
                "The specified record does not exist in the list.",
            )
        return found

    def check_name_free(
        self, kind: str, name: str, parent_id: str | None, *, except_id: str | None = None
    ) -> None:
        """Names are unique case-insensitively in their namespace; jobs only under their parent."""
        holder = self.names.holder(kind, parent_id, name)
        if holder is not None and holder != except_id:
            raise Refusal(3100, f'The name "{name}" of the list element is already in use.')

    def add_element(self, element: ListElement) -> None:
        """A new list element, in the store and the name index."""
        self.state.lists[element.list_id] = element
        self.names.add(element)

    def rename(self, element: ListElement, name: str, parent_id: str | None) -> None:
        """A Mod's new name or parent, in the element and the name index."""
        self.names.remove(element)
        element.name, element.parent_id = name, parent_id
        self.names.add(element)

    def absorb(
        self,
        node: etree._Element,
        record: str,
        *,
        skip: Iterable[str] = (),
        parent_kinds: frozenset[str] = frozenset(),
    ) -> dict[str, str]:
        """A request body as stored data; references resolved now (3140 before anything changes)."""
        skipped = frozenset(skip)
        out: dict[str, str] = {}

        def walk(element: etree._Element, prefix: str) -> None:
            for child in element:
                tag = str(child.tag)
                if not prefix and tag in skipped:
                    continue
                path = prefix + tag.removesuffix("Mod") if tag.endswith("PurchaseMod") else prefix + tag
                if tag.endswith("Ref") and tag not in NOT_REFERENCES:
                    kinds = parent_kinds if tag == "ParentRef" else REF_KINDS.get(tag, frozenset({tag[:-3]}))
                    out[path] = self.resolve(child, kinds, record).list_id
                elif len(child):
                    walk(child, path + "/")
                else:
                    out[path] = child.text or ""

        walk(node, "")
        return out

    @staticmethod
    def merge(data: dict[str, str], changes: Mapping[str, str]) -> None:
        """A Mod: given values replace, empty values clear, absent values stay."""
        for path, value in changes.items():
            if value == "":
                data.pop(path, None)
            else:
                data[path] = value

    # -- Ret emission ----------------------------------------------------------------------

    def ref(self, parent: etree._Element, tag: str, list_id: str | None) -> None:
        if list_id is None or list_id not in self.state.lists:
            return
        node = etree.SubElement(parent, tag)
        leaf(node, "ListID", list_id)
        leaf(node, "FullName", self.full_name(self.state.lists[list_id]))

    def emit(
        self,
        parent: etree._Element,
        data: Mapping[str, str],
        order: Sequence[str],
        computed: Mapping[str, Computed],
    ) -> None:
        """Stored data in the XSD order ``order``; ``computed`` supplies derived elements."""
        for tag in order:
            if tag in computed:
                value = computed[tag]
                if callable(value):
                    value(parent)
                else:
                    leaf(parent, tag, value)
                continue
            if tag in data:
                if tag.endswith("Ref"):
                    self.ref(parent, tag, data[tag])
                else:
                    leaf(parent, tag, data[tag])
                continue
            subs = [path for path in data if path.startswith(tag + "/")]
            if not subs:
                continue
            rank = SUB_ORDER.get(tag, ())
            subs.sort(key=lambda p: rank.index(p[len(tag) + 1 :]) if p[len(tag) + 1 :] in rank else len(rank))
            node = etree.SubElement(parent, tag)
            for path in subs:
                name = path[len(tag) + 1 :]
                if name.endswith("Ref"):
                    self.ref(node, name, data[path])
                else:
                    leaf(node, name, data[path])

    # -- queries -----------------------------------------------------------------------------

    def respond_query(
        self,
        rq: etree._Element,
        rs: etree._Element,
        keys: list[str],
        emit_one: Callable[[etree._Element, str], None],
    ) -> None:
        """MaxReturned, iterators and the "no match" status, shared by every query."""
        mode = rq.get("iterator")
        limit_text = child_text(rq, "MaxReturned")
        limit = int(limit_text) if limit_text else None
        iterator_id: str | None = None
        if mode == "Continue":
            iterator_id = rq.get("iteratorID") or ""
            pending = self.iterators.get(iterator_id)
            if pending is None or pending[0] != rq.tag:
                raise Refusal(3391, f'The iterator "{iterator_id}" does not exist or has expired.')
            keys = pending[1]
        elif mode == "Stop":
            self.iterators.pop(rq.get("iteratorID") or "", None)
            return
        elif mode == "Start":
            self.iterator_count += 1
            iterator_id = "{" + str(uuid.UUID(int=self.iterator_count)) + "}"
        page = keys if limit is None else keys[:limit]
        rest = keys[len(page) :]
        for key in page:
            emit_one(rs, key)
        if iterator_id is not None:
            if rest:
                self.iterators[iterator_id] = (str(rq.tag), rest)
            else:
                self.iterators.pop(iterator_id, None)
            rs.set("iteratorRemainingCount", str(len(rest)))
            rs.set("iteratorID", iterator_id)
        rs.set("retCount", str(len(page)))
        if not page:
            raise Refusal(1, "A query request did not find a matching object in QuickBooks", "Info")

    def today(self) -> date:
        return self.state.clock.date()


def only_elements(request: etree._Element, response: etree._Element) -> None:
    """IncludeRetElement: each Ret keeps only the top-level elements named.

    As Intuit documents it: an aggregate comes whole (a named ``BillAddress`` brings its
    City), names are matched exactly as cased, and a name QuickBooks does not know matches
    nothing without an error.
    """
    wanted = {node.text or "" for node in request.findall("IncludeRetElement")}
    if not wanted:
        return
    for ret in response:
        for child in list(ret):
            if child.tag not in wanted:
                ret.remove(child)
