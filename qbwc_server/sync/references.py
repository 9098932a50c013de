"""A record QuickBooks refused for another it refers to (3120/3140 about another record).

What the refusal names decides: a linked record QuickBooks no longer has is unlinked and
added again (``_add_again``), once per refused item; a list JobDesk does not create (an
account, a payment method …) is explained; what is not in QuickBooks yet is queued first.
One still refused after that, or whose own change waits for a person, waits for a person
with an alert that says which record and what to do.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import NEEDS_ATTENTION, Action, Phase, QueueState, requeue
from desktop_app.services.sync_queue import enqueue_in, label_of
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.alerts import raise_alert
from qbwc_server.sync.decisions import Decision
from qbwc_server.sync.plan import dependencies

NONE, READDED, AGAIN, WAITS, BUSY, BUSY_AGAIN = "", "re-added", "again", "waits", "busy", "busy again"
#: Phases in which a linked record's own item is finding out what QuickBooks holds of it.
_LOOKING = (Phase.REFRESH, Phase.VERIFY)
#: How long a refused item waits for such a record to settle before it goes again.
BUSY_WAIT = timedelta(minutes=1)


def missing_reference_handled(session: Session, item: SyncItem, result: q.Result, decision: Decision) -> bool:
    """3120/3140 about another record: re-add a dependency QuickBooks lost, explain a list JobDesk
    does not create, queue what it refers to, or retry a few times; False: none of these.

    Each record is re-added once for the item (``SyncItem.readded_references``): one that
    QuickBooks still refuses after that (made inactive there, say) waits for a person, so a
    refusal never goes round for ever, however many lost records a genuine recovery re-adds."""
    message = result.status.status_message
    label = label_of(session, item.entity_type, item.entity_id)
    if item.entity_id is None:
        return False
    outcome = _unlink_missing_dependency(session, item, message)
    if outcome == READDED:
        requeue(item, decision.phase, "Waiting for a record QuickBooks did not have.")
        return True
    missing = missing_reference(message)
    if missing is not None and missing[0] in _QB_KIND_WORDS:
        _cannot_create(session, item, label, result.status.status_code, message, *missing)
        return True
    if outcome == NONE and missing is not None:
        outcome = _enqueue_referenced(session, item, missing[0])
        if outcome == READDED:
            requeue(item, decision.phase, f"Waiting for {missing[1]} to reach QuickBooks first.")
            return True
    if outcome == BUSY:
        dep = json.loads(item.depends_on or "[]")
        other = label_of(session, dep[0][0], int(dep[0][1])) if dep else "a record it refers to"
        note = f"Waiting for {other} to be checked in QuickBooks first."
        requeue(item, decision.phase, note, delay=BUSY_WAIT)
        return True
    if outcome in (WAITS, BUSY_AGAIN):
        _refused_while_waiting(session, item, label, result, checking=outcome == BUSY_AGAIN)
        return True
    if outcome == AGAIN:
        _refused_again(session, item, label, result)
        return True
    if item.attempts < 3:
        requeue(item, decision.phase, "A record it refers to was not in QuickBooks yet.")
        return True
    return False


def _readded(item: SyncItem, dep_type: str, dep_id: int) -> bool:
    """Whether this record was re-added for the item before; notes it as re-added now if not."""
    return _noted(item, f"{dep_type}:{dep_id}")


def _noted(item: SyncItem, key: str) -> bool:
    """Whether ``key`` is noted on the item since a person last sent it; notes it now if not
    (``SyncItem.readded_references``: forgotten when a person sends the item again)."""
    done = [key for key in (item.readded_references or "").split(",") if key]
    if key in done:
        return True
    item.readded_references = ",".join([*done, key])
    return False


def _refused_while_waiting(
    session: Session, item: SyncItem, label: str, result: q.Result, *, checking: bool = False
) -> None:
    """QuickBooks refused the item for a record whose own change waits for a person, or
    (``checking``) that JobDesk was still checking in QuickBooks after the item waited once."""
    code, message = result.status.status_code, result.status.status_message
    dep = json.loads(item.depends_on or "[]")
    other = label_of(session, dep[0][0], int(dep[0][1])) if dep else "a record it refers to"
    if checking:
        why = (
            f"JobDesk is still checking {other} in QuickBooks (see it in the queue, and its alert if "
            f"it has one). Once {other} is up to date, retry this."
        )
        tried = "Waited for the check once; nothing was changed in QuickBooks or in JobDesk."
    else:
        why = (
            f"{other} itself waits for a decision of yours in its own alert. Settle that one first, "
            "then retry this."
        )
        tried = "Nothing was changed in QuickBooks or in JobDesk."
    raise_alert(
        session,
        item,
        kind="reference_waits",
        label=label,
        code=code,
        qb_message=message,
        message=(
            f"{label} was not saved in QuickBooks: QuickBooks does not accept {other}, which it "
            f"refers to (QuickBooks said: “{message}”), and {why}"
        ),
        tried=tried,
        resolutions=("retry", "dismiss"),
    )


def _refused_again(session: Session, item: SyncItem, label: str, result: q.Result) -> None:
    code, message = result.status.status_code, result.status.status_message
    # "kind:id" for each record sent again ("busy:kind:id" notes a wait, not a record sent).
    notes = [key.split(":") for key in (item.readded_references or "").split(",")]
    sent_again = [(key[0], int(key[1])) for key in notes if len(key) == 2 and key[1].isdigit()]
    names = [label_of(session, kind, record_id) for kind, record_id in sent_again]
    what = ", ".join(names) if names else "a record it refers to"
    raise_alert(
        session,
        item,
        kind="reference_refused",
        label=label,
        code=code,
        qb_message=message,
        message=(
            f"{label} was not saved in QuickBooks: QuickBooks still refuses a record it refers to "
            f"after JobDesk sent {what} to QuickBooks again (QuickBooks said: “{message}”). That "
            "record may be inactive or changed in QuickBooks: make it active there (or choose "
            "another in JobDesk), then retry."
        ),
        tried=f"Sent it {item.attempts} time(s); sent {what} to QuickBooks again first.",
        resolutions=("retry", "edit", "dismiss"),
    )


#: What a person calls the lists JobDesk cannot create in QuickBooks.
_QB_KIND_WORDS = {
    "Account": "account",
    "PaymentMethod": "payment method",
    "Vendor": "vendor",
    "Class": "class",
    "SalesRep": "sales rep",
    "SalesTaxCode": "sales-tax code",
    "CustomerType": "customer type",
    "Template": "form template",
}
_INVALID_REFERENCE = re.compile(r'invalid reference to QuickBooks (\w+) "([^"]*)"')


def missing_reference(message: str) -> tuple[str, str] | None:
    """(QuickBooks list, name) from a 3140 message: 'invalid reference to QuickBooks Account "X"'."""
    found = _INVALID_REFERENCE.search(message)
    return None if found is None else (found.group(1), found.group(2))


def _enqueue_referenced(session: Session, item: SyncItem, qb_kind: str) -> str:
    """A 3140 on a record of a kind JobDesk makes: queue its own dependencies of that kind
    (``AGAIN`` when each was re-added for it before)."""
    ours = kinds.kinds_for_quickbooks_list(qb_kind)
    lists, txns = dependencies(session, item)
    outcomes = {NONE}
    for dep_type, dep_id in lists + txns:
        if dep_type not in ours:
            continue
        outcomes.add(_add_again(session, item, dep_type, dep_id))
    return next(outcome for outcome in (READDED, WAITS, BUSY, BUSY_AGAIN, AGAIN, NONE) if outcome in outcomes)


def _cannot_create(
    session: Session, item: SyncItem, label: str, code: int, message: str, qb_kind: str, name: str
) -> None:
    """A 3140 naming a list JobDesk does not create (an account, a payment method…)."""
    from desktop_app.db.models import Account

    word = _QB_KIND_WORDS.get(qb_kind, qb_kind)
    choices: list[str] = []
    if qb_kind == "Account":
        linked = select(QbLink.entity_id).where(QbLink.entity_type == "account")
        choices = list(
            session.scalars(
                select(Account.full_name).where(Account.id.in_(linked)).order_by(Account.full_name)
            )
        )
    offered = (
        f" QuickBooks has: {', '.join(choices[:8])}{' …' if len(choices) > 8 else ''}." if choices else ""
    )
    article = "an" if word[:1] in "aeiou" else "a"
    where = "on this alert (Use a QuickBooks account…)" if qb_kind == "Account" else "in JobDesk"
    raise_alert(
        session,
        item,
        kind="missing_in_quickbooks",
        label=label,
        code=code,
        qb_message=message,
        message=(
            f"{label} was not saved in QuickBooks: it uses the {word} “{name}”, which this QuickBooks "
            f"company does not have, and JobDesk cannot create {article} {word} there.{offered} Choose one "
            f"QuickBooks has {where} (or create “{name}” in QuickBooks), then retry."
        ),
        tried=f"Sent it {item.attempts} time(s).",
        resolutions=("edit", "retry", "dismiss"),
        data={"missing_kind": qb_kind, "missing_name": name, "choices": choices},
    )


def _unlink_missing_dependency(session: Session, item: SyncItem, message: str) -> str:
    """A linked record our request referred to is gone from QuickBooks: unlink and re-add it
    (``AGAIN`` when it was re-added for this item before, and QuickBooks still refuses it)."""
    lists, txns = dependencies(session, item)
    for dep_type, dep_id in lists + txns:
        link = m.link_of(session, dep_type, dep_id)
        if link is not None and (link.qb_id in message or (link.qb_name and f'"{link.qb_name}"' in message)):
            return _add_again(session, item, dep_type, dep_id)
    return NONE


def _add_again(session: Session, item: SyncItem, dep_type: str, dep_id: int) -> str:
    """QuickBooks no longer has a record the item refers to: unlink it and queue it to be
    added again (``READDED``); ``AGAIN`` when it was re-added for the item before. ``WAITS``
    when the record's own change waits for a person (an edit conflict, a refusal …): it is
    left exactly as it is, link and all, for the person to settle first: re-adding it would
    decide for them (a value typed in QuickBooks overwritten by ours, say)."""
    waiting = session.scalar(
        select(SyncItem.id).where(
            SyncItem.entity_type == dep_type,
            SyncItem.entity_id == dep_id,
            SyncItem.action == Action.UPSERT,
            SyncItem.state.in_(NEEDS_ATTENTION),
        )
    )
    if waiting is not None:
        item.depends_on = json.dumps([[dep_type, dep_id]])
        return WAITS
    link = m.link_of(session, dep_type, dep_id)
    busy = link is not None and session.scalar(
        select(SyncItem.id).where(
            SyncItem.entity_type == dep_type,
            SyncItem.entity_id == dep_id,
            SyncItem.action == Action.UPSERT,
            or_(
                SyncItem.state == QueueState.SENT,
                (SyncItem.state == QueueState.QUEUED) & SyncItem.phase.in_(_LOOKING),
            ),
        )
    )
    if busy:
        # Linked, and its own item is out with QuickBooks or re-reading it (after a 3200, a
        # lost answer …): unlinked under it, that would be taken for a deletion in
        # QuickBooks, or its agreed values lost. The refused item waits for it to settle,
        # once: still so the next time (its re-read waits itself), a person is asked.
        item.depends_on = json.dumps([[dep_type, dep_id]])
        return BUSY_AGAIN if _noted(item, f"busy:{dep_type}:{dep_id}") else BUSY
    if _readded(item, dep_type, dep_id):
        return AGAIN
    again = enqueue_in(session, dep_type, dep_id)
    if link is not None:
        # QuickBooks may still have it (inactive there): found again by name, it gets back
        # what was agreed, and only what changed here is sent (``_on_found``).
        before = {"qb_id": link.qb_id, "edit_sequence": link.edit_sequence}
        again.previous_link = json.dumps({**before, "synced_values": link.synced_values or "{}"})
        session.delete(link)
        m.cache_link(session, dep_type, dep_id, None)
        session.flush()
    return READDED
