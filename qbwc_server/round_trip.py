"""The two callbacks of every round trip, read and answered without spyne's machinery.

``sendRequestXML`` and ``receiveResponseXML`` carry the qbXML messages, twice a round
trip, while the Web Connector waits. spyne parses each envelope again after the
hostile-XML wall (``server.check_soap_body``) has, validates it against its schema and
writes the answer through its object model: about half the time of these callbacks
(issue 18, Speed). Here the envelope that wall parsed is read directly and the answer
is written with lxml exactly as spyne writes it (tests compare both, byte for byte).

Only a plain call is taken: sent as ``text/xml; charset=utf-8``, the method element
alone in the SOAP body, its parameters in the WSDL's order, each text only, with no
attributes, and numbers spyne would read the same way. Anything else (another method,
another content type, a SOAP header, ``xsi:nil``, an element spyne does not know …) is
left to spyne, so its faults and the WSDL stay its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.exc import OperationalError

from desktop_app.errors import DatabaseUnavailable
from qbwc_server.sessions import WebConnectorSessions

log = logging.getLogger(__name__)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
NAMESPACE = "http://developer.intuit.com/"
#: What a person (and the Web Connector's log) is told when a callback fails unexpectedly.
UNEXPECTED = "JobDesk could not handle this call; the details are in its log."
#: What it is told when JobDesk's database cannot be used for longer than a call may wait.
DATABASE_BUSY = (
    "JobDesk's database is busy or unreachable right now. Nothing saved in JobDesk is lost, and "
    "JobDesk checks QuickBooks before sending anything again; the Web Connector tries again at "
    "its next update."
)

_ENVELOPE = f"{{{SOAP_NS}}}Envelope"
_BODY = f"{{{SOAP_NS}}}Body"
#: A number spyne's Integer32 reads the same way: digits, perhaps after a minus (no spaces, no "+").
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_XML_SPACE = " \t\r\n"
#: The body's type as the Web Connector sends it; spyne reads any other (or none) its own way.
PLAIN_CONTENT_TYPE = "text/xml;charset=utf-8"


@dataclass(frozen=True)
class _Method:
    #: Parameters in the WSDL's order: name → whether it is an integer (else a string).
    parameters: tuple[tuple[str, bool], ...]
    call: Callable[[WebConnectorSessions, list[str | int]], str | int]


def _send(sessions: WebConnectorSessions, values: list[str | int]) -> str:
    ticket, hcp, company_file, country, major, minor = values
    texts = (str(ticket), str(hcp), str(company_file), str(country))
    return sessions.send_request(*texts, int(major), int(minor))


def _receive(sessions: WebConnectorSessions, values: list[str | int]) -> int:
    ticket, response, hresult, message = values
    return sessions.receive_response(str(ticket), str(response), str(hresult), str(message))


_METHODS = {
    f"{{{NAMESPACE}}}sendRequestXML": _Method(
        (
            ("ticket", False),
            ("strHCPResponse", False),
            ("strCompanyFileName", False),
            ("qbXMLCountry", False),
            ("qbXMLMajorVers", True),
            ("qbXMLMinorVers", True),
        ),
        _send,
    ),
    f"{{{NAMESPACE}}}receiveResponseXML": _Method(
        (("ticket", False), ("response", False), ("hresult", False), ("message", False)),
        _receive,
    ),
}


@dataclass(frozen=True)
class Reply:
    status: str
    body: bytes


def answer(root: etree._Element, sessions: WebConnectorSessions, content_type: str) -> Reply | None:
    """The reply to a plain round-trip call; None when spyne is to answer it."""
    if content_type.replace(" ", "").lower() != PLAIN_CONTENT_TYPE:
        return None
    call = _plain_call(root)
    if call is None:
        return None
    method_tag, values = call
    method = _METHODS[method_tag]
    name = method_tag.removeprefix(f"{{{NAMESPACE}}}")
    try:
        return Reply("200 OK", _response(name, str(method.call(sessions, values))))
    except (DatabaseUnavailable, OperationalError):  # (busy past the wait, or unreachable)
        log.warning("Web Connector call %s: the database is not available", name, exc_info=True)
        return Reply("500 Internal Server Error", fault("Server", DATABASE_BUSY))
    except Exception:
        log.exception("error in Web Connector call %s", name)
        return Reply("500 Internal Server Error", fault("Server", UNEXPECTED))


def _plain_call(root: etree._Element) -> tuple[str, list[str | int]] | None:
    if root.tag != _ENVELOPE or root.attrib or _text(root.text):
        return None
    parts = list(root)
    if len(parts) != 1 or parts[0].tag != _BODY or parts[0].attrib or _text(parts[0].text, parts[0].tail):
        return None
    calls = list(parts[0])
    if len(calls) != 1 or calls[0].attrib or _text(calls[0].text, calls[0].tail):
        return None
    call = calls[0]
    method = _METHODS.get(call.tag) if isinstance(call.tag, str) else None
    if method is None:
        return None
    given: dict[str, str] = {}
    position = 0
    for element in call:
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{NAMESPACE}}}"):
            return None  # a comment, or an element of another namespace
        name = element.tag.removeprefix(f"{{{NAMESPACE}}}")
        names = [parameter for parameter, _ in method.parameters[position:]]
        if name not in names or element.attrib or len(element) or _text(element.tail):
            return None
        position += names.index(name) + 1
        given[name] = element.text or ""
    values: list[str | int] = []
    for name, integer in method.parameters:
        text = given.get(name)
        if not integer:
            values.append(text or "")
        elif text is None:
            values.append(0)
        elif _INTEGER.fullmatch(text) and -(2**31) <= int(text) < 2**31:
            values.append(int(text))
        else:
            return None
    return call.tag, values


def _text(*texts: str | None) -> bool:
    """Is there anything but XML's white space between the elements? (Not Python's: a
    no-break space there is text, which spyne refuses.)"""
    return any(text and text.strip(_XML_SPACE) for text in texts)


def _response(method: str, result: str) -> bytes:
    envelope = etree.Element(_ENVELOPE, nsmap={"soap11env": SOAP_NS, "tns": NAMESPACE})
    body = etree.SubElement(envelope, _BODY)
    response = etree.SubElement(body, f"{{{NAMESPACE}}}{method}Response")
    etree.SubElement(response, f"{{{NAMESPACE}}}{method}Result").text = result
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault(code: str, text: str) -> bytes:
    """A SOAP fault as spyne writes one."""
    envelope = etree.Element(_ENVELOPE, nsmap={"soap11env": SOAP_NS})
    body = etree.SubElement(envelope, _BODY)
    element = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(element, "faultstring").text = text
    etree.SubElement(element, "faultactor").text = ""
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
