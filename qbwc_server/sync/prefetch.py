"""Loading a page of queue items' records, and their links, in a few queries.

Planning a batch looks at each item's record, its lines and the QuickBooks links of
everything it refers to. Done one lookup at a time that is dozens of queries per
request; here it is a handful per page of items, and the rest is found in the session's
identity map and the link cache.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, defer

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import record_kinds
from qbwc_server import mapping as m
from qbwc_server.sync import kinds, reads

#: How far prefetch follows references: an invoice's job and that job's customer; a
#: payment's invoices, their jobs, and those jobs' customers.
DEPTH = 3


def _model(kind: str) -> Any:
    return record_kinds.kind_of(kind).model


def prefetch(session: Session, items: Sequence[SyncItem]) -> None:
    """The page's records (with the children building their requests walks) and, level by
    level, what they refer to (without children): each kind says what (``references``)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.entity_id is not None and item.entity_type in record_kinds.KINDS:
            wanted[item.entity_type].add(item.entity_id)
    records = _load(session, wanted)
    seen: dict[str, set[int]] = defaultdict(set)
    for kind, ids in wanted.items():
        seen[kind] |= ids
    level, nested = wanted, False
    for _ in range(DEPTH):
        refs: dict[str, set[int]] = defaultdict(set)
        # References named by link alone when linked (``SyncKind.refers_by_link``).
        by_link: dict[str, set[int]] = defaultdict(set)
        for kind, ids in level.items():
            engine_kind = kinds.of(kind)
            for record_id in ids:
                record = records.get((kind, record_id))
                if record is not None:
                    for ref_kind, ref_id in engine_kind.references(session, record, as_reference=nested):
                        if ref_id not in seen[ref_kind]:
                            link_only = ref_kind in engine_kind.refers_by_link
                            (by_link if link_only else refs)[ref_kind].add(ref_id)
        if by_link:
            _links(session, by_link.items())
            cache = session.info[m.LINK_CACHE]
            for ref_kind, ids in by_link.items():
                # An unlinked one is named by its name: its record is read after all.
                refs[ref_kind] |= {i for i in ids if cache.get((ref_kind, i)) is None}
                seen[ref_kind] |= ids
        refs = {kind: ids for kind, ids in refs.items() if ids}
        if not refs:
            break
        records = _load(session, refs, children=False)
        for kind, ids in refs.items():
            seen[kind] |= ids
        level, nested = refs, True
    _links(session, seen.items())


def prefetch_answered(session: Session, items: Sequence[SyncItem]) -> None:
    """What applying answers mostly reads: each item's own link. (Not the records: an
    answer is checked against the values its request carried, ``Built.values``.)"""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.entity_id is not None and item.entity_type in record_kinds.KINDS:
            wanted[item.entity_type].add(item.entity_id)
    _links(session, wanted.items())


def _load(
    session: Session, wanted: dict[str, set[int]], *, children: bool = True
) -> dict[tuple[str, int], Any]:
    """The records wanted, (kind, id) → record, each read once per planning transaction (one
    deleted meanwhile is left out)."""
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = _model(kind)
        missing = []
        for record_id in ids:
            record = session.identity_map.get(session.identity_key(model, record_id))
            if record is None:
                missing.append(record_id)
            else:
                found[(kind, record_id)] = record
        if not missing:
            continue
        loaded = list(session.scalars(_records_query(kind, children), {"ids": missing}))
        found.update(((kind, record.id), record) for record in loaded)
        # The identity map holds records weakly: keep them alive for the planning transaction.
        session.info.setdefault("jobdesk_prefetched", []).extend(loaded)
    return found


# Built once per kind (building a statement costs about what running it does).
@functools.cache
def _records_query(kind: str, children: bool) -> Select[Any]:
    model = _model(kind)
    ids = getattr(model, "id")  # noqa: B009 - every model here has an id
    query = select(model).where(ids.in_(bindparam("ids", expanding=True)))
    # Requests never carry when a record was created or last edited.
    stamps = (getattr(model, "created_at"), getattr(model, "updated_at"))  # noqa: B009 - all are Timestamped
    query = query.options(*(defer(column) for column in stamps))
    if children:
        query = query.options(*kinds.of(kind).children)
    return query


_LINKS = select(QbLink).where(
    QbLink.entity_type == bindparam("kind"), QbLink.entity_id.in_(bindparam("ids", expanding=True))
)


def _links(session: Session, wanted: Iterable[tuple[str, set[int]]]) -> None:
    cache = session.info.setdefault(m.LINK_CACHE, {})
    for kind, ids in wanted:
        unknown = [i for i in ids if (kind, i) not in cache]
        for start in range(0, len(unknown), 500):
            chunk = unknown[start : start + 500]
            # Which have one, first (records being added have none: nothing to load).
            linked = reads.linked(session, kind, chunk)
            present = [record_id for record_id in chunk if record_id in linked]
            found = (
                {link.entity_id: link for link in session.scalars(_LINKS, {"kind": kind, "ids": present})}
                if present
                else {}
            )
            for record_id in chunk:
                cache[(kind, record_id)] = found.get(record_id)
