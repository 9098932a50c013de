"""The company's name index: one dictionary lookup per name, as a company of 10,000 customers needs.

QuickBooks keeps a name unique, case-insensitively, within its name space (customers,
vendors, employees and other names share one; items of every type share one) and, for a
job or sub-item, only under its parent. The index is keyed exactly so: (name space,
parent ListID, case-folded name) → ListID. A full name ``Parent:Job`` is found one level
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qbwc_server.simulator.store import ListElement, namespace

Key = tuple[str, str | None, str]


def key_of(kind: str, parent_id: str | None, name: str) -> Key:
    return (namespace(kind), parent_id, name.casefold())


class NameIndex:
    """Which element holds each name. Kept in step by whoever adds, renames or re-parents."""

    def __init__(self, elements: Iterable[ListElement] = ()) -> None:
        self._ids: dict[Key, str] = {}
        for element in elements:
            self.add(element)

    def add(self, element: ListElement) -> None:
        self._ids[key_of(element.kind, element.parent_id, element.name)] = element.list_id

    def remove(self, element: ListElement) -> None:
        key = key_of(element.kind, element.parent_id, element.name)
        if self._ids.get(key) == element.list_id:
            del self._ids[key]

    def holder(self, kind: str, parent_id: str | None, name: str) -> str | None:
        """The ListID using ``name`` under ``parent_id`` in ``kind``'s name space, if any."""
        return self._ids.get(key_of(kind, parent_id, name))

    def by_full_name(self, space_kind: str, full_name: str) -> str | None:
        """The ListID whose full name is ``full_name`` (``A:B:C``) in ``space_kind``'s name space."""
        parent_id: str | None = None
        for part in full_name.split(":"):
            parent_id = self._ids.get(key_of(space_kind, parent_id, part))
            if parent_id is None:
                return None
        return parent_id


def space_representatives(kinds: Iterable[str]) -> Mapping[str, str]:
    """One kind per name space among ``kinds`` (a lookup needs only one per space)."""
    found: dict[str, str] = {}
    for kind in sorted(kinds):
        found.setdefault(namespace(kind), kind)
    return found
