"""QuickBooks' request processor, as strict as Intuit documents it.

Two kinds of refusal, as in US QuickBooks Desktop:

* the whole message: not valid against the qbXML schema, an iterator on a query that takes
  none (``qbxml-iterator-support-v16.txt``), an element QuickBooks Desktop
  does not have ("not in QBD" in Intuit's annotated samples, or absent from the product's
  table), an element newer than the message's ``<?qbxml version?>``. QuickBooks answers
  nothing and runs nothing; the Web Connector gets hresult 0x80040400
  (``RequestProcessorError``);
* one request: a string longer than QuickBooks Desktop's maximum for its field gets
  statusCode 3070 (``too_long``); the other requests of the message run as ``onError`` says.

The rules come from Intuit's files when they are on this machine (``reference_rules``),
else from the product's own table of what QuickBooks Desktop accepts
(``qbwc_server.qbxml.qbd_table``), so the installed demo and ``--self-test`` are strict too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import cast

from lxml import etree

from desktop_app.errors import QbxmlError
from qbwc_server.simulator.core import Refusal
from qbwc_server.simulator.reference_rules import (
    QbdRules,
    Version,
    load_reference_rules,
    parse_version,
    reference_dir,
)

HRESULT_PARSE = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."
# The qbXML processing instruction, before the root element (the parser drops PIs).
_QBXML_PI = re.compile(r"""<\?qbxml\s+version\s*=\s*["']([^"']*)["']\s*\?>""")


class RequestProcessorError(QbxmlError):
    """The whole message was refused before anything ran (what the Web Connector reports).

    ``message`` is QuickBooks' own text; ``detail`` says which rule refused it, for tests.
    """

    def __init__(self, detail: str, *, hresult: str = HRESULT_PARSE, message: str = PARSE_MESSAGE) -> None:
        super().__init__(message)
        self.hresult = hresult
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})"


def message_version(request_xml: str) -> Version | None:
    """The version in ``<?qbxml version="13.0"?>`` before the root element, if there is one."""
    prolog = request_xml[: request_xml.find("<QBXML")]
    match = _QBXML_PI.search(prolog)
    return None if match is None else parse_version(match.group(1))


def check_message(rules: QbdRules, root: etree._Element, request_xml: str) -> None:
    """Raise ``RequestProcessorError`` if QuickBooks would refuse the whole message.

    ``root`` is ``request_xml`` parsed (without its processing instructions).
    """
    version = message_version(request_xml)
    if version is None:
        raise RequestProcessorError('the message has no valid <?qbxml version="…"?> line')
    if version > rules.max_version:
        raise RequestProcessorError(f"qbXML {version[0]}.{version[1]} is newer than this QuickBooks")
    if rules.schema is not None:
        _check_schema(rules.schema, root)
    messages = root.find("QBXMLMsgsRq")
    if messages is None:
        raise RequestProcessorError("the message has no QBXMLMsgsRq")
    for request in messages:
        if isinstance(request.tag, str):
            _check_request(rules, request, version)


def _check_schema(schema: etree.XMLSchema, root: etree._Element) -> None:
    if schema.validate(root):
        return
    # The XSD is the union of every edition; lengths are QuickBooks Desktop's own and get
    # 3070 on their request, so a length facet alone never refuses the message.
    log = cast(Iterable[etree._LogEntry], schema.error_log)
    errors = [e for e in log if e.type_name != "SCHEMAV_CVC_MAXLENGTH_VALID"]
    if errors:
        raise RequestProcessorError("; ".join(f"line {e.line}: {e.message}" for e in errors[:5]))


def _check_request(rules: QbdRules, request: etree._Element, version: Version) -> None:
    tag = str(request.tag)
    if tag in rules.requests_not_in_qbd:
        raise RequestProcessorError(f"{tag} is not in US QuickBooks Desktop")
    if rules.request_min_version.get(tag, (0, 0)) > version:
        raise RequestProcessorError(f"{tag} is newer than qbXML {version[0]}.{version[1]}")
    iterators = rules.iterator_queries
    if iterators is not None and request.get("iterator") is not None and tag not in iterators:
        raise RequestProcessorError(f"{tag} takes no iterator")
    refused = rules.not_in_qbd.get(tag, frozenset())
    versions = rules.min_version.get(tag, {})
    accepted = None if rules.accepted is None else rules.accepted.get(tag)
    for path, node in _paths(request):
        if path in refused:
            raise RequestProcessorError(f"{tag}: {path} is not in US QuickBooks Desktop")
        if versions.get(path, (0, 0)) > version:
            raise RequestProcessorError(f"{tag}: {path} is newer than qbXML {version[0]}.{version[1]}")
        if accepted is not None:
            if path not in accepted:
                raise RequestProcessorError(f"{tag}: {path} is not accepted by US QuickBooks Desktop")
            previous = node.getprevious()
            while previous is not None and not isinstance(previous.tag, str):
                previous = previous.getprevious()
            if previous is not None:
                before = path.rpartition("/")[0]
                previous_path = f"{before}/{previous.tag}" if before else str(previous.tag)
                if accepted.get(previous_path, -1) > accepted[path]:
                    raise RequestProcessorError(f"{tag}: {path} comes after {previous_path}")


def _paths(request: etree._Element) -> list[tuple[str, etree._Element]]:
    """Every element under a request with its path relative to it, in document order."""
    out: list[tuple[str, etree._Element]] = []

    def walk(node: etree._Element, prefix: str) -> None:
        for child in node:
            if isinstance(child.tag, str):
                path = prefix + child.tag
                out.append((path, child))
                walk(child, path + "/")

    walk(request, "")
    return out


def too_long(rules: QbdRules, request: etree._Element) -> Refusal | None:
    """3070 for the first string longer than QuickBooks Desktop allows in its field."""
    lengths = rules.max_length.get(str(request.tag))
    if not lengths:
        return None
    for path, node in _paths(request):
        limit = lengths.get(path)
        value = node.text or ""
        if limit is not None and len(node) == 0 and len(value) > limit:
            return Refusal(3070, f'The string "{value}" in the field "{node.tag}" is too long.')
    return None


# -- which rules ------------------------------------------------------------------------------


def rules_from_table(accepted: Mapping[str, Mapping[str, int | None]], *, source: str) -> QbdRules:
    """Rules from a table of what QuickBooks Desktop accepts: request tag → ordered
    {element path: QuickBooks Desktop max length or None}.

    A listed request carrying a path the table does not list, or elements out of the
    table's order, is refused whole. Unlisted requests are not judged here. (Element
    order is checked between neighbours; a choice repeated in alternation, such as
    lines and line groups mixed, is beyond a table and not sent by JobDesk.)
    """
    return QbdRules(
        source=source,
        max_length={
            tag: {path: limit for path, limit in paths.items() if limit is not None}
            for tag, paths in accepted.items()
        },
        accepted={tag: {path: index for index, path in enumerate(paths)} for tag, paths in accepted.items()},
    )


@functools.cache
def _product_rules() -> QbdRules:
    from qbwc_server.qbxml.qbd_table import ACCEPTED  # the product's table; no Intuit file needed

    return rules_from_table(ACCEPTED, source="JobDesk's table of what US QuickBooks Desktop accepts")


def default_rules() -> QbdRules:
    """Intuit's files when this machine has them (tests, development), else the product's table."""
    found = reference_dir()
    return load_reference_rules(found) if found is not None else _product_rules()


def product_rules() -> QbdRules:
    """The product's own table, whether or not Intuit's files are here (the shipped behaviour)."""
    return _product_rules()
