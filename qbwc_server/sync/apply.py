"""Applying QuickBooks' answer to one queue item: the one writer of ``decisions``.

``answer_of`` gathers what the decision needs (the kind's own reading of what a lookup
found, our link, the item's attempts), ``decisions.decide`` says what the answer means,
and ``write`` does it with the ORM: every act leaves the item done, queued for its next
phase, waiting with backoff, or in front of a person with an alert. ``fast_apply`` writes
the common acts with plain statements instead; both write the same rows (a test compares).
"""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import Alert, SyncBatch, SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.services import record_kinds
from desktop_app.services.queue_states import (
    LOOKS_UP,
    Action,
    Phase,
    finish,
    finish_found,
    look_first,
    looked_up_for_undo,
    requeue,
    undone_next,
)
from desktop_app.services.sync_queue import UNDO_WAITS, close_alert, label_of
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds, references
from qbwc_server.sync.alerts import explain, item_label, raise_alert
from qbwc_server.sync.decisions import (
    LOCK_ALERT_AFTER,
    LOCK_CODES,
    LOOKUPS,
    NOT_FOUND_NOTE,
    REFRESHED_NOTE,
    Act,
    Answer,
    Decision,
    decide,
)
from qbwc_server.sync.duplicates import remove_duplicate
from qbwc_server.sync.imports import QUICKBOOKS, apply_import
from qbwc_server.sync.kinds.base import carried_values, possible_values
from qbwc_server.sync.links import link_without_record, set_link

__all__ = ["LOCK_ALERT_AFTER", "LOCK_CODES", "NOT_FOUND_NOTE", "answer_of", "apply_result", "write"]


def answer_of(session: Session, item: SyncItem, result: q.Result) -> tuple[Answer, list[q.Record]]:
    """What the decision needs to know of the item and the answer, and the records found."""
    status = result.status
    kind = kinds.of(item.entity_type)
    records = list(result.records)
    if item.phase in LOOKUPS and not status.is_error:
        records = kind.found(session, item, records)
    link = m.link_of(session, item.entity_type, item.entity_id) if item.entity_id is not None else None
    record = result.record
    answered = "" if record is None else (record.list_id or record.txn_id or "")
    answer = Answer(
        kind=item.entity_type,
        phase=item.phase,
        code=status.status_code,
        is_error=status.is_error,
        message=status.status_message,
        attempts=item.attempts,
        is_list=kind.is_list,
        found=len(records),
        answered_id=answered if not status.is_error else "",
        linked_id="" if link is None else link.qb_id,
        refreshed_once=item.note.startswith(REFRESHED_NOTE),
        continued=bool(item.iterator_id),
        links_only=kind.links_only,
        restarted_this_session=(
            status.status_code == 3391
            and bool(item.restarted_in)
            and item.restarted_in == _ticket_of(session, item)
        ),
    )
    return answer, records


def apply_result(session: Session, item: SyncItem, result: q.Result, sent_values: dict[str, str]) -> None:
    """Decide what the answer means, and write it (the general, ORM way)."""
    answer, records = answer_of(session, item, result)
    write(session, item, result, decide(answer), sent_values, records)


def write(
    session: Session,
    item: SyncItem,
    result: q.Result,
    decision: Decision,
    sent_values: dict[str, str],
    records: list[q.Record],
) -> None:
    """Apply one decision to the item, its record's link, and alerts."""
    status = result.status
    item.status_code = status.status_code
    item.status_message = status.status_message
    act = decision.act
    kind = kinds.of(item.entity_type)
    record = result.record
    if act in (Act.RESTART_IMPORT, Act.CLAIM, Act.REFRESH, Act.RETRY_LATER, Act.CHECK_LINKS):
        if act == Act.RESTART_IMPORT:
            item.iterator_id = ""  # QuickBooks forgot it (a new session): read from the top
            item.restarted_in = _ticket_of(session, item)
        requeue(item, decision.phase, decision.note, delay=decision.delay)
    elif act in (Act.ALREADY_GONE, Act.DONE):
        finish(item, decision.note)
    elif act == Act.LOCKED_TOO_LONG:
        label = label_of(session, item.entity_type, item.entity_id)
        raise_alert(
            session,
            item,
            kind="locked",
            label=label,
            code=status.status_code,
            qb_message=status.status_message,
            message=(
                f"{label} stays locked in QuickBooks. {explain(status.status_code, '')} Close it there, "
                "then retry."
            ),
            tried=f"Tried {item.attempts} times over several sessions.",
            resolutions=("retry", "dismiss"),
        )
    elif act == Act.KEEPS_CHANGING:
        label = label_of(session, item.entity_type, item.entity_id)
        raise_alert(
            session,
            item,
            kind="edit_conflict",
            label=label,
            code=status.status_code,
            qb_message=status.status_message,
            message=f"{label} keeps changing in QuickBooks while we update it. Retry later.",
            tried="Re-read the record and retried once.",
            resolutions=("retry", "dismiss"),
        )
    elif act in (Act.DELETED_ALREADY, Act.UNLINKED):
        _unlink(session, item)
        finish(item, decision.note)
    elif act == Act.DELETED_IN_QUICKBOOKS and item.entity_id is not None:
        _deleted_in_quickbooks(session, item, m.link_of(session, item.entity_type, item.entity_id))
    elif act == Act.MISSING_REFERENCE:
        if not references.missing_reference_handled(session, item, result, decision):
            _failed(session, item, result)
    elif act == Act.FAILED:
        _failed(session, item, result)
    elif act == Act.IMPORTED:
        apply_import(session, item, result)
    elif act == Act.LINKED_ONLY and item.entity_id is not None:
        link_without_record(session, item, kind.links_only_id(session, item), sent_values)
        finish(item, decision.note)
    elif act == Act.NO_RECORD:
        unexpected_answer(session, item, "it said the change worked but sent back no record")
    elif act == Act.SECOND_COPY and record is not None:
        # Two sessions added the same record (a Web Connector that stopped, then came back
        # with an answer a newer session no longer waited for): keep the first.
        qb_id = record.list_id or record.txn_id or ""
        remove_duplicate(session, item, qb_id, record.ref_number or record.full_name or "")
        finish(item, decision.note)
    elif act == Act.SAVED and record is not None:
        set_link(session, item, record, sent_values)
        kind.after_save(session, item, record, sent_values)
        finish(item)
    elif act == Act.NAME_USED_ELSEWHERE:
        _name_used_elsewhere(session, item)
    elif act == Act.NOT_FOUND:
        requeue(item, decision.phase, kind.not_found_note)
    elif act == Act.FOUND:
        _on_found(session, item, kind, records)
    elif act == Act.REFRESHED:
        _on_refresh(session, item, result)
    else:
        unexpected_answer(session, item, f"JobDesk did not expect an answer for the step “{item.phase}”")


def _unlink(session: Session, item: SyncItem) -> None:
    if item.entity_id is None:
        return
    session.execute(
        delete(QbLink).where(QbLink.entity_type == item.entity_type, QbLink.entity_id == item.entity_id)
    )
    m.cache_link(session, item.entity_type, item.entity_id, None)


def unexpected_answer(session: Session, item: SyncItem, what: str) -> None:
    """QuickBooks' answer is not what the step needs: a person looks, the session goes on."""
    label = label_of(session, item.entity_type, item.entity_id)
    code = item.status_code
    raise_alert(
        session,
        item,
        kind="unexpected_answer",
        label=label,
        code=code,
        qb_message=item.status_message,
        message=(
            f"QuickBooks' answer for {label} could not be used: {what} "
            f"(status {code}: “{item.status_message}”). Check the record in QuickBooks, then retry "
            "(JobDesk looks it up before sending it again) or dismiss."
        ),
        tried=f"Sent it {item.attempts} time(s); the answer is kept on the queue item.",
        resolutions=("retry", "dismiss"),
    )
    look_first(item)  # it may have been saved: a retry looks first


# -- lookups: exactly once ----------------------------------------------------------------------


def _on_found(session: Session, item: SyncItem, kind: kinds.SyncKind, records: list[q.Record]) -> None:
    """verify/claim/check found a record of ours (or of our name/number): link it, or say why not."""
    if kind.on_lookup(session, item, records):
        return
    if item.phase == Phase.VERIFY:
        # A record another of ours is linked to is not this one's lost Add (another took the
        # name, and the record, since): none left, this one goes as an Add.
        records = _not_linked_to_others(session, item, records)
        if not records:
            requeue(item, Phase.ADD, kind.not_found_note)
            return
    sent_name = kind.sent_full_name(carried_values(item)) if kind.is_list else ""
    if item.phase == Phase.VERIFY and sent_name:
        # Looked for under the name the lost Add went with and the name now: the first is ours.
        records = sorted(records, key=lambda r: (r.full_name or "").casefold() != sent_name.casefold())
    found = records[0]
    if item.phase == Phase.CLAIM and item.entity_id is not None:
        other = kind.other_type(session, item.entity_id, found)
        if other:
            _name_used_elsewhere(session, item, other=other)
            return
    # Same name, same kind of record: link to it instead of making a duplicate.
    if kind.refuses_link(session, item, found):
        return  # not linked: what needs it waits until a person settles it
    link = set_link(session, item, found, {})
    before = _link_before(item, found)
    link.synced_values = str(before.get("synced_values") or "{}")
    if before.get("edit_sequence"):
        # The EditSequence agreed then: changed in QuickBooks since, the change that follows
        # meets 3200 and both sides are compared (a field changed on both: a person chooses).
        link.edit_sequence = str(before["edit_sequence"])
    item.previous_link = ""
    if item.phase == Phase.CLAIM:
        item.linked_existing = True
    note = "Linked to the existing QuickBooks record of the same name."
    if item.entity_id is not None and kind.values_now(session, item.entity_id):
        # Bring QuickBooks' copy up to date with ours on the next batch.
        requeue(item, Phase.FIRST, note)
    else:
        finish_found(session, item, note)


def _not_linked_to_others(session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
    """The records found that no other record of the item's kind is linked to."""
    ids = {r.list_id or r.txn_id for r in records} - {None, ""}
    if not ids:
        return records
    taken = set(
        session.scalars(
            select(QbLink.qb_id).where(
                QbLink.entity_type == item.entity_type,
                QbLink.qb_id.in_(sorted(str(i) for i in ids)),
                QbLink.entity_id != item.entity_id,
            )
        )
    )
    return [r for r in records if (r.list_id or r.txn_id) not in taken]


def _link_before(item: SyncItem, found: q.Record) -> dict[str, object]:
    """The link the record had before it was unlinked to be added again (its agreed values
    and EditSequence), when the record found is that same QuickBooks record; else nothing."""
    try:
        before = json.loads(item.previous_link or "{}")
    except ValueError:
        return {}
    found_id = found.list_id or found.txn_id
    if isinstance(before, dict) and found_id and before.get("qb_id") == found_id:
        return before
    return {}


def _name_used_elsewhere(session: Session, item: SyncItem, other: str = "") -> None:
    label = label_of(session, item.entity_type, item.entity_id)
    where = other or "a vendor, an employee or an other name"
    raise_alert(
        session,
        item,
        kind="name_in_use",
        label=label,
        code=3100,
        qb_message=item.status_message,
        message=(
            f"{label} could not be added: QuickBooks already uses that name for {where}. "
            "QuickBooks needs names to be unique across customers, vendors, employees and "
            "other names. Rename the record in JobDesk (or the other one in QuickBooks), then retry."
        ),
        tried="Added it; looked for a record of the same kind to link to (none).",
        resolutions=("edit", "retry", "dismiss"),
    )


# -- 3200: both sides changed ----------------------------------------------------------------


def _on_refresh(session: Session, item: SyncItem, result: q.Result) -> None:
    record = result.record
    link = None if item.entity_id is None else m.link_of(session, item.entity_type, item.entity_id)
    if record is None or link is None:
        _deleted_in_quickbooks(session, item, link)
        return
    synced: dict[str, str] = json.loads(link.synced_values or "{}")
    kind = kinds.of(item.entity_type)
    ours = (kind.values_now(session, item.entity_id) if item.entity_id else None) or {}
    clashes = {}
    settled = dict(synced)
    # A Mod of the whole record would overwrite a field changed only in QuickBooks.
    overwrites = (
        bool(ours) and item.entity_id is not None and kind.mod_overwrites(session, item.entity_id, synced)
    )
    for key, our_value in ours.items():
        theirs = kind.qb_value(record, key) or ""
        before = synced.get(key)
        if before is None:
            continue
        maybe = possible_values(before)
        if maybe is not None:
            # A field a lost answer left unknown: QuickBooks holds what was there or what we
            # sent, or someone else changed it there since.
            if theirs in maybe or theirs == our_value:
                settled[key] = theirs  # known again: the Mod sends ours if it differs
            elif our_value in maybe and not overwrites:
                settled[key] = our_value  # changed only there: it stays, as below
            else:
                shown = next((v for v in maybe if v is not None), "")
                clashes[key] = {"jobdesk": our_value, "quickbooks": theirs, "before": shown}
                settled[key] = theirs  # known again, as below
            continue
        if theirs != before and theirs != our_value and (our_value != before or overwrites):
            clashes[key] = {"jobdesk": our_value, "quickbooks": theirs, "before": before}
            # What QuickBooks holds now is the value there: a person who retries (to send
            # ours) is then not shown the same clash again, and dismissing keeps theirs.
            settled[key] = theirs
    unanswered = _unanswered_clashes(session, item)
    for key, clash in unanswered.items():
        # Asked already and not answered (its item queued again by an edit of another
        # field): the question stands while both sides still hold what it showed.
        if (
            key not in clashes
            and key in ours
            and (ours[key], kind.qb_value(record, key) or "")
            == (
                clash.get("jobdesk"),
                clash.get("quickbooks"),
            )
        ):
            clashes[key] = clash
    if unanswered and not clashes:
        _settled_here(session, item)
    kind.learn(session, record, settled)
    if settled != synced:
        link.synced_values = json.dumps(settled)
    link.edit_sequence = record.edit_sequence or link.edit_sequence
    # Fields only QuickBooks changed keep their agreed value here, so the retried Mod
    # (which sends only what we changed) leaves QuickBooks' change in place.
    if clashes:
        label = label_of(session, item.entity_type, item.entity_id)
        shown = "; ".join(
            f"{k}: JobDesk “{v['jobdesk']}”, QuickBooks “{v['quickbooks']}”" for k, v in clashes.items()
        )
        raise_alert(
            session,
            item,
            kind="edit_conflict",
            label=label,
            code=3200,
            qb_message=item.status_message,
            message=(
                f"{label} was changed both in JobDesk and in QuickBooks, in the same fields: {shown}. "
                "Choose which to keep: edit the record in JobDesk and retry to send ours, or dismiss to keep "
                "QuickBooks' values there."
            ),
            tried="Re-read the record from QuickBooks after a stale-edit refusal (3200).",
            resolutions=("retry", "edit", "dismiss"),
            data={"clashes": clashes},
        )
        return
    requeue(item, Phase.MOD, REFRESHED_NOTE)


def _open_conflict(item: SyncItem) -> tuple[ColumnElement[bool], ...]:
    """The item's edit-conflict alert still open."""
    return (Alert.sync_item_id == item.id, Alert.state == "open", Alert.kind == "edit_conflict")


def _unanswered_clashes(session: Session, item: SyncItem) -> dict[str, dict[str, str]]:
    """The clashes of the item's edit-conflict alert still open (a person has not chosen)."""
    data = session.scalar(select(Alert.data).where(*_open_conflict(item)))
    try:
        clashes = json.loads(data or "{}").get("clashes")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(clashes, dict):
        return {}
    return {key: clash for key, clash in clashes.items() if isinstance(clash, dict)}


def _settled_here(session: Session, item: SyncItem) -> None:
    """The fields an open edit conflict asked about no longer clash (changed again in JobDesk,
    a new choice which now goes, or both sides agree): nothing is left to answer."""
    uow = UnitOfWork.joining(session, QUICKBOOKS)
    for alert in session.scalars(select(Alert).where(*_open_conflict(item))):
        close_alert(uow, alert, "settled", "No longer in conflict")


def _deleted_in_quickbooks(session: Session, item: SyncItem, link: QbLink | None) -> None:
    if link is not None:
        session.delete(link)
        m.cache_link(session, link.entity_type, link.entity_id, None)
    kind = kinds.of(item.entity_type)
    if kind.added_again_when_gone and item.action == Action.UPSERT:
        # QuickBooks' record only carries out ours (a credit's $0.00 payment): added again.
        requeue(item, Phase.FIRST, kind.gone_note)
        return
    label = label_of(session, item.entity_type, item.entity_id)
    raise_alert(
        session,
        item,
        kind="deleted_in_quickbooks",
        label=label,
        code=item.status_code,
        qb_message=item.status_message,
        message=(
            f"{label} was deleted in QuickBooks. JobDesk has unlinked it. Retry to add it to "
            "QuickBooks again, or dismiss to leave it out of QuickBooks."
        ),
        tried="Sent the change; QuickBooks no longer has the record.",
        resolutions=("retry", "dismiss"),
    )


# -- errors ------------------------------------------------------------------------------------


#: What re-adding a record a refusal names did (``_unlink_missing_dependency``,
#: ``_enqueue_referenced``): nothing to re-add, re-added, or already re-added for this item.
def _ticket_of(session: Session, item: SyncItem) -> str:
    """The ticket of the session the item's last request went in ("" when not known)."""
    if item.batch_id is None:
        return ""
    return session.scalar(select(SyncBatch.ticket).where(SyncBatch.id == item.batch_id)) or ""


def _failed(session: Session, item: SyncItem, result: q.Result) -> None:
    code, message = result.status.status_code, result.status.status_message
    if item.entity_type == "import":
        _import_failed(session, item, item_label(session, item), code, message)
        return
    label = label_of(session, item.entity_type, item.entity_id)
    fix = "" if item.entity_id is None else kinds.of(item.entity_type).how_to_fix(session, item, code)
    if item.phase in LOOKS_UP:
        # The lookup after a lost answer was refused: the record may well be in QuickBooks.
        what = (
            f"QuickBooks did not answer JobDesk's lookup of {label}, whose last answer was lost: it may "
            "already be in QuickBooks, so nothing more is sent for it until it is found."
        )
        # Dismissed, what undoes it in QuickBooks is given up (or goes without it): said now.
        if undone_next(session, item, elsewhere=True):
            waits = record_kinds.KINDS[item.entity_type].void_waits_note
            fix = " ".join(part for part in (fix, waits) if part)
        elif looked_up_for_undo(session, item) and undone_next(session, item):
            fix = " ".join(part for part in (fix, UNDO_WAITS) if part)
    else:
        what = f"{label} was not saved in QuickBooks."
    raise_alert(
        session,
        item,
        kind="error",
        label=label,
        code=code,
        qb_message=message,
        message=f"{what} {explain(code, message)}" + (f" {fix}" if fix else ""),
        tried=f"Sent {item.attempts} time(s).",
        resolutions=("retry", "edit", "dismiss"),
    )


def _import_failed(session: Session, item: SyncItem, label: str, code: int, message: str) -> None:
    """An import QuickBooks refused: nothing of ours was to be saved; a retry reads again from
    the first page (where QuickBooks was in its list may be what it lost)."""
    item.iterator_id = ""
    raise_alert(
        session,
        item,
        kind="error",
        label=label,
        code=code,
        qb_message=message,
        message=(
            f"{label} stopped: QuickBooks did not answer the request for its next page. "
            f"{explain(code, message)} Nothing in JobDesk or QuickBooks was changed by it; "
            "retry to read again from the first page, or dismiss."
        ),
        tried=f"Asked {item.attempts} time(s); what was read before is kept.",
        resolutions=("retry", "dismiss"),
    )
