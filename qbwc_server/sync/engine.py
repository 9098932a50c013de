"""One method per Web Connector step (no SOAP here).

Crash safety: an item is marked ``sent`` (with the exact request) in the same commit
that hands its batch out; a message's answers are applied in one transaction, each only
to an item still ``sent`` under that requestID, so a response applied twice changes
nothing. An item still ``sent`` when a new batch is built never got its answer: an Add is
then looked up in QuickBooks before it is ever sent again (``verify``).

Where the work is: ``planner`` chooses a batch (``plan`` builds each request;
``check_groups`` shares one lookup among many items, ``probes`` looks invoice numbers up
one message ahead) and ``batches`` writes it; ``answers`` applies a message's answers, the
common ones through ``fast_apply`` (written together, a few statements for the lot) and
the rest through ``apply``; ``ahead`` plans the next message while QuickBooks answers the
last (the server's engine does). Speed: ``benchmarks/sync_bench.py`` and ``peer_bench.py``.

The caller's bookkeeping (the Web Connector session's row, ``also``) rides in the engine's
own transactions: with the message handed out, and with the answer applied. Planning
ahead, both are written on the planning thread, so the two callbacks of a round trip
write nothing themselves and never wait for the write lock the planning thread holds.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.errors import DatabaseUnavailable, QbxmlError
from desktop_app.services import settings
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import ahead, batches, due, in_flight, kinds, reads, refusals, sendable
from qbwc_server.sync.ahead import Held, Prepared
from qbwc_server.sync.answers import MessageAnswers
from qbwc_server.sync.imports import queue_payment_pull
from qbwc_server.sync.prefetch import prefetch_answered
from qbwc_server.sync.probes import Probes
from qbwc_server.sync.writes import one_transaction, run_many

#: Messages between two exact counts of the items due (the progress bar's; ``_remaining``).
RECOUNT_EVERY = 10
#: How far the "is anything sendable?" look reads before a session is opened for nothing.
SENDABLE_SCAN = 1000
#: The request of the message handed out when the Web Connector, told less than 100, asks
#: again and nothing can go after all: a harmless query, whose answer ends the session.
CLOSING = "jobdesk-closing"


log = logging.getLogger(__name__)

#: What the sync says of an answer it cannot read (the refusal's note begins with it).
UNREADABLE_ANSWER = "QuickBooks' answer could not be read"

#: The caller's bookkeeping of an answer (the Web Connector session's row), given the
#: progress told: written in the answer's transaction (``apply_response``).
Told = Callable[[UnitOfWork, int], None]


class SyncEngine:
    """Builds qbXML batches from the queue and applies QuickBooks' responses.

    ``plan_ahead``: plan each next message while QuickBooks works on the last (``ahead``),
    as the server does; not on a database of one shared connection (in memory), where a
    second thread cannot read while another writes.
    """

    def __init__(self, db: Database, *, plan_ahead: bool = False) -> None:
        kinds.check_registry()  # a kind known to one side only stops the start, not a sync
        self.db = db
        self.plan_ahead = plan_ahead and not isinstance(db.engine.pool, StaticPool)
        #: Per session: the next message, being planned or planned (``ahead``).
        self._ahead = ahead.Planning()
        #: Per session: the batch QuickBooks has now (the last handed out).
        self._out: dict[str, int] = {}
        #: Items finished (done, or in front of a person) per session: the progress bar's count.
        self._finished: dict[str, set[int]] = {}
        #: A full batch means more is waiting: progress need not look for sendable work.
        self._last_batch_full = False
        #: Sessions told less than 100 (they ask again), and those handed ``CLOSING``.
        self._going_on: set[str] = set()
        self._closing: set[str] = set()
        #: Per session: invoice numbers looked up one message ahead (``probes``).
        self._probes: dict[str, Probes] = {}
        #: Per session: the last count of items due, the items finished then, messages since.
        self._counted: dict[str, tuple[int, int, int]] = {}
        #: Per session: items due after the last answer applied (the progress of one held).
        self._left: dict[str, int] = {}

    # -- is there anything to do? ----------------------------------------------------------

    def has_work(self) -> bool:
        """True when a session should run now (the Web Connector then opens QuickBooks).

        Work is due when an item can actually go: one that only waits for a person (or for
        a record that does) opens no session. In responsive mode the Web Connector polls
        every minute; a session then runs only when work is due and Sync now was pressed,
        a trigger marked it urgent, or the sync interval has passed. Bringing in payments
        entered in QuickBooks is due every ``sync.payment_pull_minutes``.
        """
        with self.db.reader() as uow:
            session = uow.session
            queued = due.due_count(session)
            stale = due.in_flight(session)
            values = settings.get_all(uow)
            pull_due = due.pull_due(session, values)
        has_items = bool(stale) or (bool(queued) and self._anything_sendable(SENDABLE_SCAN))
        return due.session_wanted(self.db, values, has_items=has_items, pull_due=pull_due)

    # -- a session -------------------------------------------------------------------------

    def start_session(self, ticket: str) -> None:
        """Items left ``sent`` by a broken session get looked up before anything is re-sent."""
        # One session at a time per server: counts of sessions that never ended go.
        # What an older session planned ahead never went: it is put back before anything
        # left "sent" is looked up.
        for older in self._ahead.tickets():
            self._wind_up(older)
        self._ahead.reopen()  # after the server stopped and started again
        self._finished = {ticket: set()}
        self._probes = {ticket: Probes()}
        self._counted = {}
        self._left = {}
        self._going_on, self._closing = {ticket}, set()  # a ticket handed out: it asks
        self._out = {}
        with self.db.uow() as uow:
            in_flight.recover_unanswered(uow.session, ticket)
            values = settings.get_all(uow)
            requested = due.parse_time(str(values["sync.requested_at"]))
            last = due.parse_time(str(values["sync.last_session_at"]))
            sync_now = requested is not None and (last is None or requested > last)
            if sync_now or due.pull_due(uow.session, values):
                queue_payment_pull(uow.session)
            uow.commit()

    def next_request(
        self, ticket: str, qbxml_version: str = "13.0", *, also: Callable[[UnitOfWork], None] | None = None
    ) -> str:
        """The next qbXML request message, or "" when nothing is left for this session.

        The batch is planned on a snapshot, without the write lock (on SQLite), and the lock
        is taken only to write its state: people saving meanwhile are not held up by the
        planning. If someone wrote after the snapshot was taken, that first write fails at
        once and the batch is planned again, this time holding the lock from the start.
        ``also`` writes the caller's own bookkeeping (the Web Connector session's row) in
        the same transaction as a message handed out (or in one of its own, for a message
        planned ahead).

        With ``plan_ahead``, the message after this one is planned as soon as this one is
        handed out, and handed out when it is asked for (``ahead``); when none could be
        planned then, it is planned now.
        """
        prepared = self._ahead.result(ticket, take=True)
        later = None  # the caller's bookkeeping, when it is written on the planning thread
        if prepared is not None and prepared.message:
            message = prepared.message
            self._last_batch_full = prepared.full  # progress is about the message handed out
            if prepared.batch_id is not None:
                self._out[ticket] = prepared.batch_id
            later = also
        else:
            self._settle(ticket)  # (an answer is held only while a message planned ahead waits)
            planned = self._plan(ticket, qbxml_version, also, planning_ahead=False)
            message = planned.message
            self._last_batch_full = planned.full
            if message and planned.batch_id is not None:
                self._out[ticket] = planned.batch_id
        # The answer held back is applied while QuickBooks works on this message, then the
        # next one is planned; if that cannot start (the server is stopping), now.
        held = self._ahead.unhold(ticket)
        if not (message and self.plan_ahead) or not self._ahead.start(
            ticket, lambda: self._plan_ahead(ticket, qbxml_version, held, later)
        ):
            try:
                self._apply_held(ticket, held)
            except Exception:  # the message is out: it must reach the Web Connector
                log.exception("QuickBooks' answer could not be applied; its items are looked up")
            if later is not None:
                self._write(later)  # after the answers' own (as on the planning thread)
        # An empty message after less than 100 (or a ticket) is an error to the Web Connector;
        # all that was due may wait (for an answer that just failed …): CLOSING ends it.
        (self._closing.add if not message and ticket in self._going_on else self._closing.discard)(ticket)
        if ticket in self._closing:
            if also is not None:
                self._write(also)  # (the message handed out is this harmless query)
            return q.build_message([q.host_query(CLOSING)], on_error="continueOnError", version=qbxml_version)
        return message

    def _plan(
        self,
        ticket: str,
        qbxml_version: str,
        also: Callable[[UnitOfWork], None] | None,
        *,
        planning_ahead: bool,
    ) -> Prepared:
        try:
            with self.db.deferred() as uow:
                return self._next_batch(
                    uow, ticket, qbxml_version, also, snapshot=True, planning_ahead=planning_ahead
                )
        except DatabaseUnavailable:
            with self.db.uow() as uow:
                return self._next_batch(
                    uow, ticket, qbxml_version, also, snapshot=False, planning_ahead=planning_ahead
                )

    def _next_batch(
        self,
        uow: UnitOfWork,
        ticket: str,
        qbxml_version: str,
        also: Callable[[UnitOfWork], None] | None,
        *,
        snapshot: bool,
        planning_ahead: bool,
    ) -> Prepared:
        # Planning ahead, the message QuickBooks has now is still to be answered: not lost.
        return batches.plan_batch(
            uow,
            self.db.write_gate,
            ticket,
            qbxml_version,
            self._probes.setdefault(ticket, Probes()),
            out=self._out.get(ticket) if planning_ahead else None,
            also=also,
            snapshot=snapshot,
            planning_ahead=planning_ahead,
        )

    def _plan_ahead(
        self, ticket: str, qbxml_version: str, held: list[Held], also: Callable[[UnitOfWork], None] | None
    ) -> Prepared:
        """The message after the one QuickBooks has (run on the planning thread), once the
        answers ``held`` back are applied. A failure here costs only the head start: an
        answer is applied again, and the message planned, at the session's next callback
        (``_settle``), and a failure then is reported as it always was. ``also`` (the
        caller's bookkeeping for the message just handed out) is written with the message
        planned, or alone when none is."""
        prepared = Prepared("")
        try:
            if self._apply_later(ticket, held):
                prepared = self._plan_next(ticket, qbxml_version, also)
        finally:
            if also is not None and not prepared.message:
                try:
                    self._write(also)
                except Exception:
                    log.exception("the Web Connector session's row could not be written")
        return prepared

    def _plan_next(
        self, ticket: str, qbxml_version: str, also: Callable[[UnitOfWork], None] | None
    ) -> Prepared:
        probes = self._probes.setdefault(ticket, Probes())
        probes_before = set(probes.out)
        try:
            return self._plan(ticket, qbxml_version, also, planning_ahead=True)
        except Exception:
            log.exception("the next message could not be planned ahead; it is planned when asked for")
            probes.drop([request_id for request_id in probes.out if request_id not in probes_before])
            return Prepared("")

    def _apply_later(self, ticket: str, held: list[Held]) -> bool:
        """Apply the answers held back (run on the planning thread); False when one could
        not be (it stays held, and is applied again at the session's next callback)."""
        try:
            self._apply_held(ticket, held, keep_failed=True)
        except Exception:
            log.exception("QuickBooks' answer could not be applied ahead; it is applied when asked for")
            return False
        return True

    def _write(self, write: Callable[[UnitOfWork], None]) -> None:
        with self.db.uow() as uow:
            write(uow)
            uow.commit()

    def _release(self, ticket: str) -> None:
        """Put back the message planned ahead that will not be handed out (``ahead.release``)."""
        prepared = self._ahead.result(ticket, take=True)
        if prepared is None or not prepared.message:
            return
        probes = self._probes.get(ticket)
        if probes is not None:
            probes.drop(prepared.probe_ids)
        with self.db.uow() as uow:
            ahead.release(uow.session, prepared)
            uow.commit()

    def apply_response(
        self,
        ticket: str,
        response_xml: str,
        *,
        late: bool = False,
        also: Told | None = None,
    ) -> int:
        """Take in QuickBooks' answer; returns progress 0..100.

        Applied in one transaction per message: now, or, when the next message is planned
        ahead and waiting (the session surely goes on), on the planning thread as soon as
        that message is handed out (``ahead``), while QuickBooks works on it. ``late``: the
        answer of a session taken over, which asks nothing more: applied now, and what it
        planned ahead put back.
        """
        if late:
            try:
                return self._take_in(ticket, response_xml, hold=False)
            finally:
                self._release(ticket)
        percent = self._take_in(ticket, response_xml, hold=True, also=also)
        (self._going_on.add if percent < 100 else self._going_on.discard)(ticket)
        return percent

    def _take_in(self, ticket: str, response_xml: str, *, hold: bool, also: Told | None = None) -> int:
        if ticket in self._closing:  # whatever it says (it is only a query): the end
            self._closing.discard(ticket)
            return self._told(100, also)
        # The next message is planned and waiting, so this answer will be held: it is read
        # when it is applied, on the planning thread, instead of now while the Web Connector
        # waits (``Held.results`` None; one that cannot be read is refused then, ``_apply``).
        lazy = hold and ticket in self._left and self._ahead.planned(ticket)
        try:
            results = None if lazy else q.Answers(response_xml)  # fields read when applied
        except QbxmlError as error:
            self.fail_batch(ticket, refusals.UNREADABLE, f"{UNREADABLE_ANSWER}: {error}")
            return self._told(self.progress(ticket), also)
        answer = Held(response_xml, results, self._out.get(ticket))
        # Whatever is held or planned ahead is over, in full, before this answer counts.
        try:
            planned_ahead = self._settle(ticket)
        except Exception:
            # An earlier answer cannot be applied (reported as such): this one still is. It
            # was planned while that one was out, so nothing in it needs it.
            try:
                self._apply(ticket, answer)
            except Exception:
                log.exception("QuickBooks' answer could not be applied after an earlier one failed")
            raise
        # (The session's first answer is applied now: the bar's estimate needs a count.)
        if hold and planned_ahead and ticket in self._left:
            # An estimate (the bar's): as if every item answered were finished. Never 0,
            # which the Web Connector's guide does not count as progress.
            answered = q.count_answers(response_xml) if results is None else len(results)
            done = len(self._finished.get(ticket, ())) + answered
            left = max(0, self._left[ticket] - answered)
            percent = max(1, self._progress(done, left, planned_ahead))
            written = None if also is None else functools.partial(_with_percent, also, percent)
            if self._ahead.hold(ticket, dataclasses.replace(answer, also=written)):
                return percent
        if results is None:  # not held after all (the server is stopping): read now, as ever
            try:
                answer = dataclasses.replace(answer, results=q.Answers(response_xml))
            except QbxmlError as error:
                self.fail_batch(ticket, refusals.UNREADABLE, f"{UNREADABLE_ANSWER}: {error}")
                return self._told(self.progress(ticket), also)
        done, remaining = self._apply(ticket, answer)
        return self._told(self._progress(done, remaining, planned_ahead), also)

    def _told(self, percent: int, also: Told | None) -> int:
        """``percent``, told to the Web Connector; the caller's bookkeeping written with it."""
        if also is not None:
            self._write(functools.partial(_with_percent, also, percent))
        return percent

    def _settle(self, ticket: str) -> int:
        """Planning ahead is over and every answer held back is applied (the oldest first);
        the items of the session's message planned ahead (``Planning.waiting``)."""
        planned_ahead = self._ahead.waiting(ticket)
        self._apply_held(ticket, self._ahead.unhold(ticket))
        return planned_ahead

    def _apply_held(self, ticket: str, held: list[Held], *, keep_failed: bool = False) -> None:
        """Apply answers held back, oldest first. One that fails stops the rest, which stay
        held (not lost: applied at the next callback), and so does it with ``keep_failed``
        (else it is given up as any answer that cannot be applied: its items are looked up)."""
        for position, answer in enumerate(held):
            try:
                self._apply(ticket, answer)
            except BaseException:
                for later in held[position if keep_failed else position + 1 :]:
                    self._ahead.hold(ticket, later, again=True)
                raise

    def _apply(self, ticket: str, answer: Held) -> tuple[int, int]:
        """Apply one answer; (items this session finished, items still due)."""
        response_xml = answer.response_xml
        try:
            read = q.Answers(response_xml) if answer.results is None else answer.results
        except QbxmlError as error:
            # Held unread: refused now as it would have been when it came (``fail_batch``).
            message = f"{UNREADABLE_ANSWER}: {error}"
            self._refused(ticket, refusals.UNREADABLE, message, answer.batch_id, answer.also)
            return len(self._finished.get(ticket, ())), self._left.get(ticket, 0)
        results = dict(read)
        count = len(results)
        probes = self._probes.setdefault(ticket, Probes())
        looked_ahead = {rid: results.pop(rid) for rid in list(results) if rid in probes.out}
        # One session and one transaction for the message (``writes.one_transaction``;
        # ``answers`` writes common answers together, the rest one by one). Committing once per message
        # instead of once per answer is safe: an item whose answer was lost in a crash is
        # still "sent", and is looked up in QuickBooks before it is sent again.
        with self.db.pinned() as uow, one_transaction(uow.session):
            session = uow.session
            sent = in_flight.waiting_for(session, list(results))
            # The records these answers concern, and their links, in a few queries.
            m.remember_links(session)
            prefetch_answered(session, [waiting for items in sent.values() for waiting in items])
            answers = MessageAnswers(
                session, uow, self.db.write_gate, response_xml, count, self._finished_items(session, ticket)
            )
            answers.apply(in_flight.answered(results, sent))
            finished, batch_id = answers.finished, answers.batch_id
            probes.take_in(session, uow, looked_ahead)
            if batch_id is None:
                batch_id = answer.batch_id
            remaining = self._end_of_message(session, uow, ticket, batch_id, results, len(finished))
            if answer.also is not None:
                answer.also(uow)
            uow.commit()
        self._left[ticket] = remaining
        return len(finished), remaining

    def _end_of_message(
        self,
        session: Session,
        uow: UnitOfWork,
        ticket: str,
        batch_id: int | None,
        results: dict[str, q.Result],
        done: int,
    ) -> int:
        """The batch answered, anything it left unprocessed queued again; items still due
        (``done``: items this session finished)."""
        if batch_id is not None:
            run_many(session, in_flight.ANSWERED, [{"batch": batch_id, "responded_at": due.now()}])
            # continueOnError answers every request: one still "sent" was left out of the answer.
            for item_id, request_id in reads.rows(session, in_flight.STILL_SENT, {"batch": batch_id}):
                item = session.get(SyncItem, item_id) if request_id not in results else None
                if item is not None:
                    refusals.unanswered(session, item)
        session.flush()
        anything_due = due.any_due(session)
        if not anything_due and due.pull_due(session, settings.get_all(uow)):
            # The session's own work is done: bring in QuickBooks' payments if that is due,
            # in this same session (so the next poll finds nothing to do).
            queue_payment_pull(session)
            session.flush()
            anything_due = due.any_due(session)
        return self._remaining(session, ticket, done) if anything_due else 0

    def _remaining(self, session: Session, ticket: str, done: int) -> int:
        """Items still due (some are), for the progress bar. Counting reads the queue's
        index end to end, so it is done every ``RECOUNT_EVERY`` messages; in between it is
        the last count less what finished (never 0: whether any is due is asked exactly,
        and 0 ends the session)."""
        counted = self._counted.get(ticket)
        if counted is None or counted[2] >= RECOUNT_EVERY:
            count = due.due_count(session)
            self._counted[ticket] = (count, done, 1)
            return count
        count, done_then, age = counted
        self._counted[ticket] = (count, done_then, age + 1)
        return max(1, count - (done - done_then))

    def fail_batch(self, ticket: str, hresult: str, message: str) -> bool:
        """QuickBooks refused the last message whole (an hresult, no answer).

        Its items go again in halves until the one QuickBooks refuses is found (see
        ``refusals``). True when the session may go on; False when QuickBooks itself
        cannot work and the session should stop.
        """
        if ticket in self._closing:  # the closing query: QuickBooks itself cannot work
            self._closing.discard(ticket)
            return False
        try:
            self._settle(ticket)  # planning ahead is over, held answers applied, before this
        except Exception:
            self._refused(ticket, hresult, message)  # reported, and the refusal still written
            raise
        go_on = self._refused(ticket, hresult, message)
        if go_on:
            self._going_on.add(ticket)  # told at most 99 (``sessions``): it asks again
        return go_on

    def _refused(
        self,
        ticket: str,
        hresult: str,
        message: str,
        batch_id: int | None = None,
        also: Callable[[UnitOfWork], None] | None = None,
    ) -> bool:
        """The batch QuickBooks has (or ``batch_id``) refused whole; ``also`` written with it."""
        with self.db.uow() as uow:
            batch_id = self._last_out(uow.session, ticket) if batch_id is None else batch_id
            batch = None if batch_id is None else uow.session.get(SyncBatch, batch_id)
            if also is not None:
                also(uow)
            if batch is None:
                uow.commit()
                return False
            self._probes.setdefault(ticket, Probes()).forget(batch_id)
            batch.error = f"{hresult}: {message}"[:2000]
            batch.responded_at = due.now()
            go_on = refusals.message_refused(uow.session, batch, hresult, message)
            uow.commit()
        self._last_batch_full = True  # the halves are waiting: progress must not say 100
        return go_on

    def progress(self, ticket: str) -> int:
        """Share of this session's work done; 100 only when nothing is left to send."""
        planned_ahead = self._settle(ticket)
        with self.db.reader() as uow:
            session = uow.session
            done = len(self._finished_items(session, ticket))
            remaining = due.due_count(session)
        percent = self._progress(done, remaining, planned_ahead)
        if percent < 100:
            self._going_on.add(ticket)
        return percent

    def _last_out(self, session: Session, ticket: str) -> int | None:
        """The batch QuickBooks has (the session's last, unless one was planned ahead since)."""
        if ticket in self._out:
            return self._out[ticket]
        return session.scalar(select(func.max(SyncBatch.id)).where(SyncBatch.ticket == ticket))

    def _progress(self, done: int, remaining: int, planned_ahead: int = 0) -> int:
        """0..100; 100 ends the session, so never while a message planned ahead waits."""
        if planned_ahead:
            remaining += planned_ahead
        elif remaining == 0 or (not self._last_batch_full and not self._anything_sendable()):
            return 100
        return min(99, int(100 * done / (done + remaining)))

    def _finished_items(self, session: Session, ticket: str) -> set[int]:
        """Items this session finished: noted as they are applied, read once after a restart."""
        if ticket not in self._finished:
            self._finished[ticket] = in_flight.finished_in(session, ticket)
        return self._finished[ticket]

    def close(self) -> None:
        """The server stops: what was planned ahead is put back; nothing more is, until a session."""
        self._ahead.stop()  # first: what is being planned is finished, nothing more starts
        for ticket in self._ahead.tickets():
            self._wind_up(ticket)

    def _wind_up(self, ticket: str) -> None:
        """A session that will not ask again: its held answers applied (one that cannot be
        is logged: its items are looked up, as after any lost answer), and what it planned
        ahead put back, whatever happens."""
        try:
            self._settle(ticket)
        except Exception:
            log.exception("QuickBooks' answer to an earlier message could not be applied")
        finally:
            self._release(ticket)

    def end_session(self, ticket: str) -> None:
        try:
            self._settle(ticket)
        finally:
            self._release(ticket)
            self._end_session(ticket)

    def _end_session(self, ticket: str) -> None:
        self._going_on.discard(ticket)
        self._closing.discard(ticket)
        self._out.pop(ticket, None)
        self._probes.pop(ticket, None)
        self._counted.pop(ticket, None)
        self._left.pop(ticket, None)
        finished = len(self._finished.pop(ticket, set()))
        with self.db.uow() as uow:
            settings.set_setting(uow, "sync.last_session_at", due.now().isoformat())
            before = int(settings.get_setting(uow, "sync.sessions_without_progress"))
            after = refusals.note_session_end(uow.session, finished, before)
            if after != before:
                settings.set_setting(uow, "sync.sessions_without_progress", after)
            uow.commit()

    # -- batches ---------------------------------------------------------------------------

    def _anything_sendable(self, scan_limit: int = 200) -> bool:
        return sendable.anything_sendable(self.db, scan_limit)


def _with_percent(write: Told, percent: int, uow: UnitOfWork) -> None:
    write(uow, percent)
