"""Drawing on paper: text styles, page drawing operations in points, and their painter.

A layout (``invoice_document``) measures with :class:`Fonts` and returns pages of
operations; :func:`paint_page` draws them on any paint device (PDF writer, printer, image)
at that device's resolution, so every output shows the same page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPaintDevice, QPainter, QPen

INK = "#1f2937"
MUTED = "#64748b"
ACCENT = "#1d4ed8"
RULE = "#d7dde5"
BAND = "#f1f5f9"
FAMILIES = ["Segoe UI", "Helvetica Neue", "Helvetica", "Arial", "Liberation Sans", "DejaVu Sans"]


@dataclass(frozen=True)
class Style:
    size: float
    bold: bool = False
    color: str = INK
    spacing: float = 0.0  # letter spacing (points) for the small capital captions


STYLES = {
    "company": Style(15, True),
    "title": Style(24, True, ACCENT, 1.5),
    "kind": Style(9, True, MUTED),
    "body": Style(9.5),
    "strong": Style(9.5, True),
    "small": Style(8.5, color=MUTED),
    "caption": Style(7.5, True, MUTED, 0.6),
    "th": Style(7.5, True, "#334155", 0.6),
    "grand": Style(11, True),
    "balance": Style(13, True, ACCENT),
    "stamp": Style(12, True, "#b91c1c", 1.5),
    "paid": Style(12, True, "#15803d", 1.5),
    "badge": Style(15, True, "#ffffff"),
    "footer": Style(7.5, color=MUTED),
}


# -- drawing operations (positions in points from the paper's top-left corner) -------------------
@dataclass(frozen=True)
class TextOp:
    x: float
    y: float
    w: float
    h: float
    text: str
    style: str
    right: bool = False
    center: bool = False


@dataclass(frozen=True)
class BoxOp:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    radius: float = 0.0


@dataclass(frozen=True)
class LineOp:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str = RULE
    width: float = 0.75


@dataclass(frozen=True)
class ImageOp:
    x: float
    y: float
    w: float
    h: float
    image: QImage


Op = TextOp | BoxOp | LineOp | ImageOp


#: Text is measured at this resolution whatever the output's: the layout (line breaks, row
#: heights, page breaks) is then the same on a 1200 dpi printer, a 300 dpi PDF or a preview.
MEASURE_DPI = 300


def _measuring_device() -> QImage:
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    dots_per_metre = round(MEASURE_DPI / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image


class Fonts:
    """Fonts for one paint device (``scale``: its pixels per point), measured in points."""

    def __init__(self, device: QPaintDevice) -> None:
        self.device = device
        self.scale = device.logicalDpiY() / 72.0
        self._measuring = _measuring_device()
        self._measure_scale = self._measuring.logicalDpiY() / 72.0
        self._fonts: dict[str, QFont] = {}
        self._metrics: dict[str, QFontMetricsF] = {}

    def font(self, style: str) -> QFont:
        if style not in self._fonts:
            spec = STYLES[style]
            font = QFont()
            font.setFamilies(FAMILIES)
            font.setPointSizeF(spec.size)
            font.setBold(spec.bold)
            if spec.spacing:  # Qt counts absolute spacing in 1/96 inch, whatever the device
                font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, spec.spacing * 96 / 72)
            self._fonts[style] = font
        return self._fonts[style]

    def metrics(self, style: str) -> QFontMetricsF:
        if style not in self._metrics:
            self._metrics[style] = QFontMetricsF(self.font(style), self._measuring)
        return self._metrics[style]

    def width(self, text: str, style: str) -> float:
        return self.metrics(style).horizontalAdvance(text) / self._measure_scale

    def line(self, style: str) -> float:
        """The height of one line of ``style``, with a little leading."""
        return self.metrics(style).height() / self._measure_scale * 1.18

    def fit(self, text: str, style: str, width: float) -> str:
        """``text``, cut short with "…" if it is wider than ``width``."""
        if self.width(text, style) <= width:
            return text
        while text and self.width(text + "…", style) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def wrap(self, text: str, style: str, width: float) -> list[str]:
        """Word-wrapped lines (a word longer than the width is cut); blank lines are kept."""
        lines: list[str] = []
        for paragraph in text.replace("\r", "").split("\n"):
            current = ""
            for word in paragraph.split():
                candidate = f"{current} {word}" if current else word
                if self.width(candidate, style) <= width:
                    current = candidate
                    continue
                if current:
                    lines.append(current)
                while self.width(word, style) > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut], style) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                current = word
            lines.append(current)
        return lines


def paint_page(painter: QPainter, ops: Iterable[Op], fonts: Fonts) -> None:
    """Draw one page's operations (points) on the painter's device (its own resolution)."""
    k = fonts.scale
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    for op in ops:
        if isinstance(op, TextOp):
            painter.setFont(fonts.font(op.style))
            painter.setPen(QColor(STYLES[op.style].color))
            align = Qt.AlignmentFlag.AlignVCenter | (
                Qt.AlignmentFlag.AlignRight
                if op.right
                else Qt.AlignmentFlag.AlignHCenter
                if op.center
                else Qt.AlignmentFlag.AlignLeft
            )
            painter.drawText(QRectF(op.x * k, op.y * k, op.w * k, op.h * k), int(align), op.text)
        elif isinstance(op, BoxOp):
            painter.setPen(QPen(QColor(op.stroke), 1.2 * k) if op.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QColor(op.fill) if op.fill else Qt.BrushStyle.NoBrush)
            rect = QRectF(op.x * k, op.y * k, op.w * k, op.h * k)
            if op.radius:
                painter.drawRoundedRect(rect, op.radius * k, op.radius * k)
            else:
                painter.drawRect(rect)
        elif isinstance(op, LineOp):
            painter.setPen(QPen(QColor(op.color), op.width * k))
            painter.drawLine(QPointF(op.x1 * k, op.y1 * k), QPointF(op.x2 * k, op.y2 * k))
        else:
            painter.drawImage(QRectF(op.x * k, op.y * k, op.w * k, op.h * k), op.image)
