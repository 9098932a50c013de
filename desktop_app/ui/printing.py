"""Invoices on paper, in PDF and as page images: one layout (``invoice_document``) for all.

Print and Save as PDF in the invoice window, and ``python -m desktop_app invoice-pdf``, all
come here, so the customer gets the same pages however the office sends them. Writing a
PDF or page images is safe on a worker thread (no widgets).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLocale, QMarginsF, QSizeF
from PySide6.QtGui import (
    QColor,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)
from PySide6.QtPrintSupport import QPrinter

from desktop_app.services.invoice_print import PrintableInvoice
from desktop_app.ui.invoice_document import lay_out
from desktop_app.ui.paper import Fonts, paint_page

PAPERS = {"letter": QPageSize.PageSizeId.Letter, "a4": QPageSize.PageSizeId.A4}
PDF_DPI = 300


def default_paper() -> str:
    """Letter where the locale measures in inches (the US), else A4."""
    imperial = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    return "letter" if imperial else "a4"


def paper_size(paper: str) -> QSizeF:
    """The paper's size in points."""
    return QPageSize(PAPERS[paper]).size(QPageSize.Unit.Point)


def render(docs: Sequence[PrintableInvoice], device: QPagedPaintDevice, size: QSizeF) -> int:
    """Draw the invoices one after the other on ``device``; the number of pages drawn."""
    fonts = Fonts(device)
    painter = QPainter(device)
    pages = 0
    try:
        for doc in docs:
            for ops in lay_out(doc, size.width(), size.height(), fonts):
                if pages and not device.newPage():
                    raise OSError("The printer or PDF file refused a new page.")
                paint_page(painter, ops, fonts)
                pages += 1
    finally:
        painter.end()
    return pages


def write_pdf(
    docs: PrintableInvoice | Sequence[PrintableInvoice], path: str | Path, paper: str = "letter"
) -> Path:
    """Write one PDF holding the invoice(s); each invoice starts on a new page."""
    items = [docs] if isinstance(docs, PrintableInvoice) else list(docs)
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setTitle(f"Invoice {items[0].invoice.number}" if len(items) == 1 else f"{len(items)} invoices")
    writer.setCreator("JobDesk")
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(PAPERS[paper]),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),  # the layout keeps its own margins
            QPageLayout.Unit.Point,
        )
    )
    render(items, writer, paper_size(paper))
    del writer  # the file is complete once the writer is gone
    return target


def print_invoice(doc: PrintableInvoice, printer: QPrinter) -> int:
    """Print on a ``QPrinter`` the user set up (its paper size; our margins)."""
    printer.setFullPage(True)  # the paper's corner is the origin, as in the PDF
    return render([doc], printer, printer.pageLayout().fullRect(QPageLayout.Unit.Point).size())


def page_images(doc: PrintableInvoice, paper: str = "letter", dpi: int = 110) -> list[QImage]:
    """The invoice's pages as images, drawn by the same layout (previews, screenshots)."""
    size = paper_size(paper)
    probe = _blank(size, dpi)
    fonts = Fonts(probe)
    images = []
    for ops in lay_out(doc, size.width(), size.height(), fonts):
        image = _blank(size, dpi)
        painter = QPainter(image)
        try:
            paint_page(painter, ops, Fonts(image))
        finally:
            painter.end()
        images.append(image)
    return images


def _blank(size: QSizeF, dpi: int) -> QImage:
    image = QImage(
        round(size.width() * dpi / 72), round(size.height() * dpi / 72), QImage.Format.Format_RGB32
    )
    dots_per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    image.fill(QColor("white"))
    return image
