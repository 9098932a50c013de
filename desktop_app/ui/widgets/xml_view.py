"""A read-only, monospace qbXML viewer with light syntax colouring."""

from __future__ import annotations

import re

from lxml import etree
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QWidget

_RULES: tuple[tuple[str, str, bool], ...] = (
    (r"</?[A-Za-z_][\w.:-]*|/?>", "#1d4ed8", True),  # tags
    (r"\b[A-Za-z_][\w.:-]*(?==)", "#9333ea", False),  # attribute names
    (r'"[^"]*"', "#047857", False),  # attribute values
    (r"<\?.*?\?>", "#64748b", False),  # declarations / processing instructions
    (r"<!--.*?-->", "#b45309", False),  # comments
)


def _format(color: str, bold: bool) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.DemiBold)
    return fmt


class XmlHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._rules = [(re.compile(pattern), _format(color, bold)) for pattern, color, bold in _RULES]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


def pretty_xml(text: str) -> str:
    """Indented for reading (only whitespace between tags changes); the text itself when unreadable."""
    stripped = text.strip()
    if not stripped.startswith("<") or stripped.startswith("<!--"):
        return text
    head = ""
    body = stripped
    if body.startswith("<?xml"):
        end = body.find("?>")
        head, body = body[: end + 2] + "\n", body[end + 2 :].lstrip()
    try:
        parser = etree.XMLParser(
            remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False
        )
        tree = etree.fromstring(body.encode("utf-8"), parser).getroottree()
    except etree.XMLSyntaxError:
        return text
    pieces = []
    node = tree.getroot().getprevious()
    while node is not None:  # processing instructions before the root (<?qbxml version?>)
        pieces.insert(0, etree.tostring(node, encoding="unicode").strip())
        node = node.getprevious()
    pieces.append(etree.tostring(tree.getroot(), encoding="unicode", pretty_print=True).rstrip())
    return head + "\n".join(pieces)


class XmlView(QPlainTextEdit):
    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("xmlView")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(9.5)
        self.setFont(font)
        self.setPlaceholderText(placeholder)
        self.highlighter = XmlHighlighter(self.document())
        self.raw = ""

    def set_xml(self, text: str) -> None:
        self.raw = text
        self.setPlainText(pretty_xml(text) if text else "")
