"""The exact bytes on the wire, and the WSGI wall in front of spyne.

Golden files live in tests/fixtures/wire/; regenerate them deliberately with
``JOBDESK_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import copy
import io
import os
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from qbwc_server.server import QbwcWsgiApp
from qbwc_server.simulator.webconnector import envelope
from qbwc_server.soap import make_wsgi_app

WIRE = Path(__file__).resolve().parents[2] / "fixtures" / "wire"
INTUIT_WSDL = Path(__file__).resolve().parents[4] / "shared" / "reference" / "wsdl" / "QBWebConnectorSvc.wsdl"
NS = "http://developer.intuit.com/"


class FixedSessions:
    """Fixed answers, so the bytes depend on the SOAP layer alone."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def server_version(self) -> str:
        return "JobDesk 0.1.0"

    def client_version(self, version: str) -> str:
        self.seen.append(("clientVersion", version))
        return "W:Old <Web> Connector & friends" if version == "1.0" else ""

    def authenticate(self, user: str, password: str) -> list[str]:
        self.seen.append(("authenticate", user, password))
        return ["TICKET-1", "none" if user == "idle" else ""]

    def send_request(self, *args: Any) -> str:
        self.seen.append(("sendRequestXML", *args))
        if args[0] == "empty":
            return ""
        head = '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
        return head + "<QBXML><A>Smith &amp; Sons</A></QBXML>"

    def receive_response(self, *args: Any) -> int:
        self.seen.append(("receiveResponseXML", *args))
        return -1 if args[2] else 100

    def connection_error(self, *args: Any) -> str:
        self.seen.append(("connectionError", *args))
        return "done"

    def get_last_error(self, ticket: str) -> str:
        return ""

    def close_connection(self, ticket: str) -> str:
        return "JobDesk: sync finished (100% done)."


@pytest.fixture
def fixed() -> FixedSessions:
    return FixedSessions()


@pytest.fixture
def app(fixed: FixedSessions) -> QbwcWsgiApp:
    return QbwcWsgiApp(make_wsgi_app(fixed), max_body_bytes=10_000)  # type: ignore[arg-type]


def call(
    app: QbwcWsgiApp,
    body: bytes,
    method: str = "POST",
    query: str = "",
    path: str = "/qbwc",
    length: str | None = None,
) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8089",
        "HTTP_HOST": "localhost:8089",
        "SCRIPT_NAME": "",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
        "CONTENT_TYPE": "text/xml; charset=utf-8",
    }
    status: list[str] = []

    def start_response(code: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        status.append(code)

    data = b"".join(app(environ, start_response))
    return status[0], data


CASES: dict[str, tuple[str, list[tuple[str, str | int]]]] = {
    "serverVersion": ("serverVersion", []),
    "clientVersion_ok": ("clientVersion", [("strVersion", "2.3.0.215")]),
    "clientVersion_warn": ("clientVersion", [("strVersion", "1.0")]),
    "authenticate_work": ("authenticate", [("strUserName", "jobdesk"), ("strPassword", "pw")]),
    "authenticate_none": ("authenticate", [("strUserName", "idle"), ("strPassword", "pw")]),
    "sendRequestXML": (
        "sendRequestXML",
        [
            ("ticket", "T"),
            ("strHCPResponse", "<QBXML/>"),
            ("strCompanyFileName", r"C:\a.qbw"),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", 13),
            ("qbXMLMinorVers", 0),
        ],
    ),
    "sendRequestXML_empty": (
        "sendRequestXML",
        [
            ("ticket", "empty"),
            ("strHCPResponse", ""),
            ("strCompanyFileName", ""),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", 13),
            ("qbXMLMinorVers", 0),
        ],
    ),
    "receiveResponseXML": (
        "receiveResponseXML",
        [("ticket", "T"), ("response", "<QBXML/>"), ("hresult", ""), ("message", "")],
    ),
    "receiveResponseXML_error": (
        "receiveResponseXML",
        [("ticket", "T"), ("response", ""), ("hresult", "0x80040400"), ("message", "bad")],
    ),
    "connectionError": ("connectionError", [("ticket", "T"), ("hresult", "0x1"), ("message", "no QB")]),
    "getLastError_empty": ("getLastError", [("ticket", "T")]),
    "closeConnection": ("closeConnection", [("ticket", "T")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_response_bytes_are_golden(app: QbwcWsgiApp, name: str) -> None:
    method, params = CASES[name]
    status, data = call(app, envelope(method, params))
    assert status == "200 OK"
    golden = WIRE / f"{name}.xml"
    if os.environ.get("JOBDESK_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(data)
    assert data == golden.read_bytes()


def test_golden_details_the_web_connector_relies_on() -> None:
    auth = (WIRE / "authenticate_work.xml").read_bytes()
    assert b"<tns:authenticateResult><tns:string>TICKET-1</tns:string><tns:string></tns:string>" in auth
    assert b'xmlns:tns="http://developer.intuit.com/"' in auth
    assert (
        b"<tns:sendRequestXMLResult></tns:sendRequestXMLResult>"
        in (WIRE / "sendRequestXML_empty.xml").read_bytes()
    )
    assert (
        b"<tns:getLastErrorResult></tns:getLastErrorResult>" in (WIRE / "getLastError_empty.xml").read_bytes()
    )
    assert (
        b"<tns:receiveResponseXMLResult>-1</tns:receiveResponseXMLResult>"
        in (WIRE / "receiveResponseXML_error.xml").read_bytes()
    )
    assert b"&lt;QBXML&gt;&lt;A&gt;Smith &amp;amp; Sons" in (WIRE / "sendRequestXML.xml").read_bytes()


def test_parameters_arrive_with_their_wire_names(app: QbwcWsgiApp, fixed: FixedSessions) -> None:
    call(app, envelope(*CASES["sendRequestXML"]))
    call(app, envelope(*CASES["receiveResponseXML_error"]))
    call(app, envelope(*CASES["connectionError"]))
    assert fixed.seen == [
        ("sendRequestXML", "T", "<QBXML/>", r"C:\a.qbw", "US", 13, 0),
        ("receiveResponseXML", "T", "", "0x80040400", "bad"),
        ("connectionError", "T", "0x1", "no QB"),
    ]


def test_missing_parameters_arrive_as_empty_strings(app: QbwcWsgiApp, fixed: FixedSessions) -> None:
    status, _ = call(app, envelope("authenticate", []))
    assert status == "200 OK"
    assert fixed.seen == [("authenticate", "", "")]


# -- the request envelopes the simulator sends validate against Intuit's schema ----------------------


def _schema_from_wsdl(wsdl: bytes) -> etree.XMLSchema:
    root = etree.fromstring(wsdl, etree.XMLParser(resolve_entities=False, no_network=True))
    schema = root.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    assert schema is not None
    # QName values such as "tns:ArrayOfString" need the WSDL's namespace declarations.
    nsmap = {k: v for k, v in {**root.nsmap, **schema.nsmap}.items() if k is not None}
    standalone = etree.Element(schema.tag, attrib=dict(schema.attrib), nsmap=nsmap)
    standalone.extend(copy.deepcopy(child) for child in schema)
    return etree.XMLSchema(standalone)


def _bodies() -> list[etree._Element]:
    out = []
    for method, params in CASES.values():
        root = etree.fromstring(envelope(method, params))
        assert root.prefix == "soap"
        out.append(root[0][0])
    return out


def test_simulator_envelopes_validate_against_intuit_wsdl_schema() -> None:
    if not INTUIT_WSDL.is_file():
        pytest.skip("Intuit's WSDL is not available next to the repository")
    schema = _schema_from_wsdl(INTUIT_WSDL.read_bytes())
    for body in _bodies():
        assert schema.validate(body), (body.tag, schema.error_log)


def test_simulator_envelopes_validate_against_our_own_wsdl(app: QbwcWsgiApp) -> None:
    status, wsdl = call(app, b"", method="GET", query="wsdl")
    assert status == "200 OK"
    schema = _schema_from_wsdl(wsdl)
    for body in _bodies():
        assert schema.validate(body), (body.tag, schema.error_log)


def test_our_wsdl_has_intuits_operations(app: QbwcWsgiApp) -> None:
    _, wsdl = call(app, b"", method="GET", query="wsdl")
    root = etree.fromstring(wsdl)
    assert root.get("targetNamespace") == NS
    operations = {op.get("name") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert operations == {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    }


# -- the wall in front of spyne ---------------------------------------------------------------------


def test_support_page_answers_200(app: QbwcWsgiApp) -> None:
    for path in ("/support", "/qbwc", "/"):
        status, data = call(app, b"", method="GET", path=path)
        assert status == "200 OK"
        assert b"JobDesk QuickBooks connector" in data


def test_unknown_path_and_method(app: QbwcWsgiApp) -> None:
    assert call(app, b"", method="GET", path="/etc/passwd")[0] == "404 Not Found"
    assert call(app, b"x", method="PUT")[0] == "405 Method Not Allowed"


def test_oversized_body_is_refused_before_reading(app: QbwcWsgiApp, fixed: FixedSessions) -> None:
    status, data = call(app, b"", length="20000")
    assert status == "413 Request Entity Too Large"
    assert b"<faultcode>soap:Client</faultcode>" in data
    big = envelope("clientVersion", [("strVersion", "1" * 20_000)])
    assert call(app, big)[0] == "413 Request Entity Too Large"
    assert fixed.seen == []


@pytest.mark.parametrize(
    "body",
    [
        b"<soap:Envelope",
        b"not xml at all",
        b"",
        b'<?xml version="1.0"?><root/>',
    ],
)
def test_malformed_envelope_gets_a_fault_without_traceback(app: QbwcWsgiApp, body: bytes) -> None:
    status, data = call(app, body)
    assert status.startswith("500")
    fault = etree.fromstring(data).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault is not None
    assert b"Traceback" not in data and b'File "' not in data


def test_unknown_operation_gets_a_fault(app: QbwcWsgiApp) -> None:
    status, data = call(app, envelope("dropTables", [("x", "1")]))
    assert status.startswith("500") and b"Fault" in data and b"Traceback" not in data


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!doctype x SYSTEM "http://example.com/evil.dtd">',
    ],
)
def test_dtd_and_entities_are_rejected(app: QbwcWsgiApp, fixed: FixedSessions, prolog: str) -> None:
    body = envelope("clientVersion", [("strVersion", "2.3")]).decode()
    body = body.replace(
        '<?xml version="1.0" encoding="utf-8"?>', f'<?xml version="1.0" encoding="utf-8"?>{prolog}'
    )
    status, data = call(app, body.encode())
    assert status.startswith("500")
    assert b"DOCTYPE" in data
    assert fixed.seen == []
