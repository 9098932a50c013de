"""A QuickBooks Web Connector stand-in: drives a JobDesk server over real HTTP, as QBWC does.

One ``run_session()`` is what one scheduled update of the real Web Connector does:

1. ``clientVersion`` — stop on ``E:``/``O:`` (a ``W:`` warning is "accepted by the user");
2. ``authenticate`` — stop on ``nvu``/``none``/``busy`` (after ``closeConnection``);
3. open the company; if that fails, ``connectionError`` (answer ``done`` ends it);
4. ``sendRequestXML`` (the first one carries the HostQuery/CompanyQuery/PreferencesQuery
   answers in ``strHCPResponse``) → hand the request to QuickBooks → ``receiveResponseXML``,
   until it answers 100; "" from sendRequestXML or a negative percent → ``getLastError``
   (``NoOp`` → wait and ask again);
5. ``closeConnection``.

Envelopes look like the real client's (.NET): ``soap:`` prefix, the method element in the
Intuit namespace as default namespace, qbXML escaped inside ``<response>``, empty
parameters written ``<hresult />``. The QuickBooks side is anything with
``process(request_xml) -> response_xml`` (the QuickBooks simulator in this package); an
exception from it is reported the way the request processor's failure is: an hresult and
a message in receiveResponseXML.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from xml.sax.saxutils import escape

from lxml import etree

from qbwc_server.simulator.strict import RequestProcessorError

NS = "http://developer.intuit.com/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"
DEFAULT_VERSION = "2.3.0.215"
HRESULT_PROCESSOR_FAILED = "0x80040400"
HRESULT_CANNOT_OPEN = "0x80040408"


class QuickBooksLike(Protocol):
    def process(self, request_xml: str) -> str: ...


class WebConnectorError(Exception):
    """The server answered something the real Web Connector would not accept."""


@dataclass
class SessionReport:
    """What happened in one session, in the order it happened."""

    client_version: str = ""
    ticket: str = ""
    auth_status: str = ""
    outcome: str = ""
    round_trips: int = 0
    requests: list[str] = field(default_factory=list)
    percents: list[int] = field(default_factory=list)
    last_error: str = ""
    close_message: str = ""
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    calls: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"outcome: {self.outcome}",
            f"authenticate: {self.auth_status or '(work to do)'}",
            f"round trips: {self.round_trips}",
            f"progress: {' '.join(f'{p}%' for p in self.percents) or '-'}",
            f"bytes sent/received: {self.bytes_sent:,}/{self.bytes_received:,}",
            f"time: {self.seconds:.2f} s",
        ]
        if self.client_version:
            lines.insert(1, f"clientVersion: {self.client_version}")
        if self.last_error:
            lines.append(f"getLastError: {self.last_error}")
        if self.close_message:
            lines.append(f"closeConnection: {self.close_message}")
        return "\n".join(lines)


def envelope(method: str, params: list[tuple[str, str | int]]) -> bytes:
    """A request envelope shaped like the .NET Web Connector's."""
    parts = []
    for name, value in params:
        text = str(value)
        parts.append(f"<{name}>{escape(text)}</{name}>" if text != "" else f"<{name} />")
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f'<soap:Body><{method} xmlns="{NS}">{"".join(parts)}</{method}></soap:Body></soap:Envelope>'
    )
    return body.encode("utf-8")


def check_url(url: str) -> None:
    """The Web Connector's own rule: HTTPS, or plain HTTP to ``localhost`` only (no IPs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname == "localhost":
        return
    raise WebConnectorError(
        f"The Web Connector refuses {url}: use https://, or http://localhost for testing."
    )


class WebConnector:
    """One Web Connector application entry (a .qwc added to QBWC) pointing at ``url``."""

    def __init__(
        self,
        url: str,
        user_name: str,
        password: str,
        quickbooks: QuickBooksLike | None = None,
        *,
        company_file: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\practice.qbw",
        version: str = DEFAULT_VERSION,
        qbxml_major: int = 13,
        qbxml_minor: int = 0,
        country: str = "US",
        hcp_response: str | None = None,
        open_error: tuple[str, str] | None = None,
        timeout: float = 120.0,
        strict_url: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        max_round_trips: int = 100_000,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if strict_url:
            check_url(url)
        self.url = url
        self.user_name = user_name
        self.password = password
        self.quickbooks = quickbooks
        self.company_file = company_file
        self.version = version
        self.qbxml_major = qbxml_major
        self.qbxml_minor = qbxml_minor
        self.country = country
        self.hcp_response = hcp_response
        self.open_error = open_error
        self.timeout = timeout
        self.sleep = sleep
        self.max_round_trips = max_round_trips
        #: TLS settings for an https URL (e.g. trusting a test certificate).
        self.context = context
        self._report = SessionReport()

    # -- one call ------------------------------------------------------------------------------------

    def call(self, method: str, *params: tuple[str, str | int]) -> etree._Element:
        """POST one callback; the ``…Result`` element (or raise on a fault or a bad answer)."""
        body = envelope(method, list(params))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{NS}{method}"',
                "User-Agent": USER_AGENT,
            },
        )
        self._report.bytes_sent += len(body)
        self._report.calls.append(method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as reply:
                data = reply.read()
        except urllib.error.HTTPError as exc:
            data = exc.read()
            raise WebConnectorError(f"{method}: HTTP {exc.code}: {_fault_text(data)}") from None
        self._report.bytes_received += len(data)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        root = etree.fromstring(data, parser)
        result = root.find(f"{{{SOAP_NS}}}Body/{{{NS}}}{method}Response/{{{NS}}}{method}Result")
        if result is None:
            raise WebConnectorError(f"{method}: the answer has no {method}Result element")
        return result

    def _text(self, method: str, *params: tuple[str, str | int]) -> str:
        return self.call(method, *params).text or ""

    # -- a whole session ---------------------------------------------------------------------------------

    def run_session(self) -> SessionReport:
        self._report = report = SessionReport()
        started = time.perf_counter()
        try:
            self._session(report)
        finally:
            report.seconds = time.perf_counter() - started
        return report

    def _session(self, report: SessionReport) -> None:
        answer = self._text("clientVersion", ("strVersion", self.version))
        report.client_version = answer
        if answer.startswith(("E:", "O:")):
            report.outcome = "client_refused"
            report.last_error = answer[2:]
            return
        auth = [
            item.text or ""
            for item in self.call(
                "authenticate", ("strUserName", self.user_name), ("strPassword", self.password)
            ).iterfind(f"{{{NS}}}string")
        ]
        if len(auth) < 2:
            raise WebConnectorError(
                f"authenticate returned {len(auth)} strings; the Web Connector needs 2 to 4"
            )
        ticket, status = auth[0], auth[1]
        report.ticket = ticket
        report.auth_status = status
        if status.lower() in ("nvu", "none", "busy"):
            report.outcome = status.lower()
            # The real Web Connector shows the message and ends; closeConnection is still called.
            report.close_message = self._text("closeConnection", ("ticket", ticket))
            return
        if self.open_error is not None:
            hresult, message = self.open_error
            reply = self._text(
                "connectionError", ("ticket", ticket), ("hresult", hresult), ("message", message)
            )
            report.outcome = "connection_error"
            if reply != "done":
                report.last_error = f"asked to retry with company {reply!r}"
            report.close_message = self._text("closeConnection", ("ticket", ticket))
            return
        company_file = status or self.company_file
        hcp = self.hcp_response if self.hcp_response is not None else self._host_company_preferences()
        first = True
        while report.round_trips < self.max_round_trips:
            request = self._text(
                "sendRequestXML",
                ("ticket", ticket),
                ("strHCPResponse", hcp if first else ""),
                ("strCompanyFileName", company_file),
                ("qbXMLCountry", self.country),
                ("qbXMLMajorVers", self.qbxml_major),
                ("qbXMLMinorVers", self.qbxml_minor),
            )
            first = False
            if request == "":
                error = self._text("getLastError", ("ticket", ticket))
                if error == "NoOp":
                    self.sleep(5.0)
                    continue
                report.last_error = error
                report.outcome = "error"
                break
            report.requests.append(request)
            response, hresult, message = self._ask_quickbooks(request)
            percent = int(
                self._text(
                    "receiveResponseXML",
                    ("ticket", ticket),
                    ("response", response),
                    ("hresult", hresult),
                    ("message", message),
                )
            )
            report.round_trips += 1
            report.percents.append(percent)
            if percent < 0:
                report.last_error = self._text("getLastError", ("ticket", ticket))
                report.outcome = "error"
                break
            if percent >= 100:
                report.outcome = "done"
                break
        else:
            report.outcome = "too_many_round_trips"
        report.close_message = self._text("closeConnection", ("ticket", ticket))

    def _ask_quickbooks(self, request: str) -> tuple[str, str, str]:
        if self.quickbooks is None:
            return "", HRESULT_PROCESSOR_FAILED, "No QuickBooks company is attached to this simulator."
        try:
            return self.quickbooks.process(request), "", ""
        except RequestProcessorError as exc:
            # QuickBooks refused the whole message: its own hresult and words, no response.
            return "", exc.hresult, exc.message
        except Exception as exc:
            return "", HRESULT_PROCESSOR_FAILED, str(exc) or type(exc).__name__

    def _host_company_preferences(self) -> str:
        """What QBWC puts in the first strHCPResponse: HostQuery, CompanyQuery, PreferencesQuery."""
        if self.quickbooks is None:
            return ""
        request = (
            '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
            '<QBXML><QBXMLMsgsRq onError="continueOnError">'
            '<HostQueryRq requestID="1"/><CompanyQueryRq requestID="2"/><PreferencesQueryRq requestID="3"/>'
            "</QBXMLMsgsRq></QBXML>"
        )
        try:
            return self.quickbooks.process(request)
        except Exception:
            return ""


def _fault_text(data: bytes) -> str:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return data[:200].decode("utf-8", "replace")
    text = root.findtext(f".//{{{SOAP_NS}}}Fault/faultstring")
    return text or data[:200].decode("utf-8", "replace")


__all__ = [
    "HRESULT_CANNOT_OPEN",
    "HRESULT_PROCESSOR_FAILED",
    "QuickBooksLike",
    "SessionReport",
    "WebConnector",
    "WebConnectorError",
    "check_url",
    "envelope",
]
