"""Applying one message's answers: in order, in the message's transaction, common ones together.

Each answer is offered to ``fast_apply`` first, which decides it (``decisions``) and says
which statements write it. Common answers in a row are written together, one statement
for all rows of a kind (``fast_apply.write_many``); any other answer first has those
written, then goes alone: the fast path's statements in a savepoint of their own, or the
general writer (``apply``), which commits what came before so a failure gives up only it.
An answer that cannot be applied at all gets an alert; the database failing stops the
message with nothing lost (its items are still "sent", and are looked up before anything
is sent again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import UnitOfWork
from desktop_app.db.write_gate import WriteGate
from desktop_app.errors import DatabaseUnavailable
from desktop_app.services.queue_states import FINISHED, QueueState, now
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import check_groups, in_flight, late
from qbwc_server.sync.apply import apply_result as apply_one
from qbwc_server.sync.fast_apply import Fast, prepare_fast, write_many, write_one

log = logging.getLogger(__name__)

#: How long the sync keeps the write lock, once a person's save waits for it, before it
#: commits the answers applied so far and lets the save in (seconds).
SHARE_SECONDS = 0.02
#: Common answers written together at most (a message of grouped lookups answers more).
TOGETHER_MAX = 200

_now_s = time.monotonic


class _FastFailed(Exception):
    """Writing one answer the fast way failed (its savepoint is rolled back already)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class _Answer:
    """One item's answer, as it will be applied."""

    item: SyncItem
    result: q.Result
    sent_values: dict[str, str]
    part: str
    fast: Fast | None


@dataclass
class MessageAnswers:
    """The answers of one message, applied to their items in the message's transaction."""

    session: Session
    uow: UnitOfWork
    gate: WriteGate | None
    response_xml: str
    #: Requests the message held (1: an item's answer is the whole response).
    count: int
    #: Items finished in this session (the progress bar's count): added to as they finish.
    finished: set[int]
    #: The batch the answers belong to (the last one seen).
    batch_id: int | None = None
    _together: list[_Answer] = field(default_factory=list)
    #: Where the last request's part ended (``result_xml``: answers come in the order sent).
    _read_to: int = 0
    #: When the answers are applied: one time for all written between two commits (a value
    #: repeated in a statement's rows is converted once, ``writes``), taken anew at each.
    at: datetime = field(default_factory=now)

    def apply(self, answered: Iterable[tuple[str, SyncItem | None, q.Result]]) -> None:
        session = self.session
        since = _now_s()
        for request_id, item, result in answered:
            if item is None:
                # Not (or no longer) waiting for this answer: a session that was taken
                # over still says what QuickBooks did, and that is kept.
                self._write_together()
                self._commit()
                self._late(request_id, result)
                continue
            if item.state != QueueState.SENT:
                continue  # already applied (a repeated answer)
            self.batch_id = item.batch_id
            try:
                answer = self._answer(item, result, request_id)
            except (DatabaseUnavailable, OperationalError):
                session.rollback()
                raise  # the database, not the answer: the session stops, nothing is lost
            except DBAPIError as error:
                # The database refused a read: on PostgreSQL the transaction can do nothing
                # more, so the answers waiting are given up with it (their items are still
                # "sent", and are looked up before anything is sent again).
                self._together.clear()
                self._not_applied(item, error)
                continue
            except Exception as error:
                self._write_together()
                self._commit()
                self._not_applied(item, error)
                continue
            if answer.fast is not None:
                self._together.append(answer)
                if len(self._together) >= TOGETHER_MAX:
                    self._write_together()
            else:
                self._write_together()
                self._alone(answer)
            if self.gate is not None and self.gate.someone_waiting and _now_s() - since > SHARE_SECONDS:
                # A person's save waits for the lock: it goes now (the gate lets it in
                # before this session's next write), then the message goes on.
                self._write_together()
                self._commit()
                since = _now_s()
        self._write_together()

    def _commit(self, *, session_only: bool = False) -> None:
        """Commit what is written so far; the answers after it are written with a time of
        their own (another writer may go in now: none of them may seem to predate it)."""
        if session_only:
            self.session.commit()
        else:
            self.uow.commit()
        self.at = now()

    def _late(self, request_id: str, result: q.Result) -> None:
        """An answer no item waits for: kept if it can be (``late``); one that cannot be used
        is logged and costs only itself, never the message's other answers."""
        try:
            late.late_answer(self.session, request_id, result)
            self._commit()
        except (DatabaseUnavailable, OperationalError):
            self.session.rollback()
            raise
        except Exception:
            self.session.rollback()
            log.exception(
                "QuickBooks' answer %s, which no queue item waits for, could not be used", request_id
            )

    def _answer(self, item: SyncItem, result: q.Result, request_id: str) -> _Answer:
        stored, values_json = in_flight.read_sent(item.sent_context)
        sent_values: dict[str, str] = stored.get("values", {})
        result = check_groups.result_for(item, result, stored.get("extra") or {})
        part, self._read_to = result_xml(self.response_xml, request_id, self.count, self._read_to)
        fast = prepare_fast(self.session, item, result, sent_values, part, values_json, self.at)
        return _Answer(item, result, sent_values, part, fast)

    def _write_together(self) -> None:
        """The common answers waiting, written together (or, failing that, one by one)."""
        if not self._together:
            return
        lot, self._together = self._together, []
        by_fast = {id(answer.fast): answer for answer in lot}
        left = write_many(self.session, [answer.fast for answer in lot if answer.fast is not None])
        for fast in left:
            self._alone(by_fast[id(fast)])
        for answer in lot:
            if answer.item.state in FINISHED:
                self.finished.add(answer.item.id)

    def _alone(self, answer: _Answer) -> None:
        """One answer on its own: the fast path's statements, or the general writer."""
        fast = answer.fast

        def work() -> bool:
            if fast is not None:
                try:
                    if write_one(self.session, fast):
                        return True
                except (DatabaseUnavailable, OperationalError):
                    raise
                except Exception as error:
                    raise _FastFailed(error) from error
            return self._general(answer)

        self._guarded(answer.item, work)
        if answer.item.state in FINISHED:
            self.finished.add(answer.item.id)

    def _general(self, answer: _Answer) -> bool:
        """The general writer; False: the caller commits what it wrote."""
        session, item = self.session, answer.item
        # The answers before this one are kept first: if this one fails, only it is given up.
        self._commit(session_only=True)
        item.response_xml = answer.part
        if item.entity_type == "import":
            # Imports look up the records they just created: keep autoflush; and they
            # link records directly, so the link cache starts afresh.
            apply_one(session, item, answer.result, answer.sent_values)
            m.forget_links(session)
        else:
            # One flush at commit instead of one before every lookup it makes.
            with session.no_autoflush:
                apply_one(session, item, answer.result, answer.sent_values)
        return False

    def _guarded(self, item: SyncItem, work: Callable[[], bool]) -> None:
        """Run one answer's writes; True from ``work``: written in the message's transaction."""
        session = self.session
        try:
            if not work():
                self._commit()
        except (DatabaseUnavailable, OperationalError):
            session.rollback()
            raise  # the database, not the answer: the session stops, nothing is lost
        except _FastFailed as failed:
            # Its own writes were given up with their savepoint: the answers before it stay.
            self._commit()
            late.answer_not_applied(session, item.id, failed.error)
            self._commit()
        except Exception as error:
            self._not_applied(item, error)
        except BaseException:
            session.rollback()
            raise

    def _not_applied(self, item: SyncItem, error: Exception) -> None:
        self.session.rollback()
        late.answer_not_applied(self.session, item.id, error)
        self._commit()


def result_xml(response_xml: str, request_id: str, count: int, after: int = 0) -> tuple[str, int]:
    """The part of the answer that concerns one item (whole answer when it is the only one),
    and where it ends. Looked for from ``after`` first (where the last one ended: the parts
    come in order, and a message's answer is not read from its start for each of them),
    then from the start (a lookup shared by several items)."""
    if count == 1:
        return response_xml, 0
    marker = f'requestID="{request_id}"'
    found = _in_a_tag(response_xml, marker, after)
    if found is None:
        found = _in_a_tag(response_xml, marker, 0)
    if found is None:
        return "", after
    open_at, start = found
    tag = response_xml[open_at + 1 : start].split()[0]
    end = response_xml.find(f"</{tag}>", start)
    if end < 0:
        end = response_xml.find("/>", start) - len(f"</{tag}>") + 2
    stop = end + len(f"</{tag}>")
    return response_xml[open_at:stop], stop


def _in_a_tag(response_xml: str, marker: str, at: int) -> tuple[int, int] | None:
    """(where the tag starts, where the marker is) of the first ``marker`` from ``at`` that is
    an attribute of a start tag (the same text inside a field's value is not)."""
    start = response_xml.find(marker, at)
    while start >= 0:
        open_at = response_xml.rfind("<", 0, start)
        if open_at >= 0 and ">" not in response_xml[open_at:start]:
            return open_at, start
        start = response_xml.find(marker, start + 1)
    return None
