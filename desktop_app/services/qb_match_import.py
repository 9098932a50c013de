"""Matching what the import reads from an office's QuickBooks company with JobDesk's records.

For each customer, job and item the import reads:

* the same name as a record of ours not yet in QuickBooks → linked, as JobPro does;
* a near match (same ``match_key`` but another spelling, a job of that name under another
  customer, an item of that name of another type, or one of our customer names used by a
  QuickBooks vendor, employee or other name) → a ``MatchProposal``. Nothing is linked, and
  QuickBooks' record is not made into a second JobDesk record while it is open: a person
  decides (``qb_matching.decide``: link, create as new, rename ours);
* nothing alike → a JobDesk record is made from it and linked.

Each page is matched with a few reads (ours prefetched per page, never per record). The
sync planner holds a record of ours while a proposal about it is undecided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import Customer, Item, Job, QbLink
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.name_match import NameDifference, describe, difference, match_key, quickbooks_key
from desktop_app.domain.qb_names import job_qb_name
from desktop_app.services.customers import name_key
from desktop_app.services.qb_records import (
    ITEM_TYPE_OF_KIND,
    QbRecord,
    link,
    linked_ids,
    new_customer,
    new_item,
    new_job,
    remember,
)

#: The reasons a proposal is made, in plain words.
REASON_TEXT = {
    "case": "The same name with other capital letters",
    "spelling": "The same words, spelled or punctuated differently",
    "name_order": "The same words in another order",
    "other_parent": "A job of this name under another customer",
    "other_item_type": "An item of this name, of another type",
    "name_taken": "QuickBooks uses this name for another kind of record",
}
NAME_ONLY = frozenset({"vendor", "employee", "other_name"})
QB_KIND_WORDS = {
    "customer": "customer",
    "job": "job",
    "vendor": "vendor",
    "employee": "employee",
    "other_name": "other name",
    "item": "item",
}
ITEM_TYPE_WORDS = {
    "ItemService": "service item",
    "ItemNonInventory": "non-inventory item",
    "ItemOtherCharge": "other-charge item",
    "ItemInventory": "inventory item",
    "ItemInventoryAssembly": "inventory assembly",
    "ItemGroup": "group of items",
    "ItemDiscount": "discount item",
    "ItemSalesTax": "sales-tax item",
    "ItemSalesTaxGroup": "sales-tax group",
    "ItemSubtotal": "subtotal item",
    "ItemPayment": "payment item",
    "ItemFixedAsset": "fixed asset",
}
OUR_ITEM_WORDS = {"service": "service", "material": "material (non-inventory)"}


@dataclass(frozen=True)
class PageOutcome:
    """What matching one page did."""

    read: int
    linked: int
    created: int
    proposed: int


def import_page(uow: UnitOfWork, records: Sequence[QbRecord]) -> PageOutcome:
    """Keep a copy of a page QuickBooks sent, then link, create or propose for each record."""
    rows = remember(uow, records)
    matcher = Matcher(uow)
    ordered = [rows[(r.kind, r.list_id[:40])] for r in records if (r.kind, r.list_id[:40]) in rows]
    matcher.match(ordered)
    return PageOutcome(len(ordered), matcher.linked, matcher.created, matcher.proposed)


def _unlinked(entity_type: str, id_column: object) -> ColumnElement[bool]:
    return ~exists().where(QbLink.entity_type == entity_type, QbLink.entity_id == id_column)


class Matcher:
    """One page's matching: ours is read once per page and kind, and kept for the page."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session: Session = uow.session
        self.linked = 0
        self.created = 0
        self.proposed = 0
        self._customers: dict[str, list[tuple[int, str]]] | None = None
        self._jobs: list[tuple[int, int, str, str]] | None = None
        self._items: dict[str, list[tuple[int, str, str]]] | None = None

    def match(self, rows: Sequence[QuickBooksListRecord]) -> None:
        if not rows:
            return
        open_rows = self._without_proposals(rows)
        # Parents before their jobs: QuickBooks lists a customer before its jobs.
        self._match_customers([r for r in open_rows if r.kind == "customer"])
        self._match_jobs([r for r in open_rows if r.kind == "job"])
        self._match_items([r for r in open_rows if r.kind == "item"])
        self._match_names([r for r in open_rows if r.kind in NAME_ONLY])
        self.session.flush()

    def _without_proposals(self, rows: Sequence[QuickBooksListRecord]) -> list[QuickBooksListRecord]:
        """A record already proposed is not asked about again (decided, or still open)."""
        ids = [r.id for r in rows]
        asked = set(
            self.session.scalars(
                select(MatchProposal.qb_record_id).where(MatchProposal.qb_record_id.in_(ids)).distinct()
            )
        )
        return [r for r in rows if r.id not in asked]

    # -- ours, read once per page ------------------------------------------------------------

    def _our_customers(self) -> dict[str, list[tuple[int, str]]]:
        if self._customers is None:
            self.session.flush()
            self._customers = {}
            query = select(Customer.id, Customer.display_name).where(_unlinked("customer", Customer.id))
            for cid, name in self.session.execute(query):
                self._customers.setdefault(match_key(name), []).append((cid, name))
        return self._customers

    def _our_jobs(self) -> list[tuple[int, int, str, str]]:
        """(id, customer id, QuickBooks name, JobDesk name) of our jobs not in QuickBooks."""
        if self._jobs is None:
            self.session.flush()
            query = select(Job.id, Job.customer_id, Job.number, Job.name).where(_unlinked("job", Job.id))
            self._jobs = [
                (jid, cid, job_qb_name(number, name), name)
                for jid, cid, number, name in self.session.execute(query)
            ]
        return self._jobs

    def _our_items(self) -> dict[str, list[tuple[int, str, str]]]:
        if self._items is None:
            self.session.flush()
            self._items = {}
            query = select(Item.id, Item.name, Item.kind).where(_unlinked("item", Item.id))
            for iid, name, kind in self.session.execute(query):
                self._items.setdefault(match_key(name), []).append((iid, name, kind))
        return self._items

    # -- customers -----------------------------------------------------------------------------

    def _match_customers(self, rows: list[QuickBooksListRecord]) -> None:
        done = linked_ids(self.session, "customer", [r.list_id for r in rows])
        todo = [r for r in rows if r.list_id not in done]
        if not todo:
            return
        keys = {name_key(r.name) for r in todo}
        same_key = {
            key: (cid, name, linked)
            for cid, name, key, linked in self.session.execute(
                select(
                    Customer.id,
                    Customer.display_name,
                    Customer.display_name_key,
                    ~_unlinked("customer", Customer.id),
                ).where(Customer.display_name_key.in_(keys))
            )
        }
        made: list[tuple[Customer, QuickBooksListRecord]] = []
        for row in todo:
            ours = same_key.get(name_key(row.name))
            if ours is not None and ours[1] == row.name:
                if not ours[2] and link(self.session, "customer", ours[0], row):
                    self.linked += 1
                    same_key[name_key(row.name)] = (ours[0], ours[1], True)
                continue  # ours has this name and another QuickBooks record: left as it is
            near = [c for c in self._our_customers().get(row.match_key, []) if c[1] != row.name]
            if near:
                for cid, name in near:
                    self._propose("customer", cid, name, row, difference(name, row.name).value)
                continue
            if ours is not None:
                continue  # ours (in QuickBooks already) holds the name here: nothing to make
            customer = new_customer(self.session, row)
            if customer is not None:
                made.append((customer, row))
        self._link_made("customer", made)

    def _link_made(
        self, entity_type: str, made: Sequence[tuple[Customer | Job | Item, QuickBooksListRecord]]
    ) -> None:
        if not made:
            return
        self.session.flush()
        for record, row in made:
            if link(self.session, entity_type, record.id, row):
                self.created += 1

    # -- jobs ----------------------------------------------------------------------------------

    def _match_jobs(self, rows: list[QuickBooksListRecord]) -> None:
        done = linked_ids(self.session, "job", [r.list_id for r in rows])
        todo = [r for r in rows if r.list_id not in done]
        if not todo:
            return
        parents = linked_ids(self.session, "customer", [r.parent_list_id for r in todo])
        ours = self._our_jobs()
        taken: set[int] = set()
        made: list[tuple[Customer | Job | Item, QuickBooksListRecord]] = []
        for row in todo:
            parent = parents.get(row.parent_list_id)
            if parent is not None:
                under = [j for j in ours if j[1] == parent and j[0] not in taken]
                exact = next((j for j in under if row.name in (j[2], j[3])), None)
                if exact is not None:
                    taken.add(exact[0])
                    if link(self.session, "job", exact[0], row):
                        self.linked += 1
                    continue
                near = [j for j in under if row.match_key in (match_key(j[2]), match_key(j[3]))]
                if near:
                    for jid, _, qb_name, _ in near:
                        self._propose("job", jid, qb_name, row, difference(qb_name, row.name).value)
                    continue
            elsewhere = [j for j in ours if j[1] != parent and match_key(j[2]) == row.match_key]
            if elsewhere:
                for jid, _, qb_name, _ in elsewhere:
                    self._propose("job", jid, qb_name, row, "other_parent")
                continue
            if parent is None:
                continue  # its customer waits for a decision (or is not one JobDesk keeps)
            made.append((new_job(self.uow, row, parent), row))
        self._link_made("job", made)

    # -- items ---------------------------------------------------------------------------------

    def _match_items(self, rows: list[QuickBooksListRecord]) -> None:
        done = linked_ids(self.session, "item", [r.list_id for r in rows])
        todo = [r for r in rows if r.list_id not in done]
        if not todo:
            return
        keys = {name_key(r.name) for r in todo}
        same_key = {
            key: (iid, name, kind, linked)
            for iid, name, kind, key, linked in self.session.execute(
                select(
                    Item.id,
                    Item.name,
                    Item.kind,
                    Item.name_key,
                    ~_unlinked("item", Item.id),
                ).where(Item.name_key.in_(keys))
            )
        }
        made: list[tuple[Customer | Job | Item, QuickBooksListRecord]] = []
        for row in todo:
            ours = same_key.get(name_key(row.name))
            if ours is not None and ours[1] == row.name and not ours[3]:
                if ITEM_TYPE_OF_KIND.get(ours[2]) == row.record_type:
                    if link(self.session, "item", ours[0], row):
                        self.linked += 1
                    same_key[name_key(row.name)] = (ours[0], ours[1], ours[2], True)
                else:
                    self._propose("item", ours[0], ours[1], row, "other_item_type")
                continue
            near = [i for i in self._our_items().get(row.match_key, []) if i[1] != row.name]
            if near:
                for iid, name, kind in near:
                    same_type = ITEM_TYPE_OF_KIND.get(kind) == row.record_type
                    reason = difference(name, row.name).value if same_type else "other_item_type"
                    self._propose("item", iid, name, row, reason)
                continue
            if ours is not None:
                continue  # the price book has this name, in QuickBooks already
            item = new_item(self.session, row)
            if item is not None:
                made.append((item, row))
        self._link_made("item", made)

    # -- vendors, employees and other names ---------------------------------------------------

    def _match_names(self, rows: list[QuickBooksListRecord]) -> None:
        """A customer of ours named (or nearly named) like a QuickBooks vendor, employee or
        other name: the same name is refused there (one name list); a near one is likely the
        same person or firm, so a person looks at both."""
        if not rows:
            return
        ours = self._our_customers()
        for row in rows:
            for cid, name in ours.get(match_key(row.name), ()):
                self._propose("customer", cid, name, row, "name_taken")

    # -- proposals -----------------------------------------------------------------------------

    def _propose(
        self, entity_type: str, entity_id: int, our_name: str, row: QuickBooksListRecord, reason: str
    ) -> None:
        if reason in (NameDifference.SAME, NameDifference.DIFFERENT):
            reason = "spelling"  # a key match always differs somehow; never leave a person a blank
        self.session.add(
            MatchProposal(
                entity_type=entity_type,
                entity_id=entity_id,
                qb_record_id=row.id,
                reason=reason,
                explanation=explain(self.session, entity_type, entity_id, our_name, row, reason),
                our_name=self._stored_name(entity_type, entity_id, our_name),
            )
        )
        self.proposed += 1

    def _stored_name(self, entity_type: str, entity_id: int, our_name: str) -> str:
        if entity_type == "job":
            job = self.session.get(Job, entity_id)
            return "" if job is None else job.name[:41]
        return our_name[:41]


def explain(
    session: Session, entity_type: str, entity_id: int, our_name: str, row: QuickBooksListRecord, reason: str
) -> str:
    """Why a person is asked, in plain words."""
    kind = QB_KIND_WORDS.get(row.kind, row.kind)
    if reason == "name_taken" and quickbooks_key(row.name) != quickbooks_key(our_name):
        return (
            f"QuickBooks has a {kind} “{row.name}”, named like our customer “{our_name}”: "
            f"{describe(our_name, row.name)} It may be the same person or firm."
        )
    if reason == "name_taken":
        return (
            f"QuickBooks uses “{row.name}” for a {kind}. QuickBooks keeps each name once across "
            "customers, vendors, employees and other names, so our customer cannot go there under it."
        )
    if reason == "other_parent":
        parent = row.full_name.rsplit(":", 1)[0] if ":" in row.full_name else "another customer"
        job = session.get(Job, entity_id)
        customer = session.get(Customer, job.customer_id) if job is not None else None
        ours_under = customer.display_name if customer is not None else "another customer"
        return f"QuickBooks has the job “{row.name}” under “{parent}”; ours is under “{ours_under}”."
    if reason == "other_item_type":
        item = session.get(Item, entity_id)
        ours_kind = OUR_ITEM_WORDS.get(item.kind, item.kind) if item is not None else "item"
        theirs = ITEM_TYPE_WORDS.get(row.record_type, row.record_type or "item")
        return f"QuickBooks' “{row.name}” is a {theirs}; ours, “{our_name}”, is a {ours_kind}."
    return f"{describe(our_name, row.name)} QuickBooks has the {kind}; ours is not in QuickBooks yet."


def rows_by_parent(session: Session, parent_list_id: str) -> list[QuickBooksListRecord]:
    """QuickBooks' jobs under one customer, as the import kept them."""
    query = select(QuickBooksListRecord).where(
        QuickBooksListRecord.kind == "job", QuickBooksListRecord.parent_list_id == parent_list_id
    )
    return list(session.scalars(query.order_by(QuickBooksListRecord.id)))
