"""Draw JobDesk's application icon: resources/icons/jobdesk.png (256 px) and jobdesk.ico.

python tools/make_icon.py [output-folder]        (default: resources/icons)

The icon is the app's own logo (desktop_app/ui/resources/icons/logo.svg) in JobDesk blue,
rendered with Qt offscreen — no extra dependency. The .ico holds PNG-compressed images at
16–256 px, which Windows Vista and later read (Explorer, the taskbar, Inno Setup, PyInstaller).
Run it again after changing the logo; the generated files are committed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
LOGO = ROOT / "desktop_app" / "ui" / "resources" / "icons" / "logo.svg"
BLUE = "#2563eb"
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render_png(size: int, svg: str) -> bytes:
    """The logo drawn at ``size`` × ``size`` pixels, as PNG bytes."""
    # The logo's square fills 18 of its 24 units; an app icon uses nearly the whole tile.
    data = svg.replace("currentColor", BLUE).replace('viewBox="0 0 24 24"', 'viewBox="2 2 20 20"')
    renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # the stubs want bytes; Qt wants str
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(array.data())


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """An .ico file holding the given PNG images (size → PNG bytes)."""
    count = len(images)
    header = struct.pack("<HHH", 0, 1, count)
    offset = len(header) + 16 * count
    entries, blobs = [], []
    for size, png in sorted(images.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset))
        blobs.append(png)
        offset += len(png)
    return header + b"".join(entries) + b"".join(blobs)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(["make_icon"])
    svg = LOGO.read_text(encoding="utf-8")
    images = {size: render_png(size, svg) for size in SIZES}
    (out / "jobdesk.png").write_bytes(images[256])
    (out / "jobdesk.ico").write_bytes(ico_bytes(images))
    print(f"wrote {out / 'jobdesk.png'} and {out / 'jobdesk.ico'} ({', '.join(map(str, SIZES))} px)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
