"""When QuickBooks refuses a whole message, and when the sync stops moving.

The request processor answers some messages with an hresult and no response at all:
0x80040400 when it cannot parse one request in it (an element it does not know, a
value out of order), and other codes when it cannot work (QuickBooks busy or closed).
Nothing in a message it could not parse was done. Sending the same message again would
fail forever, so its items go again in halves (``SyncItem.isolation``), down to the one
request QuickBooks refuses; that one waits for a person with an alert, and everything
else goes in the same session.

A session that ends with work queued and nothing finished is counted; three in a row
raise one "sync is stuck" alert naming the item at the head of the queue.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from desktop_app.db.sync_models import Alert, SyncBatch, SyncItem
from desktop_app.services.queue_states import MOVING, Action, Phase, QueueState, requeue
from qbwc_server import mapping as m
from qbwc_server.sync import kinds
from qbwc_server.sync.alerts import item_label, raise_alert
from qbwc_server.sync.kinds.base import unknown_value

#: The request processor could not parse the message: nothing in it was done.
PARSE_ERROR = "0x80040400"
#: Not QuickBooks' hresult: JobDesk could not read the answer QuickBooks gave (QuickBooks may
#: have done everything in the message).
UNREADABLE = "unreadable answer"
#: A message holding one item refused this often (other than a parse error) needs a person.
MESSAGE_FAILURE_LIMIT = 3
#: Sessions in a row that end with work queued and nothing finished before "stuck" is said.
STUCK_AFTER = 3
#: Items that were sent and may have been done come back as these phases (checked first).
RECOVERY_PHASE: dict[str, str] = {
    Phase.ADD: Phase.VERIFY,
    Phase.CHECK: Phase.CHECK,
    Phase.VERIFY: Phase.VERIFY,
    Phase.LINKS: Phase.LINKS,
    Phase.CLAIM: Phase.CLAIM,
}
_FRAGMENT_MAX = 4000


def is_parse_error(hresult: str) -> bool:
    return hresult.strip().lower() == PARSE_ERROR


def recover(session: Session, item: SyncItem, note: str) -> None:
    """Back to the queue; an Add whose fate is unknown is looked up in QuickBooks first, and
    the fields a change whose fate is unknown changed are left unknown in its link."""
    if item.entity_type == "import":
        # QuickBooks may have moved its iterator past the page whose answer went missing:
        # read again from the top (every record read is matched and linked, never doubled).
        item.iterator_id = ""
    changed = item.phase in (Phase.MOD, Phase.DELETE) and item.action == Action.UPSERT
    if changed and item.entity_id is not None:
        link = m.link_of(session, item.entity_type, item.entity_id)
        if link is not None:
            link.synced_values = _unknown_where_sent(link.synced_values, item.sent_context)
    requeue(item, RECOVERY_PHASE.get(item.phase, item.phase), note)


def unanswered(session: Session, item: SyncItem) -> None:
    """QuickBooks answered the message but left this request out (with continueOnError it
    answers every request: Intuit documents no such answer). Whether it was done is not
    known, so it goes back as after a lost answer: an Add is looked up before it is sent
    again. Left out (or refused whole on its own, ``message_failures`` counts both, never
    afresh but by a person: the lookups in between are answered) ``MESSAGE_FAILURE_LIMIT``
    times, it waits for a person with an alert instead of going round for ever."""
    item.message_failures += 1
    if item.message_failures < MESSAGE_FAILURE_LIMIT:
        recover(session, item, "QuickBooks' answer left this request out: checking before sending it again.")
        return
    recover(session, item, "")
    label = item_label(session, item)
    raise_alert(
        session,
        item,
        kind="unanswered",
        label=label,
        message=(
            f"QuickBooks has not done {label} {item.message_failures} times (this time its answer left "
            "it out), so JobDesk cannot tell whether QuickBooks saved it. JobDesk looks it up "
            "in QuickBooks before sending it again, so it is never added twice. Check that QuickBooks "
            "is open and up to date, then retry, or dismiss to stop sending it."
        ),
        tried=f"Sent it {item.message_failures} times without an answer for it.",
        resolutions=("retry", "dismiss"),
    )


def _unknown_where_sent(synced_json: str | None, sent_context: str | None) -> str:
    """The synced values with each one the lost request would have changed made unknown
    (``kinds.base.unknown_value``: it remembers both what was there and what was sent)."""
    try:
        synced = json.loads(synced_json or "{}")
        sent = json.loads(sent_context or "{}").get("values", {})
    except (ValueError, AttributeError):
        synced, sent = {}, None
    if not isinstance(synced, dict) or not isinstance(sent, dict):
        return json.dumps({"~": unknown_value(None, None)})  # nothing readable: all unknown
    for key in {*synced, *sent}:
        if synced.get(key) != sent.get(key):
            # What QuickBooks holds for it is not known: sent again, never "nothing to send"
            # (else a person putting the old value back would leave QuickBooks with the lost
            # change). Fields the lost request did not change keep their value, so what
            # someone changed in QuickBooks meanwhile is kept.
            synced[key] = unknown_value(synced.get(key), sent.get(key))
    return json.dumps(synced)


def message_refused(session: Session, batch: SyncBatch, hresult: str, message: str) -> bool:
    """Apply a whole-message refusal to the batch's items; True when the session may go on."""
    items = list(
        session.scalars(
            select(SyncItem)
            .where(SyncItem.batch_id == batch.id, SyncItem.state == QueueState.SENT)
            .order_by(SyncItem.rank, SyncItem.id)
        )
    )
    parse_error = is_parse_error(hresult)
    said = f"{message.strip() or 'no message'} ({hresult or 'no code'})"
    if len(items) == 1:
        return _single_refused(session, items[0], parse_error, hresult, message, said)
    half = (len(items) + 1) // 2
    for index, item in enumerate(items):
        group = f"{batch.id}{'a' if index < half else 'b'}"
        note = f"QuickBooks refused the message this was in: {said}. Sending it again in smaller parts."
        if parse_error:
            # Nothing in a message QuickBooks could not parse was done: same step again.
            requeue(item, _step_again(item), note)
        else:
            recover(session, item, note)
        item.isolation = group
    return True


def _step_again(item: SyncItem) -> str:
    """The step an item whose message QuickBooks could not parse takes again: the same, but a
    first Add of a number looked up before (``check``, or the look-ahead) looks it up afresh,
    as what QuickBooks did not have is good for the next message only, and this one went
    nowhere (QuickBooks accepts a second invoice of a number: finding it is ours)."""
    kind = kinds.registered().get(item.entity_type)
    first_add = item.action == Action.UPSERT and item.phase == Phase.ADD  # an Add: not linked
    if first_add and kind is not None and kind.checks_before_adding:
        return Phase.FIRST
    return item.phase


def _single_refused(
    session: Session, item: SyncItem, parse_error: bool, hresult: str, message: str, said: str
) -> bool:
    item.message_failures += 1
    if parse_error or item.message_failures >= MESSAGE_FAILURE_LIMIT:
        if not parse_error:
            recover(session, item, "")  # it may have been done: a retry looks it up first
        _alert_refused(session, item, parse_error, hresult, message)
        return True
    if hresult == UNREADABLE:
        recover(session, item, f"{message.strip()}. Checking QuickBooks before trying again.")
    else:
        recover(session, item, f"QuickBooks could not process it: {said}. Trying again.")
    item.isolation = item.isolation or f"{item.batch_id}s"
    # QuickBooks itself is in trouble (not our message): this session stops, the next retries.
    return False


def _alert_refused(session: Session, item: SyncItem, parse_error: bool, hresult: str, message: str) -> None:
    label = item_label(session, item)
    fragment = (
        item.request_xml if len(item.request_xml) <= _FRAGMENT_MAX else item.request_xml[:_FRAGMENT_MAX]
    )
    if parse_error:
        text = (
            f"QuickBooks refused {label}: it could not read the request JobDesk sent for it "
            "(QuickBooks said: “" + (message.strip() or "error when parsing the XML") + "”). "
            "Every other record was sent without it. This usually means a field QuickBooks Desktop "
            "does not accept: check the record's fields (the request is shown below), correct the "
            "record, then retry; if it happens again, send the request to JobDesk support."
        )
        tried = "Sent it on its own after the message it was in was refused whole."
    elif hresult == UNREADABLE:
        text = (
            f"JobDesk could not read QuickBooks' answer about {label} ({message.strip()}), and "
            f"QuickBooks has not done it {item.message_failures} times now. QuickBooks may have saved "
            "it: JobDesk looks it up there before sending it again, so it is never added twice. "
            "Retry; if it happens again, send JobDesk's log to support, or dismiss to stop sending it."
        )
        tried = f"Sent it {item.message_failures} times without an answer JobDesk could use."
    else:
        text = (
            f"QuickBooks could not process {label} {item.message_failures} times "
            f"(QuickBooks said: “{message.strip() or 'no message'}”, code {hresult or 'none'}). "
            "Check that QuickBooks is open with no dialog waiting, then retry."
        )
        tried = f"Sent it {item.message_failures} times without an answer JobDesk could use."
    item.isolation = None
    raise_alert(
        session,
        item,
        kind="message_refused",
        label=label,
        qb_message=f"{hresult}: {message}".strip(": "),
        message=text,
        tried=tried,
        resolutions=("edit", "retry", "dismiss"),
        data={"hresult": hresult, "request_xml": fragment},
    )


# -- "sync is stuck" --------------------------------------------------------------------------


def note_session_end(session: Session, finished: int, sessions_without_progress: int) -> int:
    """Count sessions that end with work queued and nothing finished; alert at the third.

    Returns the new count (the caller stores it).
    """
    head = session.scalar(
        select(SyncItem)
        .where(
            SyncItem.state.in_(MOVING),
            or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= datetime.now(UTC)),
        )
        .order_by(SyncItem.rank, SyncItem.id)
        .limit(1)
    )
    if finished or head is None:
        for alert in session.scalars(select(Alert).where(Alert.kind == "stuck", Alert.state == "open")):
            alert.state = "resolved"
            alert.resolution = "moving again"
            alert.resolved_by = "QuickBooks sync"
            alert.resolved_at = datetime.now(UTC)
        return 0
    count = sessions_without_progress + 1
    if (
        count >= STUCK_AFTER
        and session.scalar(select(Alert.id).where(Alert.kind == "stuck", Alert.state == "open").limit(1))
        is None
    ):
        label = item_label(session, head)
        why = (head.note or "no reason recorded").rstrip(" .") + "."
        session.add(
            Alert(
                sync_item_id=head.id,
                entity_type=head.entity_type,
                entity_id=head.entity_id,
                record_label=label[:120],
                kind="stuck",
                message=(
                    f"The sync is stuck: the last {count} sessions with QuickBooks finished nothing while "
                    f"work is waiting. First in line is {label}: {why} Open it to see what it needs, "
                    "retry it, or dismiss it to let the rest go."
                ),
                tried=f"{count} sessions in a row without progress.",
                resolutions="retry,dismiss",
                data=json.dumps({"sessions": count}),
            )
        )
    return count
