"""The near matches a person decides, when JobDesk meets an office's QuickBooks company.

The import (``qb_match_import.import_page``) links exact names, makes JobDesk records of
what is new and proposes the rest. Each proposal is decided here by an admin:

* ``link``: ours and QuickBooks' record are one (not for a vendor's, employee's or other
  name's record: a customer cannot be one of those);
* ``create``: ours goes to QuickBooks as a new record, under the name QuickBooks will take
  (``accepted_name``; when that differs, ours is renamed to it in JobDesk too, so what
  JobDesk shows is what QuickBooks holds), and QuickBooks' record comes in as a JobDesk
  record of its own;
* ``rename``: ours takes the name the person gives (checked like any rename); a name
  equal to QuickBooks' record links the two, any other works as ``create``.

A decision is audited and can be changed until a record of ours has been sent to
QuickBooks after it: from then on QuickBooks holds what was decided.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from desktop_app.db.base import Base
from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import Customer, Item, Job, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.types import utcnow
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.name_match import accepted_name, quickbooks_key
from desktop_app.domain.qb_names import LIST_NAME_MAX, job_qb_name
from desktop_app.domain.status import ItemKind
from desktop_app.errors import Conflict, InvalidTransition, ValidationError
from desktop_app.services import customers, items, jobs
from desktop_app.services.common import audit, get, require_admin
from desktop_app.services.qb_match_import import (
    NAME_ONLY,
    QB_KIND_WORDS,
    REASON_TEXT,
    Matcher,
    PageOutcome,
    import_page,
    rows_by_parent,
)
from desktop_app.services.qb_records import NAME_LIST, link, linked_ids, new_customer, new_item, new_job

__all__ = [
    "DECISION_TEXT",
    "PageOutcome",
    "ProposalRow",
    "decide",
    "import_page",
    "list_proposals",
    "undecided_count",
]

DECISIONS = ("link", "create", "rename")
DECISION_TEXT = {"": "Not decided", "link": "Linked", "create": "Created as new", "rename": "Renamed ours"}
#: QuickBooks Desktop: item names hold 31 characters, names of the customer list 41.
ITEM_NAME_MAX = 31


@dataclass(frozen=True)
class ProposalRow:
    id: int
    #: Ours: customer, job or item.
    entity_type: str
    entity_id: int
    #: Ours, as QuickBooks would show it now (a job: number and name).
    our_name: str
    #: Ours as it was named when proposed.
    our_name_then: str
    qb_name: str
    qb_full_name: str
    #: customer, job, vendor, employee, other_name, item
    qb_kind: str
    qb_record_type: str
    reason: str
    reason_text: str
    explanation: str
    #: (decision, what it does in plain words), in the order to offer them.
    options: tuple[tuple[str, str], ...]
    decision: str
    decision_text: str
    new_name: str
    decided_by: str
    decided_at: datetime | None


# -- reading ---------------------------------------------------------------------------------------


def undecided_count(uow: UnitOfWork) -> int:
    query = select(func.count()).select_from(MatchProposal).where(MatchProposal.decision == "")
    return int(uow.session.scalar(query) or 0)


def list_proposals(uow: UnitOfWork, *, undecided_only: bool = False) -> tuple[ProposalRow, ...]:
    query = select(MatchProposal, QuickBooksListRecord).join(
        QuickBooksListRecord, MatchProposal.qb_record_id == QuickBooksListRecord.id
    )
    if undecided_only:
        query = query.where(MatchProposal.decision == "")
    query = query.order_by(MatchProposal.entity_type, MatchProposal.id)
    return tuple(_row(uow.session, proposal, row) for proposal, row in uow.session.execute(query))


def _qb_form(session: Session, entity_type: str, entity_id: int) -> str:
    """Ours as QuickBooks would name it ("" when it is gone)."""
    if entity_type == "customer":
        customer = session.get(Customer, entity_id)
        return "" if customer is None else customer.display_name
    if entity_type == "job":
        job = session.get(Job, entity_id)
        return "" if job is None else job_qb_name(job.number, job.name)
    item = session.get(Item, entity_id)
    return "" if item is None else item.name


def _options(
    session: Session, proposal: MatchProposal, row: QuickBooksListRecord
) -> tuple[tuple[str, str], ...]:
    ours = _qb_form(session, proposal.entity_type, proposal.entity_id)
    kind = QB_KIND_WORDS.get(row.kind, row.kind)
    accepted = _accepted(session, proposal, row, ours) if ours else ours
    create = f"Create ours in QuickBooks as a new {QB_KIND_WORDS[proposal.entity_type]} named “{accepted}”"
    if accepted != ours:
        create += f" (ours is renamed to “{accepted}” in JobDesk too, as QuickBooks already uses “{ours}”)"
    if row.kind in ("customer", "job", "item"):
        create += f", and bring QuickBooks' “{row.name}” in as a separate {kind}"
    options: list[tuple[str, str]] = []
    linkable = row.kind not in NAME_ONLY and (row.kind != "item" or row.record_type in _KIND_OF_ITEM_TYPE)
    if linkable:
        link_text = f"Link ours to QuickBooks' {kind} “{row.name}”: they are one"
        if ours and ours != row.name:
            # JobDesk keeps its records in QuickBooks up to date: a change of ours is sent there.
            link_text += f"; when ours is next sent, QuickBooks' record takes our name, “{ours}”"
        item = session.get(Item, proposal.entity_id) if proposal.entity_type == "item" else None
        wanted = _KIND_OF_ITEM_TYPE.get(row.record_type)
        if item is not None and wanted is not None and item.kind != wanted:
            link_text += f" (ours becomes a {wanted.value} item, as it is in QuickBooks)"
        options.append(("link", link_text))
    options.append(("create", create))
    options.append(("rename", "Rename ours, then decide again with the new name"))
    return tuple(options)


def _row(session: Session, proposal: MatchProposal, row: QuickBooksListRecord) -> ProposalRow:
    return ProposalRow(
        id=proposal.id,
        entity_type=proposal.entity_type,
        entity_id=proposal.entity_id,
        our_name=_qb_form(session, proposal.entity_type, proposal.entity_id),
        our_name_then=proposal.our_name,
        qb_name=row.name,
        qb_full_name=row.full_name,
        qb_kind=row.kind,
        qb_record_type=row.record_type,
        reason=proposal.reason,
        reason_text=REASON_TEXT.get(proposal.reason, proposal.reason),
        explanation=proposal.explanation,
        options=_options(session, proposal, row),
        decision=proposal.decision,
        decision_text=DECISION_TEXT.get(proposal.decision, proposal.decision),
        new_name=proposal.new_name,
        decided_by=proposal.decided_by,
        decided_at=proposal.decided_at,
    )


# -- the name QuickBooks will accept --------------------------------------------------------------


def _like_prefix(name: str, limit: int) -> str:
    prefix = " ".join(name.split())[: max(1, limit - 8)].lower()
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _taken(session: Session, proposal: MatchProposal, ours: str) -> tuple[list[str], int]:
    """Names in QuickBooks' list that ours joins (and ours' own JobDesk neighbours), and the limit."""
    entity_type, entity_id = proposal.entity_type, proposal.entity_id
    limit = ITEM_NAME_MAX if entity_type == "item" else LIST_NAME_MAX
    pattern = _like_prefix(ours, limit)
    copy = QuickBooksListRecord
    if entity_type == "customer":
        theirs = select(copy.name).where(copy.kind.in_(NAME_LIST), copy.parent_list_id == "")
        mine = select(Customer.display_name).where(
            Customer.id != entity_id, Customer.display_name_key.like(pattern, escape="\\")
        )
        names = list(session.scalars(mine))
    elif entity_type == "item":
        theirs = select(copy.name).where(copy.kind == "item", copy.parent_list_id == "")
        mine = select(Item.name).where(Item.id != entity_id, Item.name_key.like(pattern, escape="\\"))
        names = list(session.scalars(mine))
    else:
        job = session.get(Job, entity_id)
        customer_id = job.customer_id if job is not None else 0
        parent = session.scalar(
            select(QbLink.qb_id).where(QbLink.entity_type == "customer", QbLink.entity_id == customer_id)
        )
        theirs = select(copy.name).where(copy.kind == "job", copy.parent_list_id == (parent or "-"))
        siblings = select(Job.number, Job.name).where(Job.customer_id == customer_id, Job.id != entity_id)
        names = [job_qb_name(number, name) for number, name in session.execute(siblings)]
    names += list(session.scalars(theirs.where(func.lower(copy.name).like(pattern, escape="\\"))))
    return names, limit


def _accepted(session: Session, proposal: MatchProposal, row: QuickBooksListRecord, ours: str) -> str:
    names, limit = _taken(session, proposal, ours)
    return accepted_name(ours, [*names, row.name], limit)


# -- deciding --------------------------------------------------------------------------------------


def decide(uow: UnitOfWork, proposal_id: int, decision: str, new_name: str = "") -> ProposalRow:
    """Take (or change) the decision on one proposal; see the module's docstring."""
    require_admin(uow, "decide how a JobDesk record matches one in QuickBooks")
    session = uow.session
    proposal = get(uow, MatchProposal, proposal_id, "Match proposal")
    row = get(uow, QuickBooksListRecord, proposal.qb_record_id, "QuickBooks record")
    if decision not in DECISIONS:
        raise ValidationError("decision", "Choose link, create as new, or rename ours.")
    if decision == "link" and row.kind in NAME_ONLY:
        raise ValidationError(
            "decision",
            f"QuickBooks uses “{row.name}” for a {QB_KIND_WORDS[row.kind]}, and a customer cannot be linked "
            "to it. Create ours as new (under a name QuickBooks accepts) or rename it.",
        )
    name = " ".join(new_name.split()) if isinstance(new_name, str) else ""
    if decision == "rename" and not name:
        raise ValidationError("new_name", "Enter the new name for ours.")
    if _qb_form(session, proposal.entity_type, proposal.entity_id) == "":
        raise InvalidTransition("Ours was deleted after this was proposed; there is nothing left to decide.")
    before = (proposal.decision, proposal.new_name)
    if proposal.decision:
        _check_changeable(session, proposal)
        if proposal.decision == decision and (decision != "rename" or proposal.new_name == name):
            return _row(session, proposal, row)
        _undo(uow, proposal, row)
    if decision == "link":
        if proposal.entity_type == "item":
            _take_quickbooks_item_type(uow, proposal, row)
        _link(uow, proposal, row)
        proposal.new_name = ""
    elif decision == "create":
        ours = _qb_form(session, proposal.entity_type, proposal.entity_id)
        accepted = _accepted(session, proposal, row, ours)
        if accepted != ours:
            _rename(uow, proposal, _jobdesk_name(session, proposal, accepted))
        proposal.new_name = accepted
        _bring_in(uow, proposal, row)
    else:
        decision = _rename_ours(uow, proposal, row, name)
    proposal.decision = decision
    proposal.decided_by = uow.actor.name[:80]
    proposal.decided_at = utcnow()
    session.flush()
    ours_now = _qb_form(session, proposal.entity_type, proposal.entity_id)
    audit(
        uow,
        "match_decision",
        proposal.entity_type,
        proposal.entity_id,
        summary=f"{DECISION_TEXT[decision]}: ours “{ours_now}”, QuickBooks' “{row.full_name}”",
        changes={
            "decision": [before[0], decision],
            "new_name": [before[1], proposal.new_name],
            "quickbooks": row.full_name,
        },
    )
    return _row(session, proposal, row)


#: QuickBooks item types JobDesk's price book has, and the kind each is here.
_KIND_OF_ITEM_TYPE = {"ItemService": ItemKind.SERVICE, "ItemNonInventory": ItemKind.MATERIAL}


def _take_quickbooks_item_type(uow: UnitOfWork, proposal: MatchProposal, row: QuickBooksListRecord) -> None:
    """Linked items are one item: ours takes QuickBooks' type (a Mod of another type is refused
    there), or the link is refused when JobDesk's price book has no item of that type."""
    item = get(uow, Item, proposal.entity_id, "Item")
    kind = _KIND_OF_ITEM_TYPE.get(row.record_type)
    if kind is None:
        shown = row.record_type.removeprefix("Item") or "another type of"
        raise ValidationError(
            "decision",
            f"QuickBooks' “{row.name}” is a {shown} item, which JobDesk's price book does not have, so ours "
            "cannot be linked to it. Create ours as new (under a name QuickBooks accepts) or rename it.",
        )
    if item.kind != kind:
        audit(
            uow,
            "update",
            "item",
            item.id,
            summary=f"Item “{item.name}” becomes a {kind.value} item, as in QuickBooks",
            changes={"kind": [item.kind, kind.value]},
        )
        item.kind = kind.value


def _check_changeable(session: Session, proposal: MatchProposal) -> None:
    if proposal.decided_at is None:
        return
    sent = session.scalar(
        select(SyncItem.id)
        .where(
            SyncItem.entity_type != "import",
            SyncItem.sent_at.is_not(None),
            SyncItem.sent_at >= proposal.decided_at,
        )
        .limit(1)
    )
    if sent is not None:
        raise InvalidTransition(
            "This decision can no longer be changed: the sync has sent records of ours to QuickBooks "
            "since it was taken, so QuickBooks now holds what was decided. Change the record in "
            "QuickBooks and in JobDesk instead."
        )


def _link(uow: UnitOfWork, proposal: MatchProposal, row: QuickBooksListRecord) -> None:
    session = uow.session
    holder = linked_ids(session, proposal.entity_type, [row.list_id]).get(row.list_id)
    if holder is not None and holder != proposal.entity_id:
        raise Conflict(
            f"QuickBooks' “{row.full_name}” is already linked to another JobDesk record; "
            "create ours as new or rename it instead."
        )
    if not link(session, proposal.entity_type, proposal.entity_id, row) and holder is None:
        raise Conflict(
            "Ours is already linked to another QuickBooks record, so it cannot be linked to "
            f"“{row.full_name}”."
        )
    _children(uow, row)


def _jobdesk_name(session: Session, proposal: MatchProposal, qb_name: str) -> str:
    """The JobDesk name that makes ours appear in QuickBooks as ``qb_name`` (a job adds its number)."""
    if proposal.entity_type != "job":
        return qb_name
    job = session.get(Job, proposal.entity_id)
    number = "" if job is None else job.number
    prefix = f"{number} "
    return qb_name[len(prefix) :] if number and qb_name.startswith(prefix) else qb_name


def _rename(uow: UnitOfWork, proposal: MatchProposal, name: str) -> None:
    """Ours renamed through its own service: the same checks as any rename, audited there."""
    if proposal.entity_type == "customer":
        customer = customers.get_customer(uow, proposal.entity_id)
        if customer.display_name != name:
            fields = replace(customer.to_fields(), display_name=name)
            customers.update_customer(uow, customer.id, customer.version, fields)
    elif proposal.entity_type == "job":
        job = jobs.get_job(uow, proposal.entity_id)
        if job.name != name:
            jobs.update_job(uow, job.id, job.version, replace(job.to_fields(), name=name))
    else:
        item = items.get_item(uow, proposal.entity_id)
        if item.name != name:
            items.update_item(uow, item.id, item.version, replace(item.to_fields(), name=name))


def _rename_ours(uow: UnitOfWork, proposal: MatchProposal, row: QuickBooksListRecord, name: str) -> str:
    """Rename ours; the decision it amounts to (link when the name is QuickBooks' record's)."""
    session = uow.session
    _rename(uow, proposal, name)
    session.flush()
    ours = _qb_form(session, proposal.entity_type, proposal.entity_id)
    proposal.new_name = ours[:41]
    if ours == row.name and row.kind not in NAME_ONLY and row.kind == proposal.entity_type:
        _link(uow, proposal, row)
        return "link"
    names, _ = _taken(session, proposal, ours)
    taken = {quickbooks_key(n) for n in [*names, row.name]}
    if quickbooks_key(ours) in taken:
        raise ValidationError(
            "new_name", f"QuickBooks already uses “{ours}” for another record. Choose a different name."
        )
    _bring_in(uow, proposal, row)
    return "rename"


def _bring_in(uow: UnitOfWork, proposal: MatchProposal, row: QuickBooksListRecord) -> None:
    """QuickBooks' record as a JobDesk record of its own, unless another proposal still holds it."""
    session = uow.session
    if row.kind not in ("customer", "job", "item"):
        return
    if linked_ids(session, row.kind, [row.list_id]):
        return
    open_elsewhere = session.scalar(
        select(MatchProposal.id)
        .where(
            MatchProposal.qb_record_id == row.id,
            MatchProposal.decision == "",
            MatchProposal.id != proposal.id,
        )
        .limit(1)
    )
    if open_elsewhere is not None:
        return  # another record of ours may still be this one: it waits for that decision
    made: Customer | Job | Item | None
    if row.kind == "customer":
        made = new_customer(session, row)
    elif row.kind == "item":
        made = new_item(session, row)
    else:
        parent = linked_ids(session, "customer", [row.parent_list_id]).get(row.parent_list_id)
        made = None if parent is None else new_job(uow, row, parent)
    if made is None:
        return
    session.flush()
    link(session, row.kind, made.id, row)
    _children(uow, row)


def _children(uow: UnitOfWork, row: QuickBooksListRecord) -> None:
    """A customer now linked: its QuickBooks jobs, skipped while it waited, are matched now."""
    if row.kind == "customer":
        session = uow.session
        session.flush()
        Matcher(uow).match(rows_by_parent(session, row.list_id))


def _undo(uow: UnitOfWork, proposal: MatchProposal, row: QuickBooksListRecord) -> None:
    """Take back what the last decision did, before another is applied."""
    session = uow.session
    if proposal.decision == "link":
        session.execute(
            delete(QbLink).where(
                QbLink.entity_type == proposal.entity_type,
                QbLink.entity_id == proposal.entity_id,
                QbLink.qb_id == row.list_id,
            )
        )
    else:
        _remove_copy(session, proposal, row)
    session.flush()
    if proposal.decision != "link" and proposal.our_name:
        _rename(uow, proposal, proposal.our_name)
    proposal.new_name = ""


_TABLE_OF = {"customer": Customer, "job": Job, "item": Item}


def _remove_copy(session: Session, proposal: MatchProposal, row: QuickBooksListRecord) -> None:
    """The JobDesk record made from QuickBooks' record goes, if nothing was attached to it."""
    if row.kind != proposal.entity_type:
        return
    copy_id = linked_ids(session, row.kind, [row.list_id]).get(row.list_id)
    if copy_id is None or copy_id == proposal.entity_id:
        return
    model = _TABLE_OF[row.kind]
    if row.kind == "customer":
        # Its jobs came from QuickBooks with it: they go with it, if nothing uses them.
        for job_id in session.scalars(select(Job.id).where(Job.customer_id == copy_id)):
            _remove_job_copy(session, row, job_id)
    if _referenced(session, model.__tablename__, copy_id):
        raise InvalidTransition(
            f"QuickBooks' “{row.full_name}” was brought into JobDesk and has since been used (jobs, "
            "invoices or lines refer to it), so this decision can no longer be changed."
        )
    session.execute(delete(QbLink).where(QbLink.entity_type == row.kind, QbLink.entity_id == copy_id))
    record = session.get(model, copy_id)
    if record is not None:
        session.delete(record)


def _remove_job_copy(session: Session, row: QuickBooksListRecord, job_id: int) -> None:
    qb_id = session.scalar(
        select(QbLink.qb_id).where(QbLink.entity_type == "job", QbLink.entity_id == job_id)
    )
    from_quickbooks = qb_id is not None and session.scalar(
        select(QuickBooksListRecord.id).where(
            QuickBooksListRecord.kind == "job",
            QuickBooksListRecord.list_id == qb_id,
            QuickBooksListRecord.parent_list_id == row.list_id,
        )
    )
    if not from_quickbooks or _referenced(session, Job.__tablename__, job_id):
        return  # made or used here: the customer stays (and says why below)
    session.execute(delete(QbLink).where(QbLink.entity_type == "job", QbLink.entity_id == job_id))
    job = session.get(Job, job_id)
    if job is not None:
        session.delete(job)
    session.flush()


def _referenced(session: Session, table_name: str, record_id: int) -> bool:
    """Does any row of any table refer to this one (read from the schema's foreign keys)?"""
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == table_name and key.column.name == "id":
                column = key.parent
                found = session.execute(select(column).where(column == record_id).limit(1)).first()
                if found is not None:
                    return True
    return False
