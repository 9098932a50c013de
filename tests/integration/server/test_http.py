"""The server over real HTTP on localhost, driven by the Web Connector simulator (fake engine)."""

from __future__ import annotations

import shutil
import sqlite3
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.uow import Database
from desktop_app.errors import DatabaseUnavailable, ValidationError
from qbwc_server import sessions as sessions_module
from qbwc_server.round_trip import UNEXPECTED
from qbwc_server.server import EmbeddedServer
from qbwc_server.sessions import SessionPolicy, WebConnectorSessions
from qbwc_server.simulator.webconnector import WebConnector, WebConnectorError, envelope
from tests.qbwc_fakes import PASSWORD, USER, FakeEngine, FakeQuickBooks, set_password


@pytest.fixture
def engine(db: Database) -> FakeEngine:
    return FakeEngine(batches=3, db=db)  # it writes the session's bookkeeping, as the real one


@pytest.fixture
def server(db: Database, engine: FakeEngine) -> Iterator[EmbeddedServer]:
    set_password(db)
    with EmbeddedServer(db, "localhost", 0, engine=engine, max_body_bytes=200_000) as running:
        yield running


def connector(server: EmbeddedServer, password: str = PASSWORD, **kwargs: object) -> WebConnector:
    quickbooks = kwargs.pop("quickbooks", None) or FakeQuickBooks()
    return WebConnector(server.url, USER, password, quickbooks, **kwargs)  # type: ignore[arg-type]


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_status_and_url(server: EmbeddedServer) -> None:
    status = server.status
    assert status.running and status.port > 0
    assert status.url == f"http://localhost:{status.port}/qbwc"


def test_full_session_then_none(server: EmbeddedServer, engine: FakeEngine) -> None:
    report = connector(server).run_session()
    assert report.outcome == "done", report.summary()
    assert report.percents == [33, 66, 100]
    assert report.calls == [
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert "finished" in report.close_message
    second = connector(server).run_session()
    assert second.outcome == "none"
    assert second.calls == ["clientVersion", "authenticate", "closeConnection"]


def test_wrong_password_is_nvu(server: EmbeddedServer) -> None:
    assert connector(server, password="nope").run_session().outcome == "nvu"


def test_old_web_connector_is_refused(server: EmbeddedServer) -> None:
    report = connector(server, version="2.0.0.1").run_session()
    assert report.outcome == "client_refused" and "too old" in report.last_error


def test_a_second_login_takes_over_instead_of_answering_busy(server: EmbeddedServer) -> None:
    first = connector(server)
    result = first.call("authenticate", ("strUserName", USER), ("strPassword", PASSWORD))
    old_ticket = next(s.text or "" for s in result)
    assert connector(server).run_session().outcome == "done"
    assert "newer Web Connector session took over" in first.call("getLastError", ("ticket", old_ticket)).text


def test_hresult_error_path(server: EmbeddedServer, engine: FakeEngine) -> None:
    class Broken(FakeQuickBooks):
        def process(self, request_xml: str) -> str:
            if "HostQueryRq" in request_xml:
                return super().process(request_xml)
            raise RuntimeError("QuickBooks found an error when parsing the provided XML text stream.")

    report = connector(server, quickbooks=Broken()).run_session()
    assert report.outcome == "error"
    assert report.percents == [-1]
    assert "QuickBooks could not process" in report.last_error and "0x80040400" in report.last_error
    assert any(call[0] == "fail_batch" for call in engine.calls)


def test_connection_error_path(server: EmbeddedServer, db: Database) -> None:
    report = connector(server, open_error=("0x80040408", "Could not start QuickBooks.")).run_session()
    assert report.outcome == "connection_error" and report.last_error == ""
    with db.reader() as uow:
        row = uow.session.scalars(select(WcSession)).one()
        assert row.state == "failed" and "Could not start QuickBooks" in row.last_error


def test_different_company_file_is_refused(server: EmbeddedServer, engine: FakeEngine) -> None:
    assert connector(server, company_file=r"C:\Books\practice.qbw").run_session().outcome == "done"
    engine.batches += 1
    report = connector(
        server, quickbooks=FakeQuickBooks(company="Someone Else LLC"), company_file=r"C:\Books\other.qbw"
    ).run_session()
    assert report.outcome == "error"
    assert "Someone Else LLC" in report.last_error and "sent nothing" in report.last_error


def test_oversized_body_is_refused(server: EmbeddedServer) -> None:
    body = envelope("clientVersion", [("strVersion", "9" * 300_000)])
    status, _ = post(server.url, body)
    assert status == 413  # waitress' own limit or ours: refused before any parsing


def test_malformed_envelope_and_dtd(server: EmbeddedServer) -> None:
    status, data = post(server.url, b"<soap:Envelope><unclosed>")
    assert status == 500 and b"Fault" in data and b"Traceback" not in data
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + envelope("clientVersion", [("strVersion", "&e;")]).split(b"?>", 1)[1]
    )
    status, data = post(server.url, evil)
    assert status == 500 and b"DOCTYPE" in data and b"root:" not in data


def test_support_page_and_wsdl(server: EmbeddedServer) -> None:
    support = server.url.rsplit("/", 1)[0] + "/support"
    with urllib.request.urlopen(support, timeout=30) as reply:
        assert reply.status == 200 and b"JobDesk" in reply.read()
    with urllib.request.urlopen(server.url + "?wsdl", timeout=30) as reply:
        assert b"wsdl:definitions" in reply.read()


def test_simulator_refuses_plain_http_to_an_ip() -> None:
    with pytest.raises(WebConnectorError):
        WebConnector("http://127.0.0.1:8089/qbwc", USER, PASSWORD)


def test_a_restart_ends_open_sessions_gracefully(db: Database, engine: FakeEngine) -> None:
    set_password(db)
    first = EmbeddedServer(db, "localhost", 0, engine=engine)
    first.start()
    try:
        wc = WebConnector(first.url, USER, PASSWORD, FakeQuickBooks())
        answer = wc.call("authenticate", ("strUserName", USER), ("strPassword", PASSWORD))
        ticket = answer[0].text or ""
    finally:
        first.stop()
    server = EmbeddedServer(db, "localhost", 0, engine=engine)
    server.start()
    try:
        wc = WebConnector(server.url, USER, PASSWORD, FakeQuickBooks())
        hcp = FakeQuickBooks().process(
            '<?xml version="1.0"?><QBXML><QBXMLMsgsRq><HostQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>'
        )
        assert connector(server).run_session().outcome == "done"  # not "busy"
        request = wc.call(
            "sendRequestXML",
            ("ticket", ticket),
            ("strHCPResponse", hcp),
            ("strCompanyFileName", "C:\\a.qbw"),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", 13),
            ("qbXMLMinorVers", 0),
        ).text
        assert request is None or request == ""  # the old ticket gets a graceful empty answer
        assert "restarted" in (wc.call("getLastError", ("ticket", ticket)).text or "")
    finally:
        server.stop()


def test_embedded_server_lifecycle(db: Database, engine: FakeEngine) -> None:
    server = EmbeddedServer(db, "localhost", 0, engine=engine)
    assert not server.status.running
    status = server.start()
    assert server.start() == status  # idempotent
    busy_port = EmbeddedServer(db, "127.0.0.1", status.port, engine=engine)
    with pytest.raises(ValidationError):
        busy_port.start()
    assert "could not listen" in busy_port.status.error
    assert not server.stop().running
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(status.url.replace("/qbwc", "/support"), timeout=5)


def test_tls_without_cheroot_says_what_to_do(
    db: Database, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cheroot", None)  # as on a machine without it
    server = EmbeddedServer(db, "localhost", 0, engine=engine, certfile="/nonexistent.pem")
    with pytest.raises(ValidationError, match="TLS proxy"):
        server.start()


def test_https_with_a_certificate_file(db: Database, engine: FakeEngine, tmp_path: Path) -> None:
    pytest.importorskip("cheroot", reason="HTTPS is served by cheroot (the 'https' extra)")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    set_password(db)
    server = EmbeddedServer(db, "localhost", 0, engine=engine, certfile=str(cert), keyfile=str(key))
    with server:
        assert server.url.startswith("https://localhost:")
        context = ssl.create_default_context(cafile=str(cert))
        with urllib.request.urlopen(
            server.url.replace("/qbwc", "/support"), timeout=10, context=context
        ) as page:
            assert page.status == 200
        report = connector(server, context=context).run_session()
        assert report.outcome == "done", report.summary()


def test_policy_is_configurable(db: Database, engine: FakeEngine) -> None:
    set_password(db)
    with EmbeddedServer(db, "localhost", 0, engine=engine, policy=SessionPolicy(max_failures=1)) as server:
        assert connector(server, password="bad").run_session().outcome == "nvu"
        assert connector(server).run_session().outcome == "nvu"  # rate-limited


def test_stopping_the_server_closes_the_engine_once_it_takes_no_calls(
    db: Database, engine: FakeEngine
) -> None:
    set_password(db)
    server = EmbeddedServer(db, "localhost", 0, engine=engine)
    server.start()
    assert connector(server).run_session().outcome == "done"
    assert ("close", "") not in engine.calls
    server.stop()
    # After the last call: the sync engine puts back a message it planned ahead (``ahead``).
    assert engine.calls[-1] == ("close", "")


def test_a_locked_database_on_the_quick_read_leaves_the_call_to_the_full_path(
    server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read every round trip makes first (is the session simply going on?) meets a locked
    database: the call is answered the full way (which waits its turn), never a failed call."""
    real = sessions_module.reads.rows_on
    locked = {"left": 2}

    def rows_on(*args: object, **kwargs: object) -> object:
        if locked["left"]:
            locked["left"] -= 1
            raise OperationalError("SELECT …", {}, sqlite3.OperationalError("database is locked"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sessions_module.reads, "rows_on", rows_on)
    report = connector(server).run_session()
    assert report.outcome == "done", report.summary()
    assert locked["left"] == 0 and report.percents == [33, 66, 100]


@pytest.mark.parametrize(
    "error",
    [
        DatabaseUnavailable("The database is not available right now (busy or unreachable)."),
        OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked")),
    ],
    ids=["unavailable", "locked"],
)
def test_a_database_unavailable_during_a_call_is_told_in_words(
    server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """Busy or unreachable for longer than a call may wait: the Web Connector is told so in
    plain words (nothing lost, it tries again), not that JobDesk could not handle the call."""

    def unavailable(*args: object, **kwargs: object) -> str:
        raise error

    monkeypatch.setattr(WebConnectorSessions, "send_request", unavailable)
    with pytest.raises(WebConnectorError) as failed:
        connector(server).run_session()
    assert "database is busy or unreachable" in str(failed.value)
    assert "checks QuickBooks before sending anything again" in str(failed.value)
    assert UNEXPECTED not in str(failed.value)


@pytest.mark.parametrize(
    "error",
    [
        DatabaseUnavailable("The database is not available right now (busy or unreachable)."),
        OperationalError("SELECT …", {}, sqlite3.OperationalError("database is locked")),
    ],
    ids=["unavailable", "locked"],
)
def test_a_database_unavailable_at_login_is_told_in_words(
    server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """authenticate (answered by spyne, not the round trip's own path) meets the same outage:
    the same plain words, not that JobDesk could not handle the call."""

    def unavailable(*args: object, **kwargs: object) -> list[str]:
        raise error

    monkeypatch.setattr(WebConnectorSessions, "authenticate", unavailable)
    with pytest.raises(WebConnectorError) as failed:
        connector(server).run_session()
    assert "database is busy or unreachable" in str(failed.value)
    assert UNEXPECTED not in str(failed.value)
