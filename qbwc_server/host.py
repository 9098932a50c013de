"""What QuickBooks says about itself and its open company file, and the qbXML version we speak.

Read from the HostQuery/CompanyQuery answers the Web Connector passes along (or from our
own "hello" request when it passes none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from qbwc_server.qbxml import build_message, company_query, host_query, parse_tree

#: The qbXML version our builders follow; the lowest we generate for is the same one.
PREFERRED_QBXML = (13, 0)
MINIMUM_QBXML = (13, 0)
HELLO_REQUEST_IDS = ("jobdesk-host", "jobdesk-company")


@dataclass(frozen=True)
class HostInfo:
    """What the HostQuery/CompanyQuery answers say about QuickBooks and the company file."""

    product: str = ""
    country: str = ""
    supported_versions: tuple[str, ...] = ()
    company_name: str = ""
    #: The FileID data extension the Web Connector wrote into the company, when we see it.
    file_id: str = ""


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"2.3.0.215"`` → ``(2, 3, 0, 215)``; None when it is not a dotted version."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{1,6}(\.\d{1,6}){0,5}", text):
        return None
    return tuple(int(part) for part in text.split("."))


def choose_qbxml_version(major: int, minor: int, supported: Sequence[str] = ()) -> str | None:
    """The qbXML version to speak with this host, or None when it is too old for us."""
    offered: list[tuple[int, ...]] = [(major, minor)]
    for text in supported:
        version = parse_version(text)
        if version is not None:
            offered.append(version[:2])
    best = max(offered)
    if best < MINIMUM_QBXML:
        return None
    if any(version >= PREFERRED_QBXML for version in offered):
        return "{}.{}".format(*PREFERRED_QBXML)
    return "{}.{}".format(*best[:2])  # pragma: no cover - only when MINIMUM < PREFERRED


def read_host_info(xml: str, owner_id: str = "") -> HostInfo:
    """HostRet/CompanyRet from a qbXML response (the strHCPResponse or our hello answer).

    Raises ``QbxmlError``/``HostileXmlError`` for XML we will not read.
    """
    root = parse_tree(xml, root="QBXML")
    host = root.find(".//HostRet")
    company = root.find(".//CompanyRet")
    file_id = ""
    if company is not None and owner_id:
        for ext in company.iterfind("DataExtRet"):
            same_owner = (ext.findtext("OwnerID") or "").strip().lower() == owner_id.strip().lower()
            if same_owner and (ext.findtext("DataExtName") or "").strip() == "FileID":
                file_id = (ext.findtext("DataExtValue") or "").strip()
    return HostInfo(
        product=(host.findtext("ProductName") or "").strip() if host is not None else "",
        country=(host.findtext("Country") or "").strip() if host is not None else "",
        supported_versions=tuple(
            (node.text or "").strip()
            for node in (host.iterfind("SupportedQBXMLVersion") if host is not None else ())
        ),
        company_name=(company.findtext("CompanyName") or "").strip() if company is not None else "",
        file_id=file_id,
    )


def hello_request(owner_id: str = "") -> str:
    """Our own HostQuery + CompanyQuery, for a Web Connector that sent no strHCPResponse."""
    company = company_query(HELLO_REQUEST_IDS[1])
    if owner_id:
        etree.SubElement(company, "OwnerID").text = owner_id
    return build_message([host_query(HELLO_REQUEST_IDS[0]), company], version="13.0")


def version_pair(supported: Sequence[str]) -> tuple[int, int]:
    """The highest (major, minor) among the versions QuickBooks says it supports."""
    versions = [v[:2] for v in (parse_version(s) for s in supported) if v is not None and len(v) >= 2]
    if not versions:
        return (0, 0)
    best = max(versions)
    return (best[0], best[1])
