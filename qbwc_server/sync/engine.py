"""One method per Web Connector step (no SOAP here).

Crash safety: an item is marked ``sent`` (with the exact request) in the same commit
that hands its batch out; each answer is applied in its own transaction, and only to an
item still ``sent`` under that requestID, so a response applied twice changes nothing.
An item still ``sent`` when a new batch is built never got its answer: an Add is then
looked up in QuickBooks before it is ever sent again (``verify``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from desktop_app.db.qbwc_models import WC_ACTIVE, WcSession
from desktop_app.db.sync_models import SyncBatch, SyncItem
from desktop_app.db.uow import Database
from desktop_app.errors import QbxmlError
from desktop_app.services import settings
from desktop_app.services.sync_queue import enqueue_in, label_of
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import plan
from qbwc_server.sync.apply import apply_result as apply_one
from qbwc_server.sync.apply import finish, requeue
from qbwc_server.sync.plan import LIST_TYPES, Built, NothingToSend
from qbwc_server.sync.prefetch import prefetch

#: An item whose dependency waits on a person is looked at again after this long.
WAIT_FOR_PERSON = timedelta(minutes=5)
#: Items that were sent and never answered come back as these phases.
RECOVERY_PHASE = {"add": "verify", "check": "check", "verify": "verify", "claim": "claim"}


@dataclass(frozen=True)
class Limits:
    max_requests: int = 50
    max_bytes: int = 500_000


def _now() -> datetime:
    return datetime.now(UTC)


class SyncEngine:
    """Builds qbXML batches from the queue and applies QuickBooks' responses."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queued_dependency = False
        #: A full batch means more is waiting: progress need not look for sendable work.
        self._last_batch_full = False

    # -- is there anything to do? ----------------------------------------------------------

    def has_work(self) -> bool:
        """True when a session should run now.

        In responsive mode the Web Connector polls every minute; a session then runs only
        when work is due: Sync now was pressed, a trigger marked work urgent, or the sync
        interval has passed since the last session. Otherwise any queued work is due.
        """
        with self.db.reader() as uow:
            session = uow.session
            queued = session.scalar(
                select(func.count())
                .select_from(SyncItem)
                .where(
                    SyncItem.state == "queued",
                    or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= _now()),
                )
            )
            stale = session.scalar(select(func.count()).select_from(SyncItem).where(SyncItem.state == "sent"))
            values = settings.get_all(uow)
        has_items = bool(queued) or bool(stale)
        last = _parse_time(values["sync.last_session_at"])
        interval = timedelta(minutes=int(values["sync.interval_minutes"]))
        interval_passed = last is None or _now() - last >= interval
        requested = _parse_time(values["sync.requested_at"])
        sync_now = requested is not None and (last is None or requested > last)
        if not values["sync.responsive"]:
            return has_items or sync_now
        if sync_now:
            return True
        return has_items and (interval_passed or self._urgent())

    def _urgent(self) -> bool:
        with self.db.reader() as uow:
            return (
                uow.session.scalar(
                    select(SyncItem.id).where(SyncItem.state == "queued", SyncItem.urgent.is_(True)).limit(1)
                )
                is not None
            )

    # -- a session -------------------------------------------------------------------------

    def start_session(self, ticket: str) -> None:
        """Items left ``sent`` by a broken session get looked up before anything is re-sent."""
        from qbwc_server.sync.imports import queue_payment_pull

        with self.db.uow() as uow:
            self._recover_unanswered(uow.session, ticket)
            queue_payment_pull(uow.session)
            uow.commit()

    def next_request(self, ticket: str, qbxml_version: str = "13.0") -> str:
        """The next qbXML request message, or "" when nothing is left for this session."""
        with self.db.uow() as uow:
            session = uow.session
            self._recover_unanswered(session, ticket)
            limits = Limits(
                int(settings.get_setting(uow, "sync.batch_max_requests")),
                int(settings.get_setting(uow, "sync.batch_max_bytes")),
            )
            chosen = self._plan_batch(session, limits)
            self._last_batch_full = len(chosen) >= limits.max_requests
            if not chosen:
                uow.commit()
                return ""
            batch = SyncBatch(ticket=ticket, request_count=len(chosen))
            session.add(batch)
            session.flush()
            elements = []
            size = 0
            for item, built in chosen:
                xml = plan.to_xml(built.element)
                size += len(xml)
                item.state = "sent"
                item.phase = built.phase
                item.pending_key = None
                item.batch_id = batch.id
                item.request_xml = xml
                item.response_xml = ""
                item.sent_at = _now()
                item.sent_context = json.dumps({"values": built.values, "extra": built.extra})
                elements.append(built.element)
            batch.size_bytes = size
            message = q.build_message(elements, on_error="continueOnError", version=qbxml_version)
            uow.commit()
            return message

    def apply_response(self, ticket: str, response_xml: str) -> int:
        """Apply QuickBooks' answer, one transaction per item; returns progress 0..100."""
        try:
            results = q.parse_response(response_xml)
        except QbxmlError as error:
            self.fail_batch(ticket, "parse", f"QuickBooks' answer could not be read: {error}")
            return self.progress(ticket)
        batch_id = None
        # One session, one commit per item: each answer is durable on its own (a crash
        # between two loses nothing and repeats nothing), without reloading per item.
        with self.db.uow() as uow:
            session = uow.session
            sent = {
                item.request_id: item
                for chunk in _chunks(list(results), 500)
                for item in session.scalars(
                    select(SyncItem).where(SyncItem.request_id.in_(chunk), SyncItem.state == "sent")
                )
            }
            # The records these answers concern, and their links, in a few queries.
            m.remember_links(session)
            prefetch(session, list(sent.values()))
            for request_id, result in results.items():
                item = sent.get(request_id)
                if item is None or item.state != "sent":
                    continue  # already applied (a repeated answer) or not ours
                batch_id = item.batch_id
                stored = json.loads(item.sent_context or "{}")
                item.response_xml = _result_xml(response_xml, request_id, len(results))
                try:
                    if item.entity_type == "import":
                        # Imports look up the records they just created: keep autoflush;
                        # and they link records directly, so the link cache starts afresh.
                        apply_one(session, item, result, stored.get("values", {}))
                        m.forget_links(session)
                    else:
                        # One flush at commit instead of one before every lookup it makes.
                        with session.no_autoflush:
                            apply_one(session, item, result, stored.get("values", {}))
                    uow.commit()
                except BaseException:
                    session.rollback()
                    raise
        with self.db.uow() as uow:
            if batch_id is None:
                batch_id = uow.session.scalar(
                    select(func.max(SyncBatch.id)).where(SyncBatch.ticket == ticket)
                )
            if batch_id is not None:
                batch = uow.session.get(SyncBatch, batch_id)
                if batch is not None and batch.responded_at is None:
                    batch.responded_at = _now()
                # continueOnError answers every request; any still "sent" went unprocessed.
                for item in uow.session.scalars(
                    select(SyncItem).where(SyncItem.batch_id == batch_id, SyncItem.state == "sent")
                ):
                    if item.request_id not in results:
                        requeue(item, item.phase, "QuickBooks did not process this request; sending again.")
            uow.commit()
        return self.progress(ticket)

    def fail_batch(self, ticket: str, hresult: str, message: str) -> None:
        """The request processor failed: the batch's items were not applied; say so on them."""
        with self.db.uow() as uow:
            batch_id = uow.session.scalar(select(func.max(SyncBatch.id)).where(SyncBatch.ticket == ticket))
            if batch_id is None:
                return
            batch = uow.session.get(SyncBatch, batch_id)
            assert batch is not None
            batch.error = f"{hresult}: {message}"[:2000]
            batch.responded_at = _now()
            for item in uow.session.scalars(
                select(SyncItem).where(SyncItem.batch_id == batch_id, SyncItem.state == "sent")
            ):
                # We cannot know whether QuickBooks acted on it: recover as an unanswered item.
                self._recover(item, f"The Web Connector reported an error ({hresult}): {message}")
            uow.commit()

    def progress(self, ticket: str) -> int:
        """Share of this session's work done; 100 only when nothing is left to send."""
        with self.db.reader() as uow:
            session = uow.session
            done = (
                session.scalar(
                    select(func.count())
                    .select_from(SyncItem)
                    .join(SyncBatch, SyncItem.batch_id == SyncBatch.id)
                    .where(SyncBatch.ticket == ticket, SyncItem.state.in_(("done", "attention", "error")))
                )
                or 0
            )
            remaining = (
                session.scalar(
                    select(func.count())
                    .select_from(SyncItem)
                    .where(
                        SyncItem.state == "queued",
                        or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= _now()),
                    )
                )
                or 0
            )
        if remaining == 0:
            return 100
        if not self._last_batch_full and not self._anything_sendable():
            return 100
        return min(99, int(100 * done / (done + remaining)))

    def end_session(self, ticket: str) -> None:
        with self.db.uow() as uow:
            settings.set_setting(uow, "sync.last_session_at", _now().isoformat())
            uow.commit()

    # -- batches ---------------------------------------------------------------------------

    def _anything_sendable(self) -> bool:
        """Is any queued item ready to go? (Bounded: a long blocked queue must not cost seconds.)"""
        with self.db.uow() as uow:
            chosen = self._plan_batch(uow.session, Limits(max_requests=1), dry_run=True, scan_limit=200)
            uow.rollback()
            return bool(chosen)

    def _recover_unanswered(self, session: Session, ticket: str) -> None:
        """Re-queue items still ``sent`` by this session or by one that is over.

        Items out with another session that is still live (active and not expired) are
        left alone: a second server process may be waiting for their answer right now.
        """
        live = select(WcSession.ticket).where(
            WcSession.state == WC_ACTIVE, WcSession.expires_at >= _now(), WcSession.ticket != ticket
        )
        query = (
            select(SyncItem)
            .outerjoin(SyncBatch, SyncItem.batch_id == SyncBatch.id)
            .where(SyncItem.state == "sent", or_(SyncBatch.ticket.is_(None), SyncBatch.ticket.not_in(live)))
        )
        for item in session.scalars(query):
            self._recover(item, "The answer to the last attempt never arrived; checking QuickBooks first.")

    @staticmethod
    def _recover(item: SyncItem, note: str) -> None:
        requeue(item, RECOVERY_PHASE.get(item.phase, item.phase), note)

    def _candidates(self, session: Session, page: int = 200) -> Iterator[SyncItem]:
        """Due queued items in sending order, a page at a time (a long queue is never loaded whole)."""
        after: tuple[int, int] | None = None
        while True:
            query = (
                select(SyncItem)
                .where(
                    SyncItem.state == "queued",
                    or_(SyncItem.next_attempt_at.is_(None), SyncItem.next_attempt_at <= _now()),
                )
                .order_by(SyncItem.rank, SyncItem.id)
                .limit(page)
            )
            if after is not None:
                query = query.where(
                    or_(SyncItem.rank > after[0], (SyncItem.rank == after[0]) & (SyncItem.id > after[1]))
                )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # Two server processes never hand out the same item.
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            prefetch(session, rows)
            yield from rows
            if len(rows) < page:
                return
            after = (rows[-1].rank, rows[-1].id)

    def _plan_batch(
        self, session: Session, limits: Limits, *, dry_run: bool = False, scan_limit: int | None = None
    ) -> list[tuple[SyncItem, Built]]:
        m.remember_links(session)
        with session.no_autoflush:
            return self._plan(session, limits, dry_run=dry_run, scan_limit=scan_limit)

    def _plan(
        self, session: Session, limits: Limits, *, dry_run: bool, scan_limit: int | None
    ) -> list[tuple[SyncItem, Built]]:
        chosen: list[tuple[SyncItem, Built]] = []
        in_batch: set[tuple[str, int]] = set()
        busy: set[tuple[str, int | None]] = {
            (row.entity_type, row.entity_id)
            for row in session.execute(
                select(SyncItem.entity_type, SyncItem.entity_id).where(SyncItem.state == "sent")
            )
        }
        size = 0
        scanned = 0
        # A dependency found missing is queued during the pass; another pass lets it (and
        # what waits for it) join this same batch, in order, instead of the next one.
        for _ in range(3):
            self._queued_dependency = False
            full = self._plan_pass(
                session, limits, chosen, in_batch, busy, dry_run, scan_limit, size, scanned
            )
            if dry_run and chosen:
                return chosen
            if full or not self._queued_dependency:
                break
        return chosen

    def _plan_pass(
        self,
        session: Session,
        limits: Limits,
        chosen: list[tuple[SyncItem, Built]],
        in_batch: set[tuple[str, int]],
        busy: set[tuple[str, int | None]],
        dry_run: bool,
        scan_limit: int | None,
        size: int,
        scanned: int,
    ) -> bool:
        """One walk through the queue in order; True when the batch is full."""
        size = sum(len(plan.to_xml(built.element)) for _, built in chosen)
        for item in self._candidates(session):
            if len(chosen) >= limits.max_requests:
                return True
            if scan_limit is not None and scanned >= scan_limit:
                return True
            scanned += 1
            key = (item.entity_type, item.entity_id)
            if key in busy and item.entity_type != "import":
                continue
            blocked = self._blocked(session, item, in_batch, dry_run=dry_run)
            if blocked is not None:
                continue
            request_id = f"{item.id}-{item.attempts + 1}"
            try:
                built = plan.build(session, item, request_id)
            except NothingToSend:
                if not dry_run:
                    finish(item, "Already up to date in QuickBooks.")
                continue
            except Exception as error:
                if not dry_run:
                    self._unmappable(session, item, error)
                continue
            if dry_run:
                chosen.append((item, built))
                return True
            xml_size = len(plan.to_xml(built.element))
            if chosen and size + xml_size > limits.max_bytes:
                return True
            size += xml_size
            item.attempts += 1
            item.request_id = request_id
            chosen.append((item, built))
            busy.add(key)
            if item.entity_type in LIST_TYPES and built.phase == "add" and item.entity_id is not None:
                in_batch.add((item.entity_type, item.entity_id))
        return False

    def _blocked(
        self, session: Session, item: SyncItem, in_batch: set[tuple[str, int]], *, dry_run: bool
    ) -> str | None:
        """Why the item must wait, in plain words; None when it can go now.

        A dependency nobody queued yet is queued here (a customer before its jobs, jobs
        and items before invoices); it goes in a later batch, and the item after it.
        """
        if item.action in ("void", "delete"):
            assert item.entity_id is not None
            if m.link_of(session, item.entity_type, item.entity_id) is None:
                return self._wait(item, "Waiting until the record itself has reached QuickBooks.", dry_run)
            return None
        lists, txns = plan.dependencies(session, item)
        for dep in lists + txns:
            if m.link_of(session, dep[0], dep[1]) is not None:
                continue
            if dep in lists and dep in in_batch:
                continue
            pending = session.scalar(
                select(SyncItem).where(
                    SyncItem.entity_type == dep[0],
                    SyncItem.entity_id == dep[1],
                    SyncItem.action == "upsert",
                    SyncItem.state.in_(("queued", "sent", "attention", "error")),
                )
            )
            if pending is None and not dry_run:
                enqueue_in(session, dep[0], dep[1])
                self._queued_dependency = True
            if not dry_run and item.depends_on != (waits_for := json.dumps([list(dep)])):
                item.depends_on = waits_for
            if dry_run and (pending is None or pending.state in ("queued", "sent")):
                return None  # it (and then this item) will go in this session
            if pending is not None and pending.state in ("attention", "error"):
                # Nothing will change until a person acts on the dependency; look again later
                # (resolving an alert wakes every waiting item at once).
                if not dry_run:
                    item.next_attempt_at = _now() + WAIT_FOR_PERSON
                label = label_of(session, dep[0], dep[1])
                return self._wait(
                    item, f"Waiting for {label}, which needs attention: {pending.note}", dry_run
                )
            label = label_of(session, dep[0], dep[1])
            return self._wait(item, f"Waiting for {label} to reach QuickBooks first.", dry_run)
        return None

    @staticmethod
    def _wait(item: SyncItem, note: str, dry_run: bool) -> str:
        if not dry_run and item.note != note:
            item.note = note
        return note

    def _unmappable(self, session: Session, item: SyncItem, error: Exception) -> None:
        from qbwc_server.sync.alerts import raise_alert

        label = label_of(session, item.entity_type, item.entity_id)
        raise_alert(
            session,
            item,
            kind="invalid",
            label=label,
            message=f"{label} cannot be sent to QuickBooks as it is: {error} Edit it, then retry.",
            tried="Prepared the request; nothing was sent.",
            resolutions=("edit", "retry", "dismiss"),
        )


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _result_xml(response_xml: str, request_id: str, count: int) -> str:
    """The part of the answer that concerns one item (whole answer when it is the only one)."""
    if count == 1:
        return response_xml
    marker = f'requestID="{request_id}"'
    start = response_xml.find(marker)
    if start < 0:
        return ""
    open_at = response_xml.rfind("<", 0, start)
    tag = response_xml[open_at + 1 : start].split()[0]
    end = response_xml.find(f"</{tag}>", start)
    if end < 0:
        end = response_xml.find("/>", start) - len(f"</{tag}>") + 2
    return response_xml[open_at : end + len(f"</{tag}>")]
