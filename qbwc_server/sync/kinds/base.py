"""The engine's half of a record kind: how its requests are built and its answers read.

One subclass per kind (a module each, next to this one), registered in ``kinds``: the
planner, prefetch, the preview and the answer handling ask the kind, never a list of
kind names of their own. ``SyncKind.build`` turns a queue item's phase into the request
for it (the phases are ``queue_states.Phase``; see ``plan`` for what each one means):

* a void, a delete, or deleting a second copy QuickBooks made;
* ``refresh``: re-read the linked record (a Mod met 3200);
* ``verify`` / ``claim`` / ``check``: look the record up by what identifies it there;
* otherwise the kind's first phase (an invoice checks its number first), then an Add
  when the record has no link, a Mod when it has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.errors import QbxmlError
from desktop_app.services.queue_states import Action, Phase
from desktop_app.services.record_kinds import RecordKind, kind_of
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built

Dep = tuple[str, int]


class NothingToSend(Exception):
    """The record is already as QuickBooks has it (e.g. a Mod with no changed field)."""


class CannotBuild(Exception):
    """The kind has no request for this step (a void of a list record …): a program error."""


#: A synced value made unknown by a lost answer (``refusals.recover``) starts with this; what
#: follows is JSON: [the value before, the value the lost request sent]. It never equals a
#: real value, so the field is sent again; a 3200's re-read settles it (``apply._on_refresh``).
UNKNOWN_PREFIX = "\x00unknown:"


def unknown_value(before: str | None, sent: str | None) -> str:
    return UNKNOWN_PREFIX + json.dumps([before, sent])


def possible_values(value: str) -> tuple[str | None, ...] | None:
    """What QuickBooks may hold for a field made unknown (None: the value is known)."""
    if not value.startswith(UNKNOWN_PREFIX):
        return None
    try:
        loaded = json.loads(value[len(UNKNOWN_PREFIX) :])
    except ValueError:
        return ()
    return tuple(v if isinstance(v, str) else None for v in loaded) if isinstance(loaded, list) else ()


def customer_upsert(
    request_id: str,
    link: QbLink | None,
    values: dict[str, str],
    fields: Callable[[set[str], bool], q.CustomerFields],
) -> Built:
    """A QuickBooks customer record's request (a customer, a job): its Add when not linked,
    else a Mod of what changed since QuickBooks last agreed (``fields(keys, is_mod)``), with
    its name; NothingToSend when nothing did."""
    if link is None:
        return Built(Phase.ADD, q.customer_add_flat(request_id, fields(set(values), False)), values)
    only = m.changed_only(values, synced_values(link))
    if not only:
        raise NothingToSend
    request = q.customer_mod_flat(request_id, link.qb_id, link.edit_sequence, fields(only | {"Name"}, True))
    return Built(Phase.MOD, request, values)


def synced_values(link: QbLink | None) -> dict[str, str]:
    """The field values last agreed with QuickBooks ({} when never synced)."""
    if link is None or not link.synced_values:
        return {}
    loaded: dict[str, str] = json.loads(link.synced_values)
    return loaded


class SyncKind:
    """Defaults for a record kind; each kind's module overrides what differs."""

    #: The record kind's name (``record_kinds``).
    name: ClassVar[str]
    #: The ``qbXML`` query that reads this kind (by ListID/TxnID, by name or number).
    query_tag: ClassVar[str]
    #: QuickBooks list names in a 3140 message ("invalid reference to QuickBooks Item …")
    #: that mean a record of this kind is missing there.
    qb_list_names: ClassVar[tuple[str, ...]] = ()
    #: Kinds of its references its requests name by QuickBooks link alone when there is one
    #: (an invoice's customer or job): ``prefetch`` does not load a linked one.
    refers_by_link: ClassVar[frozenset[str]] = frozenset()
    #: Its records' children read when a page of items is planned (``selectinload``
    #: options): what building its request walks.
    children: ClassVar[tuple[Any, ...]] = ()
    #: What its queue item says when a lookup found nothing and the Add goes next.
    not_found_note: ClassVar[str] = "Not in QuickBooks yet: adding it."
    #: Its QuickBooks record only carries out one of ours (a credit's $0.00 payment): when a
    #: change finds it gone from QuickBooks, it is added again (``gone_note``), no alert.
    added_again_when_gone: ClassVar[bool] = False
    gone_note: ClassVar[str] = ""
    #: QuickBooks may answer its Add with no record when it worked (a credit-only payment:
    #: only links between transactions): the item is done, linked under ``links_only_id``.
    links_only: ClassVar[bool] = False

    @property
    def record(self) -> RecordKind:
        return kind_of(self.name)

    @property
    def is_list(self) -> bool:
        return self.record.is_list

    # -- what goes first ---------------------------------------------------------------------

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        """(list records that must be in QuickBooks first, transactions that must be linked first)."""
        return [], []

    def learn(self, session: Session, record: q.Record, synced: dict[str, str]) -> None:
        """Keep in ``synced`` (the link's values) what a re-read record says beyond the
        compared fields (``values_now``); nothing by default."""

    def how_to_fix(self, session: Session, item: SyncItem, code: int) -> str:
        """What a person can do here about QuickBooks refusing the item with ``code`` ("" when
        the general explanation says it all)."""
        return ""

    def goes_after(self, session: Session, item: SyncItem) -> Iterable[Dep]:
        """Records whose own queued change QuickBooks must have before this item's (beyond
        ``dependencies``, which must be linked): the planner holds the item until they went."""
        return ()

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        """The records building this one's request reads (loaded ahead by ``prefetch``);
        ``as_reference``: it is itself only referred to (its children were not loaded)."""
        return ()

    # -- requests ----------------------------------------------------------------------------

    def build(
        self, session: Session, item: SyncItem, request_id: str, *, checked_key: str | None = None
    ) -> Built:
        """The request for the item's current phase. Raises NothingToSend when in step.

        ``checked_key``: QuickBooks had no record of this key as of the last answer (the
        look-ahead, ``probes``): a first Add goes at once when the record's key is still it.
        """
        record_id = item.entity_id
        if record_id is None:
            raise CannotBuild(f"a {self.name} queue item names no record")
        if item.action == Action.DELETE_DUPLICATE:
            from qbwc_server.sync.duplicates import delete_request

            return Built(Phase.DELETE_DUPLICATE, delete_request(item, request_id))
        link = m.link_of(session, self.name, record_id)
        if item.action == Action.VOID:
            return Built(Phase.VOID, self.void_request(session, record_id, request_id, _linked(link, item)))
        if item.action == Action.DELETE:
            return Built(
                Phase.DELETE, self.delete_request(session, record_id, request_id, _linked(link, item))
            )
        if item.phase == Phase.REFRESH and link is not None:
            return Built(Phase.REFRESH, self.query_by_id(request_id, link.qb_id))
        if item.phase in (Phase.VERIFY, Phase.CLAIM, Phase.CHECK, Phase.LINKS) and link is None:
            return self.lookup_built(session, item, request_id)
        if item.phase == Phase.FIRST and link is None and self.checks_before_adding:
            key = self.lookup_key(session, record_id) if checked_key is not None else None
            if key is None or key.casefold() != (checked_key or "").casefold():
                return Built(Phase.CHECK, self.lookup(session, record_id, request_id))
        return self.upsert(session, record_id, request_id, link)

    #: An unlinked record is looked up (``check``) before its first Add (invoice numbers).
    checks_before_adding: ClassVar[bool] = False

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        """An Add (no link) or a Mod of what changed (raises NothingToSend when nothing did)."""
        raise CannotBuild(f"{self.name} records are not added to QuickBooks")

    def void_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        raise CannotBuild(f"{self.name} records are not voided in QuickBooks")

    def delete_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        raise CannotBuild(f"{self.name} records are not deleted from QuickBooks")

    def query_by_id(self, request_id: str, qb_id: str) -> q.Request:
        if self.is_list:
            return q.list_query(self.query_tag, request_id, list_ids=[qb_id])  # type: ignore[arg-type]
        return q.txn_query(self.query_tag, request_id, txn_ids=[qb_id])  # type: ignore[arg-type]

    def lookup(self, session: Session, record_id: int, request_id: str) -> q.Request:
        """Find our record in QuickBooks by what identifies it there (name, RefNumber, marker)."""
        return q.list_query(
            self.query_tag,  # type: ignore[arg-type]
            request_id,
            full_names=[self.quickbooks_name(session, record_id)],
        )

    def lookup_built(self, session: Session, item: SyncItem, request_id: str) -> Built:
        """The item's lookup, carrying on what the lost Add sent; a kind whose lookup depends
        on what was sent overrides it. A list record is looked for by the name its Add went
        with as well as by its name now (renamed while its fate was unknown, it is found
        under the old one, never added again under the new)."""
        sent = carried_values(item)
        record_id = item.entity_id or 0
        sent_name = self.sent_full_name(sent) if self.is_list else ""
        name = self.quickbooks_name(session, record_id) if sent_name else ""
        if not sent_name or sent_name.casefold() == name.casefold():
            return Built(item.phase, self.lookup(session, record_id, request_id), sent)
        request = q.list_query(self.query_tag, request_id, full_names=[name, sent_name])  # type: ignore[arg-type]
        return Built(item.phase, request, sent)

    def sent_full_name(self, values: dict[str, str]) -> str:
        """The full name a list record's request carried (its ``values``); "" if none."""
        return values.get("Name", "")

    def lookup_key(self, session: Session, record_id: int) -> str | None:
        """What QuickBooks matches the record by, when its lookups can share one request
        (``check_groups``); None: each lookup goes alone."""
        return None

    def lookup_keys(self, session: Session, record_ids: list[int]) -> dict[int, str]:
        """``lookup_key`` of many records at once (record id → key; records without one left out)."""
        keys = {record_id: self.lookup_key(session, record_id) for record_id in record_ids}
        return {record_id: key for record_id, key in keys.items() if key is not None}

    def group_lookup(self, request_id: str, keys: list[str]) -> q.Request:
        """One request looking up every key (only for kinds with a ``lookup_key``)."""
        raise CannotBuild(f"{self.name} lookups do not go in groups")

    def found_key(self, record: q.Record) -> str | None:
        """The key of a record a grouped lookup found (compared with ``lookup_key``)."""
        return None

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        """The full name the record goes to QuickBooks under ("" for transactions)."""
        return ""

    # -- answers -----------------------------------------------------------------------------

    def values_now(self, session: Session, record_id: int) -> dict[str, str] | None:
        """The field values a Mod would send, compared with QuickBooks' after a 3200; None when
        the kind is not compared field by field (a Mod then sends the whole record)."""
        return None

    def mod_overwrites(self, session: Session, record_id: int, synced: dict[str, str]) -> bool:
        """Whether the Mod it would send now carries the whole record (every field, not only
        ours that changed), so that a field changed only in QuickBooks would be overwritten:
        a re-read then treats such a field as changed on both sides (an alert)."""
        return False

    def qb_value(self, record: q.Record, key: str) -> str | None:
        """QuickBooks' value, in a record it sent, for one of ``values_now``'s keys."""
        return m.qb_value(record, key)

    def links_only_id(self, session: Session, item: SyncItem) -> str:
        """What a ``links_only`` Add answered with no record is linked under (unique per kind).
        Asked only of a kind that sets ``links_only``; of another, such an answer is unexpected
        (``decisions``: no record), and it becomes the item's alert."""
        raise QbxmlError(f"QuickBooks answered the {self.name} with no record of its own.")

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        """Of the records a lookup found, those that are ours (payments carry a marker)."""
        return records

    def other_type(self, session: Session, record_id: int, found: q.Record) -> str:
        """Why a record found by name is not one to link to ("" when it is): another type of item."""
        return ""

    def refuses_link(self, session: Session, item: SyncItem, found: q.Record) -> bool:
        """A record of our name that must not be linked as it is (raises its alert): True."""
        return False

    def on_lookup(self, session: Session, item: SyncItem, records: list[q.Record]) -> bool:
        """A lookup answered in the kind's own way (invoice numbers); False: the usual way."""
        return False

    def after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> None:
        """What to check once QuickBooks saved it (an invoice's total); ``sent_values`` are the
        field values the request carried (``Built.values``)."""

    def needs_review_after_save(
        self, session: Session, item: SyncItem, record: q.Record, sent_values: dict[str, str]
    ) -> bool:
        """True when ``after_save`` may find something: the fast path leaves it to the general one."""
        return False


def carried_values(item: SyncItem) -> dict[str, str]:
    """The values the item's Add (or the lookup after it) went with: what QuickBooks has when
    a lookup finds it there (the lookup carries them on, and a link it makes keeps them)."""
    try:
        values = json.loads(item.sent_context or "{}").get("values", {})
    except (ValueError, AttributeError):
        return {}
    if not isinstance(values, dict):
        return {}
    return {key: value for key, value in values.items() if isinstance(key, str) and isinstance(value, str)}


def _linked(link: QbLink | None, item: SyncItem) -> QbLink:
    if link is None:
        raise CannotBuild(f"{item.entity_type} #{item.entity_id} has no QuickBooks link to {item.action}")
    return link
