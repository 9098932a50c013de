"""What US QuickBooks Desktop accepts, read at run time from Intuit's own files.

Intuit's files are never copied into the project: they are found next to the repository
(``../shared/reference``) or through ``JOBDESK_QBXML_REFERENCE`` (the folder) /
``JOBDESK_QBXML_XSD`` (the 13.0 ``qbxmlops130.xsd``; its folder's parent is the folder).

* ``qbxmlops130-annotated-samples.xml``: every request with a comment on each element's
  line: ``opt, max length = 41 for QBD|QBCA|QBUK|QBAU, max length = 100 for QBOE``,
  ``not in QBD|QBCA…``, ``v12.0`` (the first qbXML version that has the element). A
  "max length = N" without "for" applies to every edition. Comments on lines of their own
  (enumerations, "BEGIN OR", attributes) describe what follows and are ignored.
* ``qbxml-iterator-support-v16.txt``: which queries take ``iterator="Start|Continue|Stop"``
  (read from the 16.0 XSD: the queries under "SUPPORTS", one per indented line). A query
  not listed there with an iterator attribute is refused whole, as the XSD refuses it.
* ``qbxml-13.0/qbxmlops130.xsd``: the message grammar (order, required elements, types).
  It is the union of every edition, so it accepts elements US QuickBooks Desktop refuses;
  the samples say which.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

Version = tuple[int, int]

SAMPLES_NAME = "qbxmlops130-annotated-samples.xml"
ITERATORS_NAME = "qbxml-iterator-support-v16.txt"
XSD_RELATIVE = Path("qbxml-13.0/qbxmlops130.xsd")
REFERENCE_ENV = "JOBDESK_QBXML_REFERENCE"
XSD_ENV = "JOBDESK_QBXML_XSD"
_REPO_ROOT = Path(__file__).resolve().parents[2]

_MAX_LENGTH = re.compile(r"max length = (\d+)(?: for ((?:QB[A-Z]+\|?)+))?")
_NOT_IN = re.compile(r"not in ((?:QB[A-Z]+\|?)+)")
_VERSION = re.compile(r"\bv(\d+)\.(\d+)\b")
_EDITION = "QBD"


@dataclass(frozen=True)
class QbdRules:
    """Per request tag (``CustomerAddRq``), element paths relative to the request element
    (``CustomerAdd/Mobile``, ``InvoiceAdd/InvoiceLineAdd/Desc``).

    ``accepted`` (ordered path → position) is set for a table of what QuickBooks accepts
    (the product's own); a listed request with any other element is refused whole.
    """

    source: str
    not_in_qbd: Mapping[str, frozenset[str]] = field(default_factory=dict)
    max_length: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    min_version: Mapping[str, Mapping[str, Version]] = field(default_factory=dict)
    request_min_version: Mapping[str, Version] = field(default_factory=dict)
    requests_not_in_qbd: frozenset[str] = frozenset()
    accepted: Mapping[str, Mapping[str, int]] | None = None
    schema: etree.XMLSchema | None = None
    #: The newest qbXML version these rules describe (messages declaring a newer one are refused).
    max_version: Version = (13, 0)
    #: Query request tags (``CustomerQueryRq``) that take an iterator; None: not judged here.
    iterator_queries: frozenset[str] | None = None


@dataclass(frozen=True)
class _Note:
    """What one same-line comment says about its element."""

    not_in_qbd: bool
    max_length: int | None
    version: Version | None


_NOTHING = _Note(not_in_qbd=False, max_length=None, version=None)


def _line(node: etree._Element) -> int:
    line = node.sourceline
    return line if isinstance(line, int) else -1


def parse_note(text: str) -> _Note:
    """``opt, max length = 41 for QBD|QBCA|QBUK|QBAU, max length = 100 for QBOE, v12.0``."""
    length = None
    for match in _MAX_LENGTH.finditer(text):
        editions = match.group(2)
        if editions is None or _EDITION in editions.split("|"):
            length = int(match.group(1))
            break
    not_in = any(_EDITION in m.group(1).split("|") for m in _NOT_IN.finditer(text))
    version_match = _VERSION.search(text)
    version = None if version_match is None else (int(version_match.group(1)), int(version_match.group(2)))
    return _Note(not_in_qbd=not_in, max_length=length, version=version)


def parse_version(text: str) -> Version | None:
    """``"13.0"`` → ``(13, 0)``; None if it is not a qbXML version number."""
    match = re.fullmatch(r"\s*(\d{1,2})\.(\d{1,2})\s*", text)
    return None if match is None else (int(match.group(1)), int(match.group(2)))


# -- locating the files -------------------------------------------------------------------------


def reference_dir() -> Path | None:
    """The folder holding Intuit's files, or None when this machine has none (installed product)."""
    candidates: list[Path] = []
    if os.environ.get(REFERENCE_ENV):
        candidates.append(Path(os.environ[REFERENCE_ENV]))
    if os.environ.get(XSD_ENV):
        candidates.append(Path(os.environ[XSD_ENV]).absolute().parent.parent)
    candidates.append(_REPO_ROOT.parent / "shared" / "reference")
    for candidate in candidates:
        if (candidate / SAMPLES_NAME).is_file():
            return candidate
    return None


def xsd_file(reference: Path) -> Path | None:
    """The 13.0 XSD: ``JOBDESK_QBXML_XSD`` if set, else the one in ``reference``."""
    if os.environ.get(XSD_ENV):
        given = Path(os.environ[XSD_ENV])
        if given.is_file():
            return given
    path = reference / XSD_RELATIVE
    return path if path.is_file() else None


# -- reading them -------------------------------------------------------------------------------


@functools.cache
def load_reference_rules(reference: Path) -> QbdRules:
    """The rules of every request in the annotated samples (and the compiled XSD, if present).

    Cached per folder: the samples file is 2.7 MB and the XSD takes a moment to compile.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    root = etree.parse(str(reference / SAMPLES_NAME), parser).getroot()
    not_in: dict[str, frozenset[str]] = {}
    lengths: dict[str, dict[str, int]] = {}
    versions: dict[str, dict[str, Version]] = {}
    request_versions: dict[str, Version] = {}
    requests_not_in: set[str] = set()
    messages = root.find("QBXMLMsgsRq")
    if messages is None:
        raise ValueError(f"{reference / SAMPLES_NAME} has no QBXMLMsgsRq")
    notes = _same_line_notes(messages)
    for request in messages:
        if not isinstance(request.tag, str):
            continue
        tag = request.tag
        own = notes.get(_line(request), _NOTHING)
        if own.not_in_qbd:
            requests_not_in.add(tag)
        if own.version is not None:
            request_versions[tag] = own.version
        refused: set[str] = set()
        tag_lengths: dict[str, int] = {}
        tag_versions: dict[str, Version] = {}
        _walk(request, "", notes, False, None, refused, tag_lengths, tag_versions)
        not_in[tag] = frozenset(refused)
        lengths[tag] = tag_lengths
        versions[tag] = tag_versions
    xsd = xsd_file(reference)
    return QbdRules(
        source=f"Intuit's annotated samples in {reference}",
        not_in_qbd=not_in,
        max_length=lengths,
        min_version=versions,
        request_min_version=request_versions,
        requests_not_in_qbd=frozenset(requests_not_in),
        schema=None if xsd is None else compile_schema(xsd),
        iterator_queries=read_iterator_support(reference / ITERATORS_NAME),
    )


def read_iterator_support(path: Path) -> frozenset[str] | None:
    """The query request tags listed under "SUPPORTS iterator" (None if the file is absent)."""
    if not path.is_file():
        return None
    supported: set[str] = set()
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            section = line.split()[0]  # "SUPPORTS" or "NO"
        elif section == "SUPPORTS":
            supported.add(line.strip() + "Rq")
    return frozenset(supported)


@functools.cache
def compile_schema(xsd: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd)))


def _same_line_notes(messages: etree._Element) -> dict[int, _Note]:
    """Comments that share a line with an element, keyed by that line.

    Read over the whole message set: an empty request (``<SalesTaxReturnQueryRq …/>``)
    has its comment beside it, outside the element.
    """
    element_lines = {_line(node) for node in messages.iter() if isinstance(node.tag, str)}
    texts: dict[int, str] = {}
    for node in messages.iter(etree.Comment):
        line = _line(node)
        if line in element_lines:
            texts[line] = texts.get(line, "") + " " + (node.text or "")
    return {line: parse_note(text) for line, text in texts.items()}


def _walk(
    node: etree._Element,
    prefix: str,
    notes: Mapping[int, _Note],
    inherited_refusal: bool,
    inherited_version: Version | None,
    refused: set[str],
    lengths: dict[str, int],
    versions: dict[str, Version],
) -> None:
    """Each element's rules; an aggregate's refusal and version hold for everything in it."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        path = prefix + child.tag
        note = notes.get(_line(child), _NOTHING)
        is_refused = inherited_refusal or note.not_in_qbd
        version = max((v for v in (inherited_version, note.version) if v is not None), default=None)
        if is_refused:
            refused.add(path)
        if note.max_length is not None:
            lengths.setdefault(path, note.max_length)
        if version is not None:
            versions[path] = min(versions.get(path, version), version)
        _walk(child, path + "/", notes, is_refused, version, refused, lengths, versions)
