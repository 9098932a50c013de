"""Web Connector sessions: login, tickets, "busy", the company check, then the sync engine.

One method per Web Connector callback, plain Python (no SOAP): ``soap.py`` calls these
and nothing else. Every call opens its own short unit of work; the state of a session
lives in ``wc_sessions`` so a ticket survives a restart of the server.

What each callback answers, in the Web Connector's own vocabulary:

* ``client_version`` — "" (fine), ``W:…`` (warn, the user may go on), ``E:…`` (refuse).
* ``authenticate`` — ``[ticket, ""]`` (work to do, use the open company file),
  ``[ticket, "none"]`` (nothing to do: the Web Connector stops at once), ``[ticket, "nvu"]``
  (bad or rate-limited login), ``[ticket, "busy"]`` (another session is running).
* ``send_request`` — a qbXML request, or "" which makes the Web Connector call
  ``get_last_error`` and show its text (refused company file, old QuickBooks, expiry).
* ``receive_response`` — 0..100 percent done, or -1 which makes it call ``get_last_error``.
* ``connection_error`` — always ``done``: we never ask it to try another company file.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from desktop_app.db.models import Setting
from desktop_app.db.qbwc_models import (
    WC_ABANDONED,
    WC_ACTIVE,
    WC_CLOSED,
    WC_FAILED,
    WC_NO_WORK,
    WcLoginFailure,
    WcSession,
)
from desktop_app.db.types import utcnow
from desktop_app.db.uow import Database, UnitOfWork
from desktop_app.domain.passwords import verify_password
from desktop_app.errors import JobDeskError
from desktop_app.services.settings import get_setting
from desktop_app.version import __version__
from qbwc_server import company_check, session_rows
from qbwc_server.binding import (
    CompanyBinding,
    bind_company,
    binding_mismatch,
    clear_binding,
    get_binding,
    rebind_to_refused,
)
from qbwc_server.engine_protocol import Engine
from qbwc_server.host import (
    MINIMUM_QBXML,
    PREFERRED_QBXML,
    HostInfo,
    choose_qbxml_version,
    hello_request,
    parse_version,
    read_host_info,
    version_pair,
)
from qbwc_server.last_calls import LastCalls
from qbwc_server.sync import reads, writes

log = logging.getLogger(__name__)


TAKEN_OVER_MESSAGE = (
    "A newer Web Connector session took over from this one. JobDesk kept what QuickBooks did "
    "in this session; nothing is lost or sent twice."
)
EXPIRED_MESSAGE = (
    "This sync session is unknown or has expired (JobDesk may have been restarted). "
    "Nothing was lost: the Web Connector will start a new session at the next update."
)


@dataclass(frozen=True)
class SessionPolicy:
    """Timings and limits; tests shorten them."""

    #: A ticket stays valid this long after the Web Connector's last call (sliding).
    ticket_minutes: int = 30
    #: Failed logins allowed per user name within ``failure_window_seconds``.
    max_failures: int = 5
    failure_window_seconds: int = 900
    #: Web Connector versions: below ``warn_below`` a warning, below ``refuse_below`` a refusal.
    warn_below: tuple[int, ...] = (2, 3)
    refuse_below: tuple[int, ...] = (2, 1)


# -- the sessions ----------------------------------------------------------------------------------


class WebConnectorSessions:
    """The Web Connector's callbacks, one method each, over the database and the engine."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        policy: SessionPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.engine = engine
        self.policy = policy or SessionPolicy()
        self.clock = clock
        #: The session whose company binding was seen in place (asked once a session).
        self._bound: str | None = None
        #: Reads that take no write lock (``_going``).
        self._reading = db.engine.execution_options(jobdesk_readonly=True)
        #: When each live session last called: its row's touch rides in the engine's work
        #: (``engine.apply_response``), a call behind while an answer is held.
        self._calls = LastCalls(timedelta(minutes=self.policy.ticket_minutes))

    def close(self) -> None:
        """The server stopped taking calls: the engine's background work ends with it."""
        try:
            self.engine.close()
        except Exception:
            log.exception("the sync engine could not be closed cleanly")

    def abandon_active(self) -> int:
        """Called when the server starts: sessions of a previous run cannot continue.

        Their Web Connector lost its connection; it gets a graceful "expired" answer if it
        calls again, and the engine verifies what they sent when the next session starts.
        Without this, a crash in the middle of a session would make us answer "busy".
        """
        now = self.clock()
        with self.db.uow() as uow:
            rows = list(uow.session.scalars(select(WcSession).where(WcSession.state == WC_ACTIVE)))
            for row in rows:
                row.state = WC_ABANDONED
                row.closed_at = now
                row.last_error = row.last_error or "JobDesk was restarted during this sync session."
            uow.commit()
        return len(rows)

    # serverVersion / clientVersion ---------------------------------------------------------------

    def server_version(self) -> str:
        return f"JobDesk {__version__}"

    def client_version(self, version: str) -> str:
        parsed = parse_version(version)
        if parsed is None:
            return ""  # an unknown shape is not a reason to stop anyone
        shown = ".".join(str(p) for p in self.policy.refuse_below)
        if parsed < self.policy.refuse_below:
            return (
                f"E:This QuickBooks Web Connector ({version}) is too old for JobDesk. Install version "
                f"{shown} or later from Intuit's web site, then update again."
            )
        if parsed < self.policy.warn_below:
            wanted = ".".join(str(p) for p in self.policy.warn_below)
            return (
                f"W:This QuickBooks Web Connector ({version}) is old. JobDesk works best with version "
                f"{wanted} or later; press OK to sync anyway."
            )
        return ""

    # authenticate -----------------------------------------------------------------------------------

    def authenticate(self, user_name: str, password: str) -> list[str]:
        ticket = secrets.token_urlsafe(32)
        user_name = (user_name or "")[:60]
        now = self.clock()
        with self.db.uow() as uow:
            # Lock one row so two logins at once cannot both find "no active session".
            uow.session.execute(
                select(Setting.key).where(Setting.key == "qbwc.password_hash").with_for_update()
            ).first()
            expected_user = str(get_setting(uow, "qbwc.username"))
            stored = str(get_setting(uow, "qbwc.password_hash"))
            window_start = now - timedelta(seconds=self.policy.failure_window_seconds)
            failures = (
                uow.session.scalar(
                    select(func.count())
                    .select_from(WcLoginFailure)
                    .where(WcLoginFailure.user_name == user_name, WcLoginFailure.at >= window_start)
                )
                or 0
            )
            # Always hash, so a wrong user name takes as long as a wrong password.
            password_ok = verify_password(password or "", stored)
            user_ok = hmac.compare_digest(user_name.encode("utf-8"), expected_user.encode("utf-8"))
            if failures >= self.policy.max_failures or not (password_ok and user_ok):
                uow.session.add(WcLoginFailure(user_name=user_name, at=now))
                uow.session.execute(delete(WcLoginFailure).where(WcLoginFailure.at < window_start))
                uow.commit()
                if not stored:
                    log.warning("Web Connector login refused: no password is set (run set-password)")
                elif failures >= self.policy.max_failures:
                    log.warning("Web Connector login refused: too many failed attempts for %r", user_name)
                else:
                    log.warning("Web Connector login refused for user %r", user_name)
                return [ticket, "nvu"]
            self._abandon_stale(uow, now)
            self._take_over(uow, now)
            uow.commit()
        # Outside the login's lock: finding out whether anything can go reads the queue.
        has_work = self.engine.has_work()
        with self.db.uow() as uow:
            uow.session.add(
                WcSession(
                    ticket=ticket,
                    user_name=user_name,
                    state=WC_ACTIVE if has_work else WC_NO_WORK,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(minutes=self.policy.ticket_minutes),
                    closed_at=None if has_work else now,
                )
            )
            uow.commit()
        if not has_work:
            return [ticket, "none"]
        try:
            self.engine.start_session(ticket)
        except Exception as exc:
            self._fail(ticket, _explain(exc))
        return [ticket, ""]

    def _take_over(self, uow: UnitOfWork, now: datetime) -> None:
        """The Web Connector runs one session of an application at a time: a new login means
        any session still open is over (its PC stopped, or it lost its connection). Its
        unanswered items are looked up in QuickBooks before they are sent again, and if it
        calls back, what it brings is kept and it is told a newer session took over."""
        for other in uow.session.scalars(select(WcSession).where(WcSession.state == WC_ACTIVE)):
            other.state = WC_ABANDONED
            other.closed_at = now
            other.last_error = TAKEN_OVER_MESSAGE

    def _abandon_stale(self, uow: UnitOfWork, now: datetime) -> None:
        for other in uow.session.scalars(
            select(WcSession).where(WcSession.state == WC_ACTIVE, WcSession.expires_at < now)
        ):
            if not self._calls.expired(other.ticket, other.expires_at, now):
                continue
            other.state = WC_ABANDONED
            other.closed_at = now

    # session lookup ---------------------------------------------------------------------------------

    def _live(self, uow: UnitOfWork, ticket: str) -> WcSession | None:
        """The active session for ``ticket`` (touched), or None when unknown/expired/closed."""
        if not ticket or len(ticket) > 64:
            return None
        row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).first()
        if row is None:
            return None
        now = self.clock()
        if row.state == WC_ACTIVE and self._calls.expired(ticket, row.expires_at, now):
            row.state = WC_ABANDONED
            row.closed_at = now
            row.last_error = EXPIRED_MESSAGE
        if row.state not in (WC_ACTIVE, WC_FAILED):
            return None
        self._calls.seen(ticket, now)
        row.last_seen_at = now
        row.expires_at = now + timedelta(minutes=self.policy.ticket_minutes)
        return row

    def _going(self, ticket: str, *, answering: bool) -> str | None:
        """The session's qbXML version when it is simply going on (active, not expired, past
        its hello, no hello answer awaited); None when anything else must be looked at.

        A read without the write lock: the common callback writes the session's row once,
        after the engine's work (``_touch``), instead of also before it.
        """
        if not ticket or len(ticket) > 64:
            return None
        # One statement on a connection of its own: no unit of work needed to read one row
        # (on SQLite's own connection, ``reads``: it is read twice every round trip).
        try:
            with self._reading.connect() as connection:
                found = reads.rows_on(connection, session_rows.GOING, {"ticket": ticket})
        except OperationalError:
            return None  # (locked, busy …) the full path waits its turn, or says why it cannot
        if not found:
            return None
        state, expires_at, hello_done, hello_pending, qbxml_version = found[0]
        now = self.clock()
        if state != WC_ACTIVE or self._calls.expired(ticket, expires_at, now):
            return None
        if not hello_done or (answering and hello_pending):
            return None
        self._calls.seen(ticket, now)
        return str(qbxml_version)

    def _touch(self, uow: UnitOfWork, ticket: str, at: datetime, **values: object) -> None:
        """``_live``'s touch in one statement, written with the engine's work (the row was
        read live at the callback's start, ``at``), while the session is still on."""
        statement = session_rows.touch_statement(tuple(sorted(values)))
        params = {
            "b_ticket": ticket,
            "b_now": at,
            "b_expires": at + timedelta(minutes=self.policy.ticket_minutes),
            **{f"v_{name}": value for name, value in values.items()},
        }
        # (on SQLite on the driver's connection, as the sync's own writes: ``writes.run_many``)
        writes.run_many(uow.session, statement, [params])

    def _count_answer(
        self, uow: UnitOfWork, ticket: str, percent: int | None, at: datetime | None = None
    ) -> None:
        """An answer came (its message is no longer out): counted, with the progress told,
        whatever became of the session since (taken over, stopped …): it did come on this
        ticket. Only a session still on is touched (its ticket extended from ``at``)."""
        now = at or self.clock()
        expires = now + timedelta(minutes=self.policy.ticket_minutes)
        values: dict[str, object] = {"b_ticket": ticket, "b_now": now, "b_expires": expires}
        if percent is not None:
            values["v_percent"] = percent
        writes.run_many(uow.session, session_rows.answer_statement(percent is not None), [values])

    def _fail(self, ticket: str, message: str) -> None:
        with self.db.uow() as uow:
            row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).first()
            if row is not None:
                row.state = WC_FAILED
                row.last_error = message
                uow.commit()

    # sendRequestXML -----------------------------------------------------------------------------------

    def send_request(
        self,
        ticket: str,
        hcp_response: str,
        company_file: str,
        country: str,
        major: int,
        minor: int,
    ) -> str:
        version = self._going(ticket, answering=False)
        if version is None:
            with self.db.uow() as uow:
                row = self._live(uow, ticket)
                if row is None or row.state != WC_ACTIVE:
                    uow.commit()
                    return ""
                if not row.hello_done:
                    answer = company_check.hello(
                        uow,
                        row,
                        hcp_response or "",
                        company_file or "",
                        country or "",
                        (major, minor),
                        self.clock(),
                    )
                    if answer is not None:
                        uow.commit()
                        return answer
                version = row.qbxml_version
                uow.commit()
        sent_at = self.clock()

        def touch(uow: UnitOfWork) -> None:
            self._touch(uow, ticket, sent_at, request_sent_at=sent_at)

        try:
            # A message handed out touches the session's row in a transaction of the engine's.
            request = self.engine.next_request(ticket, version, also=touch)
        except Exception as exc:
            self._fail(ticket, _explain(exc))
            return ""
        if request:
            return request
        with self.db.uow() as uow:
            row = self._live(uow, ticket)
            if row is not None:
                row.last_error = row.last_error or "Nothing left to send to QuickBooks."
            uow.commit()
        return request

    # receiveResponseXML -------------------------------------------------------------------------------

    def receive_response(self, ticket: str, response: str, hresult: str, message: str) -> int:
        if not hresult and not message and self._going(ticket, answering=True) is not None:
            return self._answered(ticket, response)
        with self.db.uow() as uow:
            row = self._live(uow, ticket)
            taken_over = row is None and self._taken_over(uow, ticket)
            if row is None or row.state != WC_ACTIVE:
                uow.commit()
                if taken_over and response and not hresult:
                    self._keep_late_answer(ticket, response)
                return -1
            if hresult or message:
                uow.commit()
                # Counted once the engine is done with the message refused (its touch of the
                # message handed out may still be on its way, on the planning thread).
                percent = self._refused(ticket, hresult or "", message or "")
                with self.db.uow() as counting:
                    self._count_answer(counting, ticket, None)
                    counting.commit()
                return percent
            if row.hello_pending:
                self._count_answer(uow, ticket, None)
                try:
                    info = read_host_info(response or "", str(get_setting(uow, "qbwc.owner_id")))
                except JobDeskError as exc:
                    row.state = WC_FAILED
                    row.last_error = f"JobDesk could not read QuickBooks' answer: {exc}"
                    uow.commit()
                    return -1
                major, minor = version_pair(info.supported_versions)
                if company_check.accept_host(uow, row, info, major, minor) is not None:
                    uow.commit()
                    return -1
                uow.commit()
                return 0
            uow.commit()
        return self._answered(ticket, response)

    def _answered(self, ticket: str, response: str) -> int:
        """Apply QuickBooks' answer; the round trip is counted with it (``_count_answer``)."""

        came = self.clock()

        def touch(uow: UnitOfWork, percent: int) -> None:
            # Written with the answer (the engine's transaction, maybe on its planning thread).
            self._count_answer(uow, ticket, max(0, min(100, percent)), came)

        try:
            percent = max(0, min(100, int(self.engine.apply_response(ticket, response or "", also=touch))))
        except Exception as exc:
            self._fail(ticket, _explain(exc))
            return -1
        if ticket != self._bound:
            with self.db.uow() as uow:
                if get_binding(uow).is_bound:
                    self._bound = ticket
                else:
                    row = self._live(uow, ticket)
                    if row is not None and row.company_name:
                        bind_company(uow, row.company_name, row.company_file)
                uow.commit()
        return percent

    @staticmethod
    def _taken_over(uow: UnitOfWork, ticket: str) -> bool:
        if not ticket or len(ticket) > 64:
            return False
        row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).first()
        return row is not None and row.state == WC_ABANDONED and row.last_error == TAKEN_OVER_MESSAGE

    def _keep_late_answer(self, ticket: str, response: str) -> None:
        """A session a newer one took over brings QuickBooks' answer: it says what QuickBooks
        did, so it is applied (the engine keeps only what nobody has done since)."""
        try:
            self.engine.apply_response(ticket, response, late=True)
        except Exception:
            log.exception("the answer of a session that was taken over could not be applied")

    def _refused(self, ticket: str, hresult: str, message: str) -> int:
        """QuickBooks refused the whole message: its requests go again in smaller parts, in this
        session, unless QuickBooks itself cannot work (then the session stops, nothing is lost)."""
        try:
            go_on = self.engine.fail_batch(ticket, hresult, message)
        except Exception as exc:
            self._fail(ticket, _explain(exc))
            return -1
        if go_on:
            return max(0, min(99, self.engine.progress(ticket)))
        self._fail(
            ticket,
            "QuickBooks could not process the requests JobDesk sent "
            f"({message.strip() or 'no message'}; code {hresult or 'none'}). JobDesk will check what "
            "reached QuickBooks and send the rest again at the next sync.",
        )
        return -1

    # connectionError / getLastError / closeConnection ------------------------------------------------

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        with self.db.uow() as uow:
            row = self._live(uow, ticket)
            if row is not None:
                row.state = WC_FAILED
                row.last_error = (
                    "The Web Connector could not open QuickBooks "
                    f"({(message or '').strip() or 'no message'}; "
                    f"code {hresult or 'none'}). Check that QuickBooks is installed, the company file is "
                    "reachable and no dialog is open in QuickBooks, then sync again."
                )
            uow.commit()
        return "done"

    def get_last_error(self, ticket: str) -> str:
        with self.db.uow() as uow:
            row = uow.session.scalars(select(WcSession).where(WcSession.ticket == (ticket or ""))).first()
            if row is None:
                return EXPIRED_MESSAGE
            if row.state == WC_ACTIVE and self._calls.expired(row.ticket, row.expires_at, self.clock()):
                return EXPIRED_MESSAGE
            return row.last_error or "No error."

    def close_connection(self, ticket: str) -> str:
        with self.db.reader() as uow:
            state = uow.session.scalar(select(WcSession.state).where(WcSession.ticket == (ticket or "")))
        if state in (WC_ACTIVE, WC_FAILED):
            # First: answers the engine still holds are applied, with the session's bookkeeping
            # (round trips, progress), while the session is still on.
            try:
                self.engine.end_session(ticket)
            except Exception:
                log.exception("end_session raised")
        with self.db.uow() as uow:
            row = uow.session.scalars(select(WcSession).where(WcSession.ticket == (ticket or ""))).first()
            if row is None:
                return "JobDesk: session closed."
            failed = row.state == WC_FAILED
            if row.state in (WC_ACTIVE, WC_FAILED):
                row.state = WC_FAILED if failed else WC_CLOSED
                row.closed_at = self.clock()
            percent = row.percent
            no_work = row.state == WC_NO_WORK
            uow.commit()
        if no_work:
            return "JobDesk: nothing to sync."
        if failed:
            return "JobDesk: sync stopped; see the message above or JobDesk's Sync screen."
        return f"JobDesk: sync finished ({percent}% done)."


def _explain(exc: BaseException) -> str:
    if isinstance(exc, JobDeskError):
        return str(exc)
    log.error("unexpected error in a Web Connector session", exc_info=exc)
    return (
        "JobDesk hit an unexpected problem while syncing and stopped safely; nothing is lost. "
        "The details are in JobDesk's log. Sync again, and contact support if it happens again."
    )


__all__ = [
    "EXPIRED_MESSAGE",
    "MINIMUM_QBXML",
    "PREFERRED_QBXML",
    "WC_ABANDONED",
    "CompanyBinding",
    "Engine",
    "HostInfo",
    "SessionPolicy",
    "WebConnectorSessions",
    "bind_company",
    "binding_mismatch",
    "choose_qbxml_version",
    "clear_binding",
    "get_binding",
    "hello_request",
    "read_host_info",
    "rebind_to_refused",
]
