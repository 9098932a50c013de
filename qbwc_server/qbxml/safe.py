"""Hardened XML reading: what QuickBooks (or anyone on the network) sends us is untrusted.

Refused with ``HostileXmlError`` before lxml builds anything from it:
bodies over ``MAX_MESSAGE_BYTES``, bytes that are not UTF-8, any markup declaration
(``<!DOCTYPE``, ``<!ENTITY``…; qbXML never needs one, and refusing them outright
rules out billion-laughs and external entities), and a root other than the one expected.
The lxml parser is configured as a second wall: no entity resolution, no DTD loading,
no network. Broken XML raises ``QbxmlError``.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from desktop_app.errors import HostileXmlError, QbxmlError

#: Big enough for a full customer import (tens of MB), small enough to refuse a flood.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024

Source = bytes | str | BinaryIO | Path

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Long enough to hold any declaration keyword split across two chunks.
_OVERLAP = 32


def _too_big(size: int, max_bytes: int) -> HostileXmlError:
    return HostileXmlError(
        f"The QuickBooks message is {size:,} bytes; JobDesk reads at most {max_bytes:,} bytes."
    )


def _raw_chunks(source: Source, max_bytes: int) -> Iterator[bytes]:
    if isinstance(source, str):
        if len(source) > max_bytes:
            raise _too_big(len(source), max_bytes)
        try:
            data = source.encode("utf-8")
        except UnicodeEncodeError:
            raise HostileXmlError(
                "The QuickBooks message contains characters that are not valid text."
            ) from None
        source = data
    if isinstance(source, bytes | bytearray):
        if len(source) > max_bytes:
            raise _too_big(len(source), max_bytes)
        for start in range(0, len(source), CHUNK_BYTES):
            yield bytes(source[start : start + CHUNK_BYTES])
        return
    if isinstance(source, Path):
        size = os.stat(source).st_size
        if size > max_bytes:
            raise _too_big(size, max_bytes)
        with source.open("rb") as stream:
            yield from _stream_chunks(stream, max_bytes)
        return
    yield from _stream_chunks(source, max_bytes)


def _stream_chunks(stream: BinaryIO | io.BufferedReader, max_bytes: int) -> Iterator[bytes]:
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise _too_big(total, max_bytes)
        yield chunk


def checked_chunks(source: Source, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[bytes]:
    """The body in chunks, each already proven UTF-8 and free of markup declarations."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    tail = b""
    first = True
    for chunk in _raw_chunks(source, max_bytes):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            raise HostileXmlError("The QuickBooks message is not UTF-8 text.") from None
        if first:
            first = False
            match = _ENCODING.match(chunk.removeprefix(codecs.BOM_UTF8))
            if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
                raise HostileXmlError("The QuickBooks message declares an encoding other than UTF-8.")
        if _DECLARATION.search(tail + chunk):
            raise HostileXmlError("The QuickBooks message contains a DTD or entity declaration.")
        tail = chunk[-_OVERLAP:]
        yield chunk
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise HostileXmlError("The QuickBooks message is not UTF-8 text.") from None


#: The second wall (the first is ``checked_chunks``): nothing resolved, loaded or fetched.
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def pull_parser() -> etree.XMLPullParser:
    """An incremental parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLPullParser(events=("start", "end"), **_PARSER_OPTIONS)


def iter_events(
    source: Source, *, root: str = "QBXML", max_bytes: int = MAX_MESSAGE_BYTES
) -> Iterator[tuple[str, etree._Element]]:
    """(event, element) pairs, parsed incrementally; the caller clears what it has read."""
    parser = pull_parser()
    seen_root = False
    try:
        for chunk in checked_chunks(source, max_bytes):
            parser.feed(chunk)
            for event, element in parser.read_events():
                assert isinstance(element, etree._Element)  # only start/end events were asked for
                if not seen_root:
                    seen_root = True
                    if element.tag != root:
                        raise QbxmlError(f"Expected a <{root}> message, got <{element.tag}>.")
                yield event, element
        parser.close()
        for event, element in parser.read_events():
            assert isinstance(element, etree._Element)
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise QbxmlError(f"The QuickBooks message is not well-formed XML: {exc}") from None
    if not seen_root:
        raise QbxmlError("The QuickBooks message is empty.")


#: Up to this size a message is parsed whole (far faster than event by event).
WHOLE_MESSAGE_BYTES = 8 * 1024 * 1024


def _tree_parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)


def parse_tree(source: Source, *, root: str = "QBXML", max_bytes: int = MAX_MESSAGE_BYTES) -> etree._Element:
    """The whole document as a tree: for requests, batch answers and other small messages.

    The same checks as ``iter_events`` (size, UTF-8, no declarations) run on the bytes first.
    """
    data = b"".join(checked_chunks(source, max_bytes))
    if not data.strip():
        raise QbxmlError("The QuickBooks message is empty.")
    try:
        top = etree.fromstring(data, _tree_parser())
    except etree.XMLSyntaxError as exc:
        raise QbxmlError(f"The QuickBooks message is not well-formed XML: {exc}") from None
    if top.tag != root:
        raise QbxmlError(f"Expected a <{root}> message, got <{top.tag}>.")
    return top
