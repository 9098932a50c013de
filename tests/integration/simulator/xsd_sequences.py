"""The child order the qbXML 13.0 XSD gives an element, read from Intuit's files at test time.

Groups and nested sequences/choices are flattened in document order, so a Ret's
``ListID, TimeCreated, …, Name, FullName, …`` comes out as one list of names.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

_XS = "{http://www.w3.org/2001/XMLSchema}"


@functools.cache
def _definitions(folder: Path) -> dict[tuple[str, str], etree._Element]:
    """(xsd kind, name) → definition, across every file of the schema."""
    found: dict[tuple[str, str], etree._Element] = {}
    for path in sorted(folder.glob("*.xsd")):
        for node in etree.parse(str(path)).getroot():
            if isinstance(node.tag, str) and node.get("name"):
                found[(etree.QName(node).localname, node.get("name", ""))] = node
    return found


def child_order(xsd: Path, element: str) -> list[str]:
    """The names of ``element``'s possible children, in the XSD's order."""
    defs = _definitions(xsd.parent)
    node = defs.get(("element", element))
    if node is None:
        node = defs[("complexType", element)]
    elif node.get("type"):
        node = defs[("complexType", node.get("type", ""))]
    out: list[str] = []

    def walk(parent: etree._Element) -> None:
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "element":
                out.append(child.get("ref") or child.get("name") or "")
            elif tag == "group":
                walk(defs[("group", child.get("ref", ""))])
            elif tag in ("sequence", "choice", "complexType", "complexContent", "extension"):
                walk(child)

    walk(node)
    return out
