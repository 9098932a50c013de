"""What the next sync will do, record by record, before anything is sent (a dry run).

The preview walks the queue as the planner does (lists before what uses them), adds the
records the planner would queue on the way (a job's customer, an invoice's items), and
says for each what QuickBooks will get:

* ``link``     QuickBooks already has a record of that name: ours is linked to it, not added;
* ``create``   added to QuickBooks;
* ``update``   a record already linked is changed there (or voided, or deleted);
* ``skip``     nothing goes: QuickBooks already has it as it is, or it waits for a record
               that cannot go;
* ``conflict`` it cannot go as it is: an undecided match, an invoice number QuickBooks
               already uses, a value QuickBooks Desktop refuses, or a person must act.

What QuickBooks has is known from the last import (``qb_list_records``, the invoice numbers
in ``quickbooks_invoice_refs``). Each row carries the exact request the record would send
now. Everything happens in a transaction that is rolled back: nothing is changed or sent.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import Invoice
from desktop_app.db.quickbooks_refs import QuickBooksInvoiceRef
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Database
from desktop_app.errors import JobDeskError
from desktop_app.services import record_kinds
from desktop_app.services.queue_states import NEEDS_ATTENTION, Phase, QueueState
from desktop_app.services.sync_queue import label_of
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.sync import kinds, plan
from qbwc_server.sync.plan import Dep
from qbwc_server.sync.planner import MATCH_NOTE
from qbwc_server.sync.prefetch import prefetch

OUTCOMES: tuple[str, ...] = ("link", "create", "update", "skip", "conflict")
OUTCOME_LABEL = {
    "link": "Link to QuickBooks' record",
    "create": "Create in QuickBooks",
    "update": "Update in QuickBooks",
    "skip": "Nothing to send",
    "conflict": "Conflict",
}
#: The kinds of record, in sending order, and how the preview names each (``record_kinds``).
KINDS: tuple[str, ...] = tuple(kind.name for kind in record_kinds.in_sending_order())
KIND_LABEL = {kind.name: kind.plural.capitalize() for kind in record_kinds.in_sending_order()}
#: Queue items read per query (a long queue is never loaded whole).
PAGE = 500


@dataclass(frozen=True)
class PreviewRow:
    entity_type: str
    entity_id: int
    label: str
    outcome: str
    reason: str
    #: The exact qbXML message this record would send now ("" when it sends nothing).
    request_xml: str
    #: Not queued by anyone: the sync queues it because something queued needs it.
    needed_first: bool = False


@dataclass(frozen=True)
class SyncPreview:
    rows: tuple[PreviewRow, ...]
    #: From which import QuickBooks' names and numbers are known ("" when never imported).
    imported_at: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> int:
        return self.counts.get(kind, {}).get(outcome, 0)

    def total(self, outcome: str) -> int:
        return sum(per_kind.get(outcome, 0) for per_kind in self.counts.values())

    def filtered(self, *, kind: str = "", outcome: str = "", search: str = "") -> tuple[PreviewRow, ...]:
        needle = search.strip().lower()
        return tuple(
            row
            for row in self.rows
            if (not kind or row.entity_type == kind)
            and (not outcome or row.outcome == outcome)
            and (not needle or needle in row.label.lower() or needle in row.reason.lower())
        )


def build_preview(db: Database, *, with_xml: bool = True) -> SyncPreview:
    """What the next sync will do, from the current data; nothing is changed or sent."""
    with db.uow() as uow:
        try:
            return _Walk(uow.session, with_xml).run()
        finally:
            uow.rollback()


def to_csv(rows: tuple[PreviewRow, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # Excel on Windows reads CRLF rows
    writer.writerow(["Kind", "Record", "What happens", "Why", "Needed first", "qbXML"])
    for row in rows:
        writer.writerow(
            [
                KIND_LABEL.get(row.entity_type, row.entity_type),
                row.label,
                OUTCOME_LABEL[row.outcome],
                row.reason,
                "yes" if row.needed_first else "",
                row.request_xml,
            ]
        )
    return out.getvalue()


# -- the walk ---------------------------------------------------------------------------------


@dataclass
class _Walk:
    session: Session
    with_xml: bool
    rows: list[PreviewRow] = field(default_factory=list)
    outcome_of: dict[Dep, str] = field(default_factory=dict)
    reason_of: dict[Dep, str] = field(default_factory=dict)
    undecided: frozenset[Dep] = frozenset()
    qb_names: dict[str, set[str]] = field(default_factory=dict)
    qb_numbers: set[str] = field(default_factory=set)
    queued: set[Dep] = field(default_factory=set)

    def run(self) -> SyncPreview:
        session = self.session
        m.remember_links(session)
        self.undecided = frozenset(
            (row.entity_type, row.entity_id)
            for row in session.execute(
                select(MatchProposal.entity_type, MatchProposal.entity_id).where(MatchProposal.decision == "")
            )
        )
        self._load_quickbooks()
        with session.no_autoflush:
            for item in self._queue():
                if item.entity_id is None or item.entity_type not in KINDS:
                    continue
                key = (item.entity_type, item.entity_id)
                if key in self.outcome_of and item.action == "upsert":
                    continue
                self._visit(item, item.entity_id, needed_first=False)
        counts: dict[str, dict[str, int]] = {}
        for kind, per in _count(self.rows).items():
            counts[kind] = dict(per)
        imported = session.scalar(
            select(QuickBooksListRecord.seen_at).order_by(QuickBooksListRecord.seen_at.desc())
        )
        return SyncPreview(
            rows=tuple(self.rows),
            imported_at="" if imported is None else imported.isoformat(timespec="minutes"),
            counts=counts,
        )

    def _load_quickbooks(self) -> None:
        names: dict[str, set[str]] = {}
        for kind, full_name, record_type in self.session.execute(
            select(
                QuickBooksListRecord.kind, QuickBooksListRecord.full_name, QuickBooksListRecord.record_type
            )
        ):
            bucket = "tax_item" if record_type == "ItemSalesTax" else kind
            names.setdefault(bucket, set()).add(full_name.lower())
            if bucket == "tax_item":
                names.setdefault("item", set()).add(full_name.lower())
        self.qb_names = names
        self.qb_numbers = {n.lower() for n in self.session.scalars(select(QuickBooksInvoiceRef.ref_number))}

    def _queue(self) -> Iterator[SyncItem]:
        """Pending items in sending order, a page at a time."""
        after: tuple[int, int] | None = None
        while True:
            query = (
                select(SyncItem)
                .where(SyncItem.state.in_((QueueState.QUEUED, *NEEDS_ATTENTION)))
                .order_by(SyncItem.rank, SyncItem.id)
                .limit(PAGE)
            )
            if after is not None:
                query = query.where(
                    or_(SyncItem.rank > after[0], (SyncItem.rank == after[0]) & (SyncItem.id > after[1]))
                )
            rows = list(self.session.scalars(query))
            for row in rows:
                if row.entity_id is not None:
                    self.queued.add((row.entity_type, row.entity_id))
            prefetch(self.session, rows)
            yield from rows
            if len(rows) < PAGE:
                return
            after = (rows[-1].rank, rows[-1].id)

    def _visit(self, item: SyncItem, record_id: int, *, needed_first: bool) -> str:
        """Decide the item's outcome (its dependencies first) and add its row."""
        key = (item.entity_type, record_id)
        if item.action == "upsert" and key in self.outcome_of:
            return self.outcome_of[key]
        outcome, reason, xml = self._decide(item, record_id)
        if item.action == "upsert":
            self.outcome_of[key] = outcome
            self.reason_of[key] = reason
        self.rows.append(
            PreviewRow(
                entity_type=item.entity_type,
                entity_id=record_id,
                label=label_of(self.session, item.entity_type, record_id),
                outcome=outcome,
                reason=reason,
                request_xml=xml if self.with_xml else "",
                needed_first=needed_first,
            )
        )
        return outcome

    def _decide(self, item: SyncItem, record_id: int) -> tuple[str, str, str]:
        session = self.session
        key = (item.entity_type, record_id)
        if item.state in NEEDS_ATTENTION:
            return "conflict", item.note or "It waits for a person (see its alert).", ""
        if key in self.undecided:
            return "conflict", MATCH_NOTE, ""
        lists, txns = plan.dependencies(session, item)
        for dep in lists + txns:
            if m.link_of(session, dep[0], dep[1]) is not None:
                continue
            if dep in self.queued and dep not in self.outcome_of:
                continue  # queued later in the walk; the planner sends it first
            outcome = self.outcome_of.get(dep)
            if outcome is None:
                outcome = self._visit(_upsert(dep), dep[1], needed_first=dep not in self.queued)
            if outcome in ("conflict", "skip"):
                # It cannot go, so neither can this (the planner keeps it waiting).
                why = self.reason_of.get(dep, "")
                return "skip", f"Waits for {label_of(session, dep[0], dep[1])}. {why}".strip(), ""
        try:
            built = plan.build(session, item, f"{item.id or 0}-preview")
            built.check()
        except plan.NothingToSend:
            return "skip", "QuickBooks already has it as it is.", ""
        except (JobDeskError, preflight.PreflightError) as error:
            detail = getattr(error, "detail", "") or str(error)
            return "conflict", f"It cannot be sent as it is: {detail}", ""
        xml = q.build_message([built.element], on_error="continueOnError") if self.with_xml else ""
        if built.phase in (Phase.MOD, Phase.VOID, Phase.DELETE):
            return "update", _update_reason(built.phase), xml
        if item.entity_type == "invoice" and built.phase == Phase.CHECK:
            number = _invoice_number(session, record_id)
            if number.lower() in self.qb_numbers:
                return "conflict", f"QuickBooks already uses invoice number {number}.", xml
            return "create", f"A new invoice {number}; QuickBooks uses no invoice of that number.", xml
        if kinds.is_list_kind(item.entity_type):
            name = _quickbooks_name(session, item.entity_type, record_id)
            if name and name.lower() in self.qb_names.get(item.entity_type, set()):
                return "link", f"QuickBooks already has “{name}”: linked to it, not added again.", xml
            taken_by = _name_taken_by(self.qb_names, item.entity_type, name)
            if taken_by:
                return "conflict", f"QuickBooks uses the name “{name}” for a {taken_by}.", xml
        return "create", "Not in QuickBooks yet: it is added.", xml


def _upsert(dep: Dep) -> SyncItem:
    """A queue item as the planner would queue it for a dependency nobody queued (never saved)."""
    return SyncItem(entity_type=dep[0], entity_id=dep[1], action="upsert", phase="", state=QueueState.QUEUED)


def _update_reason(phase: str) -> str:
    reasons: dict[str, str] = {
        Phase.MOD: "Linked to a QuickBooks record: what changed here is sent.",
        Phase.VOID: "Voided here: voided in QuickBooks.",
        Phase.DELETE: "Deleted here: deleted in QuickBooks.",
    }
    return reasons[phase]


def _invoice_number(session: Session, invoice_id: int) -> str:
    invoice = session.get(Invoice, invoice_id)
    return "" if invoice is None else invoice.number


def _quickbooks_name(session: Session, kind: str, record_id: int) -> str:
    """The full name the record goes to QuickBooks under (what an Add would clash with)."""
    try:
        return kinds.of(kind).quickbooks_name(session, record_id)
    except LookupError:
        return ""


_NAME_LIST_KINDS = (
    ("vendor", "vendor"),
    ("employee", "employee"),
    ("other_name", "name in the Other Names list"),
)


def _name_taken_by(qb_names: dict[str, set[str]], kind: str, name: str) -> str:
    """A customer's name QuickBooks holds for a vendor, an employee or another name."""
    if kind != "customer" or not name:
        return ""
    lowered = name.lower()
    for bucket, words in _NAME_LIST_KINDS:
        if lowered in qb_names.get(bucket, set()):
            return words
    return ""


def _count(rows: list[PreviewRow]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        counts.setdefault(row.entity_type, Counter())[row.outcome] += 1
    return counts
