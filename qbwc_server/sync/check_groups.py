"""Looking many records up in one request: the invoice-number checks of a batch, together.

An invoice is looked up by its number before its first Add (``check``; QuickBooks takes
two invoices of one number, so the clash is ours to catch), and again after a lost answer
(``verify``). One query per invoice doubled the requests of a sync of new invoices and
added a round trip to every batch of them. ``InvoiceQueryRq`` takes its ``RefNumber``
repeated (Intuit: "rep (1 or more)"), so the planner gathers a batch's lookups of one kind
into one query of up to ``GROUP_MAX`` keys, and every item in it is marked sent under that
one requestID. The answer is split back: each item gets QuickBooks' status and only the
records of its own key, and is then decided exactly as if it had been asked alone
(``decisions``), so a found number still stops its own invoice with its own alert.

A kind takes part by answering ``SyncKind.lookup_key`` (the key QuickBooks matches, e.g.
the invoice number) and building ``SyncKind.group_lookup``; ``found_key`` reads the key
back from a record QuickBooks returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.built import Built, to_xml

#: Keys per grouped lookup: one query stays small (each key is a RefNumber element) and an
#: answer QuickBooks refuses whole puts at most this many items in the halves that follow.
GROUP_MAX = 50
#: The phases whose request is a lookup by key, and may share one.
GROUPED_PHASES = frozenset({Phase.CHECK, Phase.VERIFY})
#: Where an item's own key is kept with what was sent (``SyncItem.sent_context``'s extra).
KEY = "lookup_key"
#: A key's share of a grouped request's size, over its own text (the element around it).
_KEY_OVERHEAD = len("<RefNumber></RefNumber>")


@dataclass
class LookupGroups:
    """The grouped lookups of one batch being planned, per kind, in the order they came."""

    groups: dict[str, list[list[tuple[SyncItem, str, str]]]] = field(default_factory=dict)

    def key_for(self, session: Session, item: SyncItem, built: Built) -> str | None:
        """The item's key when its request can share a grouped lookup; None when it goes alone."""
        if built.phase not in GROUPED_PHASES or item.entity_id is None:
            return None
        return kinds.of(item.entity_type).lookup_key(session, item.entity_id)

    def add(self, item: SyncItem, key: str, phase: str) -> int:
        """Take the item (its lookup ``phase``) into its kind's open group; the bytes it adds."""
        groups = self.groups.setdefault(item.entity_type, [])
        if not groups or len(groups[-1]) >= GROUP_MAX:
            groups.append([])
        groups[-1].append((item, key, phase))
        return len(key) + _KEY_OVERHEAD

    @property
    def requests(self) -> int:
        """How many requests the groups make (each counts once toward the batch's limit)."""
        return sum(len(groups) for groups in self.groups.values())

    def clear(self) -> None:
        self.groups.clear()

    def built(self) -> list[tuple[SyncItem, Built, str]]:
        """(item, what it sends, the shared requestID) for every grouped item."""
        chosen: list[tuple[SyncItem, Built, str]] = []
        for kind_name, groups in self.groups.items():
            kind = kinds.of(kind_name)
            for group in groups:
                first = group[0][0]
                # Not "<item id>-<attempt>": an answer to it cannot be taken for one item's.
                request_id = f"g{first.id}-{first.attempts + 1}"
                element = kind.group_lookup(request_id, [key for _item, key, _phase in group])
                xml = to_xml(element)
                for item, key, phase in group:
                    built = Built(phase, element, {}, {KEY: key}, _xml=xml)
                    chosen.append((item, built, request_id))
        return chosen


def result_for(item: SyncItem, result: q.Result, extra: dict[str, Any]) -> q.Result:
    """The item's own share of a grouped lookup's answer (the answer itself when not grouped).

    QuickBooks' status stands for every item of the group (a lock or a refusal concerns
    them all); the records are those whose key is the item's. QuickBooks matches RefNumber
    without regard to case, and so does this.
    """
    key = extra.get(KEY)
    if not isinstance(key, str) or item.entity_id is None:
        return result
    kind = kinds.of(item.entity_type)
    wanted = key.casefold()
    mine = tuple(record for record in result.records if (kind.found_key(record) or "").casefold() == wanted)
    return q.Result(result.status, mine)
