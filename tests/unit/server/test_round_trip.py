"""The round trip's two callbacks without spyne (``qbwc_server.round_trip``) answer as spyne does.

Each case goes through two apps over the same recording sessions: one that takes plain
round-trip calls itself, one that leaves everything to spyne. Both must call the sessions
with the same arguments and answer with the same status, headers and bytes. Calls that are
not plain must be left to spyne.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import etree

from qbwc_server import round_trip
from qbwc_server.server import QbwcWsgiApp, read_soap_body
from qbwc_server.simulator.webconnector import envelope
from qbwc_server.soap import make_wsgi_app

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QBXML = (
    '<?xml version="1.0" ?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">'
    '<CustomerAddRq requestID="1-1"><CustomerAdd><Name>Smith &amp; Sons &lt;Plumbing&gt;</Name>'
    "</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
)


class Recording:
    """Sessions that note every call and answer with what a test set."""

    def __init__(self, request: str = QBXML, percent: int = 42, fail: bool = False) -> None:
        self.request = request
        self.percent = percent
        self.fail = fail
        self.calls: list[tuple[Any, ...]] = []

    def send_request(self, *args: Any) -> str:
        self.calls.append(("send_request", *args))
        if self.fail:
            raise RuntimeError("something nobody expected")
        return self.request

    def receive_response(self, *args: Any) -> int:
        self.calls.append(("receive_response", *args))
        if self.fail:
            raise RuntimeError("something nobody expected")
        return self.percent


def _call(
    app: QbwcWsgiApp, body: bytes, content_type: str | None = "text/xml; charset=utf-8"
) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/qbwc",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8089",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    data = b"".join(app(environ, lambda status, headers, *_: seen.append((status, headers))))
    return seen[0][0], seen[0][1], data


def _both(
    body: bytes, content_type: str | None = "text/xml; charset=utf-8", **sessions: Any
) -> tuple[Any, Any, Recording, Recording]:
    fast, slow = Recording(**sessions), Recording(**sessions)
    fast_app = QbwcWsgiApp(make_wsgi_app(fast), sessions=fast)  # type: ignore[arg-type]
    spyne_app = QbwcWsgiApp(make_wsgi_app(slow))  # type: ignore[arg-type]
    return _call(fast_app, body, content_type), _call(spyne_app, body, content_type), fast, slow


def _taken(body: bytes) -> bool:
    problem, root = read_soap_body(body)
    assert not problem and root is not None
    return round_trip.answer(root, Recording(), "text/xml; charset=utf-8") is not None  # type: ignore[arg-type]


SEND = [
    ("ticket", "abc"),
    ("strHCPResponse", ""),
    ("strCompanyFileName", r"C:\Company Files\Smith & Sons.qbw"),
    ("qbXMLCountry", "US"),
    ("qbXMLMajorVers", 13),
    ("qbXMLMinorVers", 0),
]
RECEIVE = [("ticket", "abc"), ("response", QBXML), ("hresult", ""), ("message", "")]

PLAIN = {
    "send": envelope("sendRequestXML", SEND),
    "send, first call with the host answer": envelope(
        "sendRequestXML", [("ticket", "abc"), ("strHCPResponse", QBXML), *SEND[2:]]
    ),
    "send, some parameters left out": envelope("sendRequestXML", [("ticket", "abc"), ("qbXMLMajorVers", 16)]),
    "send, no parameters": envelope("sendRequestXML", []),
    "send, negative and large versions": envelope(
        "sendRequestXML", [*SEND[:4], ("qbXMLMajorVers", -1), ("qbXMLMinorVers", 999_999_999)]
    ),
    "receive": envelope("receiveResponseXML", RECEIVE),
    "receive, a refusal": envelope(
        "receiveResponseXML",
        [("ticket", "abc"), ("response", ""), ("hresult", "0x80040400"), ("message", "QuickBooks failed")],
    ),
    "receive, white space and non-ASCII kept": envelope(
        "receiveResponseXML", [("ticket", "  abc \r\n"), ("response", "Café — 5 € <ok/>"), ("message", "\t")]
    ),
    "receive, empty ticket": envelope("receiveResponseXML", [("ticket", ""), ("response", QBXML)]),
    "with white space between elements": (
        f'<?xml version="1.0"?>\n<soap:Envelope xmlns:soap="{SOAP}">\n  <soap:Body>\n'
        '    <receiveResponseXML xmlns="http://developer.intuit.com/">\n      <ticket>abc</ticket>\n'
        "      <response>x</response>\n    </receiveResponseXML>\n  </soap:Body>\n</soap:Envelope>\n"
    ).encode(),
}


@pytest.mark.parametrize("body", PLAIN.values(), ids=PLAIN.keys())
def test_a_plain_call_is_answered_as_spyne_answers_it(body: bytes) -> None:
    assert _taken(body)
    fast, spyne, fast_sessions, spyne_sessions = _both(body)
    assert fast == spyne
    assert fast_sessions.calls == spyne_sessions.calls
    assert len(fast_sessions.calls) == 1


@pytest.mark.parametrize(
    "answer",
    ["", QBXML, "a & b < c > d \" ' \r\n\t end", "Ünïcödé ✓ " * 50],
    ids=["empty", "qbxml", "markup characters", "non-ASCII"],
)
def test_every_string_sendrequestxml_returns_is_written_as_spyne_writes_it(answer: str) -> None:
    fast, spyne, _, _ = _both(envelope("sendRequestXML", SEND), request=answer)
    assert fast == spyne
    result = etree.fromstring(fast[2]).find(".//{http://developer.intuit.com/}sendRequestXMLResult")
    assert result is not None and (result.text or "") == answer


@pytest.mark.parametrize("percent", [-1, 0, 1, 99, 100])
def test_every_progress_receiveresponsexml_returns_is_written_as_spyne_writes_it(percent: int) -> None:
    fast, spyne, _, _ = _both(envelope("receiveResponseXML", RECEIVE), percent=percent)
    assert fast == spyne


@pytest.mark.parametrize("body", [PLAIN["send"], PLAIN["receive"]], ids=["send", "receive"])
def test_an_unexpected_error_is_the_same_fault_both_ways_and_says_so_in_words(body: bytes) -> None:
    fast, spyne, _, _ = _both(body, fail=True)
    assert fast == spyne
    assert fast[0].startswith("500")
    assert round_trip.UNEXPECTED.encode() in fast[2]


def test_a_result_that_cannot_be_xml_is_a_fault_not_a_broken_answer() -> None:
    status, _, data = _call(
        QbwcWsgiApp(make_wsgi_app(sessions := Recording(request="bad \x01 byte")), sessions=sessions),  # type: ignore[arg-type]
        PLAIN["send"],
    )
    assert status.startswith("500")
    assert round_trip.UNEXPECTED.encode() in data


def _with(method: str, inner: str, *, header: str = "", body_attributes: str = "") -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:xsi="{XSI}">{header}<soap:Body{body_attributes}>'
        f'<{method} xmlns="http://developer.intuit.com/">{inner}</{method}></soap:Body></soap:Envelope>'
    ).encode()


def _version(text: str) -> bytes:
    return _with("sendRequestXML", f"<ticket>a</ticket><qbXMLMajorVers>{text}</qbXMLMajorVers>")


LEFT_TO_SPYNE = {
    "another method": envelope("getLastError", [("ticket", "abc")]),
    "xsi:nil": _with("receiveResponseXML", '<ticket xsi:nil="true"/><response>x</response>'),
    "an attribute": _with("receiveResponseXML", '<ticket id="1">abc</ticket>'),
    "an unknown parameter": _with("receiveResponseXML", "<ticket>abc</ticket><extra>1</extra>"),
    "parameters out of order": _with("receiveResponseXML", "<response>x</response><ticket>abc</ticket>"),
    "a parameter twice": _with("receiveResponseXML", "<ticket>a</ticket><ticket>b</ticket>"),
    "a parameter with children": _with("receiveResponseXML", "<ticket><b>abc</b></ticket>"),
    "a comment": _with("receiveResponseXML", "<!-- hi --><ticket>abc</ticket>"),
    "a parameter of another namespace": _with("receiveResponseXML", '<ticket xmlns="urn:x">abc</ticket>'),
    "a SOAP header": _with("receiveResponseXML", "<ticket>abc</ticket>", header="<soap:Header/>"),
    "an attribute on the body": _with("receiveResponseXML", "<ticket>a</ticket>", body_attributes=' id="1"'),
    "text in the body": _with("receiveResponseXML", "<ticket>abc</ticket>").replace(
        b"<soap:Body>", b"<soap:Body>stray"
    ),
    "a version that is not a number": _version("x"),
    "an empty version": _with("sendRequestXML", "<ticket>a</ticket><qbXMLMajorVers/>"),
    "a version with spaces": _version(" 13"),
    "a version with a plus": _version("+13"),
    "a version beyond 32 bits": _version("99999999999"),
    # Python's white space that is not XML's makes the content mixed: spyne refuses it.
    "a no-break space between parameters": _with(
        "receiveResponseXML", "<ticket>a</ticket>\u00a0<response>x</response>"
    ),
    "an ideographic space after the method": _with("receiveResponseXML", "<ticket>a</ticket>").replace(
        b"</soap:Body>", "\u3000</soap:Body>".encode()
    ),
    "a next-line character first": _with("receiveResponseXML", "\u0085<ticket>a</ticket>"),
}


@pytest.mark.parametrize("body", LEFT_TO_SPYNE.values(), ids=LEFT_TO_SPYNE.keys())
def test_a_call_that_is_not_plain_is_left_to_spyne(body: bytes) -> None:
    assert not _taken(body)
    fast, spyne, fast_sessions, spyne_sessions = _both(body)
    assert fast == spyne  # the same app answers it: spyne
    assert fast_sessions.calls == spyne_sessions.calls


def test_without_sessions_every_call_goes_to_spyne() -> None:
    sessions = Recording()
    status, _, data = _call(QbwcWsgiApp(make_wsgi_app(sessions)), PLAIN["receive"])  # type: ignore[arg-type]
    assert status == "200 OK" and b"<tns:receiveResponseXMLResult>42<" in data
    assert sessions.calls == [("receive_response", "abc", QBXML, "", "")]


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (_with("noSuchMethod", ""), "Client"),
        (_version("x"), "Client"),
        (_with("receiveResponseXML", "<response>x</response><ticket>abc</ticket>"), "Client"),
    ],
    ids=["unknown method", "a version that is not a number", "parameters out of order"],
)
def test_the_callers_own_mistakes_keep_spynes_explanation(body: bytes, fault: str) -> None:
    fast, spyne, _, _ = _both(body)
    assert fast == spyne
    code = etree.fromstring(fast[2]).findtext(f".//{{{SOAP}}}Fault/faultcode") or ""
    assert code.split(":")[-1].startswith(fault)
    assert round_trip.UNEXPECTED.encode() not in fast[2]


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-8", "TEXT/XML;CHARSET=UTF-8", "text/xml;charset=utf-8"],
)
def test_the_web_connectors_content_type_is_taken_however_it_is_spelt(content_type: str) -> None:
    fast, spyne, fast_sessions, _ = _both(PLAIN["receive"], content_type)
    assert fast == spyne and len(fast_sessions.calls) == 1
    problem, root = read_soap_body(PLAIN["receive"])
    assert not problem and root is not None
    assert round_trip.answer(root, Recording(), content_type) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content_type", [None, "text/xml; charset=iso-8859-1", "text/xml; charset=utf-16", "text/xml"]
)
def test_any_other_content_type_is_left_to_spyne(content_type: str | None) -> None:
    body = envelope("receiveResponseXML", [("ticket", "abc"), ("response", "Café")])
    problem, root = read_soap_body(body)
    assert not problem and root is not None
    assert round_trip.answer(root, Recording(), content_type or "") is None  # type: ignore[arg-type]
    fast, spyne, fast_sessions, spyne_sessions = _both(body, content_type)
    assert fast == spyne and fast_sessions.calls == spyne_sessions.calls
