"""Styles and icons shipped with the application."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap

HERE = Path(__file__).resolve().parent
ICONS = HERE / "icons"
STYLES = HERE / "styles"


def stylesheet() -> str:
    return (STYLES / "jobdesk.qss").read_text(encoding="utf-8")


@cache
def icon(name: str, color: str = "#475569", size: int = 20) -> QIcon:
    """An SVG icon from resources/icons, drawn in ``color`` (``currentColor`` in the file)."""
    from PySide6.QtSvg import QSvgRenderer

    path = ICONS / f"{name}.svg"
    if not path.exists():
        return QIcon()
    data = path.read_text(encoding="utf-8").replace("currentColor", color)
    result = QIcon()
    for scale in (1, 2):
        renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
        image = QImage(QSize(size * scale, size * scale), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        result.addPixmap(pixmap)
    return result
