"""The Web Connector session layer, without SOAP or HTTP (fake engine, fake clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import PermissionDenied, QbxmlError
from desktop_app.services.settings import get_setting, set_setting
from qbwc_server.sessions import (
    EXPIRED_MESSAGE,
    TAKEN_OVER_MESSAGE,
    SessionPolicy,
    WebConnectorSessions,
    bind_company,
    choose_qbxml_version,
    clear_binding,
    get_binding,
    read_host_info,
    rebind_to_refused,
)
from tests.qbwc_fakes import PASSWORD, USER, FakeEngine, host_company_response

COMPANY_FILE = r"C:\Company Files\practice.qbw"


def login(sessions: WebConnectorSessions) -> str:
    ticket, status = sessions.authenticate(USER, PASSWORD)
    assert status == ""
    return ticket


def hello(
    sessions: WebConnectorSessions,
    ticket: str,
    company: str = "Practice Plumbing",
    path: str = COMPANY_FILE,
    versions: tuple[str, ...] = ("13.0",),
    major: int = 13,
) -> str:
    return sessions.send_request(ticket, host_company_response(company, versions), path, "US", major, 0)


def run_to_end(sessions: WebConnectorSessions, ticket: str) -> list[int]:
    percents = []
    request = hello(sessions, ticket)
    while request:
        percent = sessions.receive_response(ticket, "<QBXML><QBXMLMsgsRs/></QBXML>", "", "")
        percents.append(percent)
        if percent >= 100 or percent < 0:
            break
        request = sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
    sessions.close_connection(ticket)
    return percents


# -- clientVersion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "prefix"),
    [("2.3.0.215", ""), ("2.2.0.71", "W:"), ("2.0.1.5", "E:"), ("1.5", "E:"), ("", ""), ("banana", "")],
)
def test_client_version(sessions: WebConnectorSessions, version: str, prefix: str) -> None:
    answer = sessions.client_version(version)
    assert answer.startswith(prefix) if prefix else answer == ""


# -- authenticate ----------------------------------------------------------------------------------


def test_successful_session_runs_the_engine(sessions: WebConnectorSessions, engine: FakeEngine) -> None:
    ticket = login(sessions)
    assert len(ticket) >= 40
    assert run_to_end(sessions, ticket) == [50, 100]
    assert engine.names() == [
        "has_work",
        "start_session",
        "next_request",
        "apply_response",
        "next_request",
        "apply_response",
        "end_session",
    ]
    assert engine.calls[2] == ("next_request", ticket, "13.0")


def test_wrong_password_or_user_is_nvu(sessions: WebConnectorSessions, engine: FakeEngine) -> None:
    assert sessions.authenticate(USER, "wrong password")[1] == "nvu"
    assert sessions.authenticate("someone", PASSWORD)[1] == "nvu"
    assert sessions.authenticate("", "")[1] == "nvu"
    assert "start_session" not in engine.names()


def test_no_password_set_refuses_everyone(db: Database, engine: FakeEngine) -> None:
    sessions = WebConnectorSessions(db, engine)
    assert sessions.authenticate("jobdesk", "")[1] == "nvu"


def test_failed_logins_are_rate_limited(
    make_sessions: Callable[..., WebConnectorSessions], clock: object
) -> None:
    sessions = make_sessions(SessionPolicy(max_failures=3, failure_window_seconds=600))
    for _ in range(3):
        assert sessions.authenticate(USER, "guess")[1] == "nvu"
    # Even the right password is refused while the window is full...
    assert sessions.authenticate(USER, PASSWORD)[1] == "nvu"
    # ...and accepted once it has passed.
    clock.advance(seconds=601)  # type: ignore[attr-defined]
    assert sessions.authenticate(USER, PASSWORD)[1] == ""


def test_no_work_answers_none_and_starts_nothing(make_sessions: Callable[..., WebConnectorSessions]) -> None:
    idle = FakeEngine(batches=0)
    sessions = make_sessions(eng=idle)
    ticket, status = sessions.authenticate(USER, PASSWORD)
    assert status == "none"
    assert idle.names() == ["has_work"]
    assert sessions.close_connection(ticket) == "JobDesk: nothing to sync."


def test_a_new_login_takes_over_the_open_session(sessions: WebConnectorSessions, db: Database) -> None:
    """The Web Connector runs one session at a time: a new login means the old one is over."""
    first = login(sessions)
    hello(sessions, first)  # a request is out with QuickBooks
    second, status = sessions.authenticate(USER, PASSWORD)
    assert status == ""  # starts at once: never "busy"
    with db.uow() as uow:
        old = uow.session.scalars(select(WcSession).where(WcSession.ticket == first)).one()
        assert old.state == "abandoned"
    # The old session calling again is told plainly, and asks for nothing more.
    assert sessions.send_request(first, "", "", "US", 13, 0) == ""
    assert sessions.get_last_error(first) == TAKEN_OVER_MESSAGE
    assert second != first


def test_an_answer_from_a_session_that_was_taken_over_is_kept(
    sessions: WebConnectorSessions, engine: FakeEngine
) -> None:
    first = login(sessions)
    hello(sessions, first)
    sessions.authenticate(USER, PASSWORD)
    answer = "<QBXML><QBXMLMsgsRs/></QBXML>"
    assert sessions.receive_response(first, answer, "", "") == -1
    assert ("apply_response", first) in engine.calls


def test_an_expired_ticket_is_not_taken_for_a_late_answer(
    sessions: WebConnectorSessions, engine: FakeEngine
) -> None:
    assert sessions.receive_response("never-issued", "<QBXML/>", "", "") == -1
    assert not [call for call in engine.calls if call[0] == "apply_response"]


# -- tickets ---------------------------------------------------------------------------------------


def test_unknown_ticket_gets_graceful_answers(sessions: WebConnectorSessions) -> None:
    assert sessions.send_request("nope", "", "", "US", 13, 0) == ""
    assert sessions.receive_response("nope", "<QBXML/>", "", "") == -1
    assert sessions.get_last_error("nope") == EXPIRED_MESSAGE
    assert sessions.connection_error("nope", "0x1", "x") == "done"
    assert sessions.close_connection("nope") == "JobDesk: session closed."
    assert sessions.send_request("x" * 5000, "", "", "US", 13, 0) == ""


def test_expired_ticket(make_sessions: Callable[..., WebConnectorSessions], clock: object) -> None:
    sessions = make_sessions(SessionPolicy(ticket_minutes=5))
    ticket = login(sessions)
    hello(sessions, ticket)
    clock.advance(minutes=6)  # type: ignore[attr-defined]
    assert sessions.receive_response(ticket, "<QBXML/>", "", "") == -1
    assert sessions.get_last_error(ticket) == EXPIRED_MESSAGE
    assert sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0) == ""


def test_each_call_extends_the_ticket(
    make_sessions: Callable[..., WebConnectorSessions], clock: object
) -> None:
    sessions = make_sessions(SessionPolicy(ticket_minutes=5))
    ticket = login(sessions)
    clock.advance(minutes=4)  # type: ignore[attr-defined]
    assert hello(sessions, ticket)
    clock.advance(minutes=4)  # type: ignore[attr-defined]
    assert sessions.receive_response(ticket, "<QBXML/>", "", "") == 50


class _TouchingEngine(FakeEngine):
    """Writes the session layer's bookkeeping in its own transaction, as the real one does."""

    def __init__(self, db: Database) -> None:
        super().__init__(batches=3)
        self.db = db

    def next_request(self, ticket: str, qbxml_version: str = "13.0", *, also: Any = None) -> str:
        message = super().next_request(ticket, qbxml_version)
        if message and also is not None:
            with self.db.deferred() as uow:  # as the real engine plans a batch
                also(uow)
                uow.commit()
        return message


@pytest.mark.parametrize("writes_it_too", [True, False])
def test_a_message_handed_out_touches_the_session_once(
    make_sessions: Callable[..., WebConnectorSessions],
    db: Database,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    writes_it_too: bool,
) -> None:
    engine = _TouchingEngine(db) if writes_it_too else FakeEngine(batches=3)
    sessions = make_sessions(SessionPolicy(ticket_minutes=5), engine)
    ticket = login(sessions)
    assert hello(sessions, ticket)
    assert sessions.receive_response(ticket, "<QBXML><QBXMLMsgsRs/></QBXML>", "", "") > 0
    clock.advance(minutes=4)
    units: list[str] = []
    real_uow = db.uow
    monkeypatch.setattr(db, "uow", lambda *args: units.append("uow") or real_uow(*args))
    assert sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
    with db.reader() as uow:
        row = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).one()
        assert row.request_sent_at == clock.now and row.expires_at == clock.now + timedelta(minutes=5)
    # The session layer opens no unit of work of its own: the engine writes the touch, in the
    # transaction it planned the message in (or, as the fake does, in one of its own).
    assert len(units) == (0 if writes_it_too else 1)
    clock.advance(minutes=4)
    assert sessions.receive_response(ticket, "<QBXML><QBXMLMsgsRs/></QBXML>", "", "") > 0  # still live


def test_the_session_row_counts_each_round_trip_and_keeps_its_progress(
    make_sessions: Callable[..., WebConnectorSessions], db: Database, clock: Any
) -> None:
    sessions = make_sessions(SessionPolicy(ticket_minutes=5), FakeEngine(batches=3))

    def row() -> WcSession:
        with db.reader() as uow:
            found = uow.session.scalars(select(WcSession).where(WcSession.ticket == ticket)).one()
            uow.session.expunge(found)  # its values as read, kept after the unit of work
            return found

    ticket = login(sessions)
    assert hello(sessions, ticket)
    assert sessions.receive_response(ticket, "<QBXML><QBXMLMsgsRs/></QBXML>", "", "") > 0
    seen = row()
    assert (seen.round_trips, seen.request_sent_at) == (1, None)
    for trip in (2, 3):
        clock.advance(minutes=1)
        assert sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
        sent = row()
        assert sent.request_sent_at == clock.now and sent.last_seen_at == clock.now
        assert sent.round_trips == trip - 1  # counted when its answer comes
        clock.advance(minutes=1)
        percent = sessions.receive_response(ticket, "<QBXML><QBXMLMsgsRs/></QBXML>", "", "")
        answered = row()
        assert (answered.round_trips, answered.percent, answered.request_sent_at) == (trip, percent, None)
        assert answered.expires_at == clock.now + timedelta(minutes=5)
    # A ticket that has expired is not touched: nothing of it changes.
    clock.advance(minutes=6)
    before = row()
    assert sessions.receive_response(ticket, "<QBXML/>", "", "") == -1
    after = row()
    assert (after.round_trips, after.percent, after.last_seen_at) == (
        before.round_trips,
        before.percent,
        before.last_seen_at,
    )


# -- errors reported by the Web Connector ----------------------------------------------------------


def test_hresult_fails_the_batch_and_explains(sessions: WebConnectorSessions, engine: FakeEngine) -> None:
    ticket = login(sessions)
    hello(sessions, ticket)
    assert (
        sessions.receive_response(ticket, "", "0x80040400", "QuickBooks found an error parsing the XML") == -1
    )
    assert ("fail_batch", ticket, "0x80040400", "QuickBooks found an error parsing the XML") in engine.calls
    message = sessions.get_last_error(ticket)
    assert "QuickBooks could not process" in message and "0x80040400" in message
    assert "parsing the XML" in message
    assert "sync stopped" in sessions.close_connection(ticket)


def test_connection_error_is_recorded_and_done(sessions: WebConnectorSessions, db: Database) -> None:
    ticket = login(sessions)
    assert sessions.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    assert "Could not start QuickBooks" in sessions.get_last_error(ticket)
    sessions.close_connection(ticket)
    with db.uow() as uow:
        assert uow.session.scalars(select(WcSession.state)).one() == "failed"


def test_engine_errors_become_messages(make_sessions: Callable[..., WebConnectorSessions]) -> None:
    broken = FakeEngine(batches=2, fail_apply=QbxmlError("The QuickBooks message is not well-formed XML."))
    sessions = make_sessions(eng=broken)
    ticket = login(sessions)
    hello(sessions, ticket)
    assert sessions.receive_response(ticket, "<broken", "", "") == -1
    assert sessions.get_last_error(ticket) == "The QuickBooks message is not well-formed XML."


def test_unexpected_engine_errors_hide_details(make_sessions: Callable[..., WebConnectorSessions]) -> None:
    broken = FakeEngine(batches=2, fail_apply=RuntimeError("secret internals"))
    sessions = make_sessions(eng=broken)
    ticket = login(sessions)
    hello(sessions, ticket)
    assert sessions.receive_response(ticket, "<QBXML/>", "", "") == -1
    message = sessions.get_last_error(ticket)
    assert "unexpected problem" in message and "secret" not in message


# -- qbXML version and the company file -------------------------------------------------------------


def test_qbxml_version_choice() -> None:
    assert choose_qbxml_version(16, 0) == "13.0"
    assert choose_qbxml_version(13, 0) == "13.0"
    assert choose_qbxml_version(12, 0, ["10.0", "12.0"]) is None
    assert choose_qbxml_version(0, 0, ["12.0", "13.0"]) == "13.0"


def test_old_quickbooks_is_refused(sessions: WebConnectorSessions, engine: FakeEngine) -> None:
    ticket = login(sessions)
    assert hello(sessions, ticket, versions=("8.0", "12.0"), major=12) == ""
    assert "qbXML 13.0 or later" in sessions.get_last_error(ticket)
    assert "next_request" not in engine.names()


def test_first_success_binds_the_company(sessions: WebConnectorSessions, db: Database) -> None:
    run_to_end(sessions, login(sessions))
    with db.uow() as uow:
        binding = get_binding(uow)
        assert binding.company_name == "Practice Plumbing"
        assert binding.company_path == COMPANY_FILE
        assert binding.file_id == str(get_setting(uow, "qbwc.file_id"))
        assert uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "qbwc.bind")).one()


def test_a_different_company_file_is_refused(
    sessions: WebConnectorSessions, engine: FakeEngine, db: Database, admin: Actor
) -> None:
    with db.uow(admin) as uow:
        bind_company(uow, "Practice Plumbing", COMPANY_FILE)
        uow.commit()
    ticket = login(sessions)
    assert hello(sessions, ticket, company="Other Company Inc", path=r"C:\Other\other.qbw") == ""
    message = sessions.get_last_error(ticket)
    assert "Other Company Inc" in message and "Practice Plumbing" in message and "sent nothing" in message
    assert "next_request" not in engine.names()
    sessions.close_connection(ticket)
    # Same name, different file: still refused. Same file with other slashes/case: accepted.
    ticket = login(sessions)
    assert hello(sessions, ticket, path=r"D:\copy\practice.qbw") == ""
    sessions.close_connection(ticket)
    ticket = login(sessions)
    assert hello(sessions, ticket, path="c:/company files/PRACTICE.QBW") != ""


def test_mismatched_file_id_is_refused(sessions: WebConnectorSessions, db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bind_company(uow, "Practice Plumbing", COMPANY_FILE, "{AAAAAAAA-0000-0000-0000-000000000000}")
        uow.commit()
    ticket = login(sessions)
    response = host_company_response(file_id="{BBBBBBBB-0000-0000-0000-000000000000}")
    assert sessions.send_request(ticket, response, COMPANY_FILE, "US", 13, 0) == ""


def test_rebinding_is_admin_only_and_audited(
    sessions: WebConnectorSessions, db: Database, admin: Actor, office: Actor
) -> None:
    with db.uow(admin) as uow:
        bind_company(uow, "Practice Plumbing", COMPANY_FILE)
        uow.commit()
    ticket = login(sessions)
    hello(sessions, ticket, company="New Books LLC", path=r"C:\New\new.qbw")
    sessions.close_connection(ticket)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        rebind_to_refused(uow)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        clear_binding(uow)
    with db.uow(admin) as uow:
        binding = rebind_to_refused(uow)
        uow.commit()
    assert binding.company_name == "New Books LLC" and binding.company_path == r"C:\New\new.qbw"
    ticket = login(sessions)
    assert hello(sessions, ticket, company="New Books LLC", path=r"C:\New\new.qbw") != ""
    with db.uow(admin) as uow:
        assert not clear_binding(uow).is_bound
        uow.commit()
        actions = list(uow.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("qbwc.%"))))
    assert actions == ["qbwc.bind", "qbwc.bind", "qbwc.unbind"]


def test_hello_exchange_when_no_hcp_response(sessions: WebConnectorSessions, engine: FakeEngine) -> None:
    ticket = login(sessions)
    first = sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
    assert "<HostQueryRq" in first and "<CompanyQueryRq" in first and "<OwnerID>" in first
    assert sessions.receive_response(ticket, host_company_response(), "", "") == 0
    assert "CustomerQueryRq" in sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
    assert engine.calls[-1][0] == "next_request"


def test_hello_answer_that_is_hostile_fails_cleanly(sessions: WebConnectorSessions) -> None:
    ticket = login(sessions)
    sessions.send_request(ticket, "", COMPANY_FILE, "US", 13, 0)
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><QBXML>&a;</QBXML>'
    assert sessions.receive_response(ticket, evil, "", "") == -1
    assert "could not read" in sessions.get_last_error(ticket)


def test_read_host_info_finds_our_file_id() -> None:
    info = read_host_info(host_company_response(file_id="{F1}"), "{11111111-2222-3333-4444-555555555555}")
    assert info.company_name == "Practice Plumbing"
    assert info.supported_versions == ("12.0", "13.0")
    assert info.file_id == "{F1}"
    assert read_host_info(host_company_response(file_id="{F1}"), "{other}").file_id == ""


def test_settings_exist(db: Database) -> None:
    with db.uow() as uow:
        set_setting(uow, "qbwc.bound_company_path", COMPANY_FILE)
        assert get_setting(uow, "qbwc.bound_company_path") == COMPANY_FILE
