"""The invoice on paper: our own page layout, in points, drawn with QPainter.

Why not HTML in a QTextDocument: its HTML subset has no table header that repeats across
pages, no "keep the totals together", and it ran captions into values ("BILL TOKim,
Hiro"). Here every block is measured and placed by :func:`lay_out`, which returns pages of
drawing operations (``desktop_app.ui.paper``); ``paint_page`` draws them on any paint
device: a ``QPdfWriter``, a ``QPrinter`` or a ``QImage``, so Print and Save as PDF match.

The page, top to bottom: the header (logo, company and its address; the INVOICE title,
number, dates, terms, due date and the balance due), the Bill to / Service address / Remit
payment to blocks, for progress and deposit invoices the job's share ("x % of the job
total · previously invoiced · this invoice · remaining"), the lines table (its header
repeated on every page), the totals (subtotal, tax, total, deposits and payments, balance)
beside the message to the customer, and a footer with the page number on every page.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from PySide6.QtGui import QImage

from desktop_app.domain.money import format_money
from desktop_app.domain.status import InvoiceKind, InvoiceStatus
from desktop_app.services.invoice_print import PrintableInvoice
from desktop_app.ui.paper import ACCENT, BAND, INK, RULE, STYLES, BoxOp, Fonts, ImageOp, LineOp, Op, TextOp

MARGIN = 42.0  # points: about 15 mm, inside every printer's unprintable edge
TOP = 40.0
FOOTER = 34.0  # the footer's band at the bottom of every page
GAP = 18.0  # between blocks
CELL = 6.0  # padding inside a table cell
QTY_W, RATE_W, AMOUNT_W = 50.0, 80.0, 88.0
TOTALS_W = 248.0
RIGHT_W = 216.0  # the header's right column


def _date(value: object) -> str:
    return f"{value:%m/%d/%Y}" if value is not None else ""


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


KIND_TITLES = {
    InvoiceKind.PROGRESS.value: "Progress billing",
    InvoiceKind.DEPOSIT.value: "Deposit",
    InvoiceKind.SEGMENT.value: "Job segment",
}


class _Layout:
    def __init__(self, doc: PrintableInvoice, width: float, height: float, fonts: Fonts) -> None:
        self.doc = doc
        self.fonts = fonts
        self.width = width
        self.height = height
        self.left = MARGIN
        self.right = width - MARGIN
        self.bottom = height - MARGIN - FOOTER
        self.pages: list[list[Op]] = []
        self.ops: list[Op] = []
        self.y = TOP
        # Number columns as wide as their widest value (amounts are never cut short).
        lines = doc.invoice.lines
        self.qty_w = self._widest([_qty(x.quantity) for x in lines], "body", QTY_W)
        self.rate_w = self._widest([format_money(x.rate) for x in lines], "body", RATE_W)
        self.amount_w = self._widest([format_money(x.amount) for x in lines], "body", AMOUNT_W)

    def _widest(self, texts: Iterable[str], style: str, minimum: float) -> float:
        return max([minimum, *(self.fonts.width(t, style) + 2 * CELL + 2 for t in texts)])

    # -- primitives ----------------------------------------------------------------------------------
    def text(
        self, x: float, y: float, w: float, text: str, style: str, *, right: bool = False, h: float = 0
    ) -> float:
        """One line of text (shortened with "…" if it is wider than ``w``); returns its height.

        ``h``: the row's height when texts of several sizes share a row (centred in it).
        """
        h = h or self.fonts.line(style)
        self.ops.append(TextOp(x, y, w, h, self.fonts.fit(text, style, w), style, right=right))
        return h

    def lines(
        self, x: float, y: float, w: float, lines: Iterable[tuple[str, str]], right: bool = False
    ) -> float:
        """Wrapped lines, each (text, style); returns the height used."""
        top = y
        for text, style in lines:
            for part in self.fonts.wrap(text, style, w):
                y += self.text(x, y, w, part, style, right=right)
        return y - top

    def rule(self, y: float, color: str = RULE, width: float = 0.75) -> None:
        self.ops.append(LineOp(self.left, y, self.right, y, color, width))

    def start_page(self) -> None:
        self.ops = []
        self.pages.append(self.ops)
        self.y = TOP
        if len(self.pages) > 1:
            self._continuation_header()

    def fits(self, height: float) -> bool:
        return self.y + height <= self.bottom

    def ensure(self, height: float) -> bool:
        """Start a new page unless ``height`` fits on this one; True if a page was started."""
        if self.fits(height):
            return False
        self.start_page()
        return True

    # -- blocks --------------------------------------------------------------------------------------
    def header(self) -> None:
        doc, invoice, sender = self.doc, self.doc.invoice, self.doc.sender
        left_w = self.right - self.left - RIGHT_W - GAP
        y = self.y
        logo = _logo(sender.logo_path)
        if logo is not None:
            scale = min(170 / logo.width(), 58 / logo.height())
            w, h = logo.width() * scale, logo.height() * scale
            self.ops.append(ImageOp(self.left, y, w, h, logo))
            y += h + 10
        else:
            side = 40.0
            self.ops.append(BoxOp(self.left, y, side, side, fill=ACCENT, radius=7))
            badge_h = self.fonts.line("badge")
            self.ops.append(
                TextOp(
                    self.left,
                    y + (side - badge_h) / 2,
                    side,
                    badge_h,
                    _initials(sender.name),
                    "badge",
                    center=True,
                )
            )
            y += side + 10
        company = [(sender.name, "company")] + [(line, "body") for line in sender.address_lines]
        contact = "  ·  ".join(p for p in (sender.phone, sender.email) if p)
        if contact:
            company.append((contact, "small"))
        y += self.lines(self.left, y, left_w, company)
        left_bottom = y

        x, y = self.right - RIGHT_W, self.y
        y += self.text(x, y, RIGHT_W, "INVOICE", "title", right=True)
        kind = "Several jobs" if invoice.job_id is None else KIND_TITLES.get(invoice.kind.value, "")
        if kind:
            y += self.text(x, y, RIGHT_W, kind, "kind", right=True)
        y += 8
        job = " · ".join(p for p in (invoice.job_number or "", doc.job_name) if p)
        rows = [
            ("Invoice no.", invoice.number),
            ("Invoice date", _date(invoice.invoice_date)),
            ("Service date", _date(invoice.service_date)),
            ("Terms", doc.terms_name),
            ("Due date", _date(invoice.due_date) or "On receipt"),
            ("Job", job),
        ]
        label_w = 74.0
        for label, value in rows:
            if not value:
                continue
            self.text(x, y, label_w, label, "small")
            y += self.lines(x + label_w, y, RIGHT_W - label_w, [(value, "strong")], right=True) + 1.5
        y += 6
        band_h = self.fonts.line("caption") + self.fonts.line("balance") + 12
        self.ops.append(BoxOp(x, y, RIGHT_W, band_h, fill=BAND, radius=4))
        self.text(x + 10, y + 6, RIGHT_W - 20, "BALANCE DUE", "caption")
        due_y = y + 6 + self.fonts.line("caption")
        self.text(x + 10, due_y, RIGHT_W - 20, format_money(invoice.balance), "balance", right=True)
        y += band_h
        stamp = {InvoiceStatus.VOID: ("VOID", "stamp"), InvoiceStatus.PAID: ("PAID", "paid")}.get(
            invoice.status
        )
        if stamp is not None:
            y += 8
            text, style = stamp
            stamp_w = self.fonts.width(text, style) + 24
            stamp_h = self.fonts.line(style) + 6
            color = STYLES[style].color
            self.ops.append(BoxOp(self.right - stamp_w, y, stamp_w, stamp_h, stroke=color, radius=3))
            self.ops.append(
                TextOp(self.right - stamp_w, y + 3, stamp_w, stamp_h - 6, text, style, center=True)
            )
            y += stamp_h
            if invoice.status is InvoiceStatus.VOID and invoice.void_reason:
                y += 3 + self.lines(x, y + 3, RIGHT_W, [(invoice.void_reason, "small")], right=True)
        self.y = max(left_bottom, y) + GAP
        self.rule(self.y - GAP / 2)

    def addresses(self) -> None:
        doc = self.doc
        blocks = [("BILL TO", doc.bill_to)]
        if doc.service_address:
            blocks.append(("SERVICE ADDRESS", doc.service_address))
        blocks.append(("REMIT PAYMENT TO", (doc.sender.name, *doc.sender.address_lines)))
        column_w = (self.right - self.left - GAP * 2) / 3
        bottom = self.y
        for index, (caption, lines) in enumerate(blocks):
            x = self.left + index * (column_w + GAP)
            y = self.y + self.text(x, self.y, column_w, caption, "caption") + 3
            styled = [(line, "strong" if n == 0 else "body") for n, line in enumerate(lines)] or [
                ("—", "body")
            ]
            y += self.lines(x, y, column_w, styled)
            bottom = max(bottom, y)
        self.y = bottom + GAP

    def share(self) -> None:
        share = self.doc.share
        if share is None:
            return
        kind = "Deposit" if self.doc.invoice.kind is InvoiceKind.DEPOSIT else "Progress billing"
        pad = 10.0
        title = f"{kind}: {share.percent.normalize():f} % of the job total"
        h = pad + self.fonts.line("strong") + 6 + self.fonts.line("caption") + self.fonts.line("strong") + pad
        self.ensure(h)
        self.ops.append(BoxOp(self.left, self.y, self.right - self.left, h, fill=BAND, radius=4))
        y = self.y + pad
        y += self.text(self.left + pad, y, self.right - self.left - 2 * pad, title, "strong") + 6
        figures = [
            ("JOB TOTAL", share.job_total),
            ("PREVIOUSLY INVOICED", share.previously_invoiced),
            ("THIS INVOICE", share.this_invoice),
            ("REMAINING", share.remaining),
        ]
        cell_w = (self.right - self.left - 2 * pad) / len(figures)
        for index, (label, amount) in enumerate(figures):
            x = self.left + pad + index * cell_w
            self.text(x, y, cell_w - 8, label, "caption")
            self.text(x, y + self.fonts.line("caption"), cell_w - 8, format_money(amount), "strong")
        self.y += h + GAP

    def _columns(self) -> tuple[float, float, float, float]:
        """Right edges of description (its left is the margin), qty, rate and amount columns."""
        amount_r = self.right
        rate_r = amount_r - self.amount_w
        qty_r = rate_r - self.rate_w
        return qty_r - self.qty_w, qty_r, rate_r, amount_r

    def table_header(self) -> None:
        desc_r, qty_r, rate_r, _ = self._columns()
        h = self.fonts.line("th") + 10
        self.ops.append(BoxOp(self.left, self.y, self.right - self.left, h, fill=BAND))
        y = self.y + 5
        self.text(self.left + CELL, y, desc_r - self.left - 2 * CELL, "DESCRIPTION", "th")
        self.text(desc_r + CELL, y, self.qty_w - 2 * CELL, "QTY", "th", right=True)
        self.text(qty_r + CELL, y, self.rate_w - 2 * CELL, "RATE", "th", right=True)
        self.text(rate_r + CELL, y, self.amount_w - 2 * CELL, "AMOUNT", "th", right=True)
        self.y += h

    def table(self) -> None:
        header_h = self.fonts.line("th") + 10
        lh = self.fonts.line("body")
        self.ensure(header_h + lh + 2 * CELL)
        self.table_header()
        desc_r, qty_r, rate_r, _ = self._columns()
        desc_w = desc_r - self.left - 2 * CELL
        lines = self.doc.invoice.lines
        if not lines:
            self.text(self.left + CELL, self.y + CELL, desc_w, "No lines on this invoice.", "small")
            self.y += lh + 2 * CELL
        for line in lines:
            wrapped = self.fonts.wrap(line.description or "—", "body", desc_w)
            h = len(wrapped) * lh + 2 * CELL
            if self.ensure(min(h, self.bottom - TOP - header_h - 60)):
                self.table_header()
            y = self.y + CELL
            for part in wrapped:
                if y + lh > self.bottom:  # a description longer than a page goes on
                    self.start_page()
                    self.table_header()
                    y = self.y + CELL
                self.text(self.left + CELL, y, desc_w, part, "body")
                if part is wrapped[0]:
                    for column_left, column_w, value in (
                        (desc_r, self.qty_w, _qty(line.quantity)),
                        (qty_r, self.rate_w, format_money(line.rate)),
                        (rate_r, self.amount_w, format_money(line.amount)),
                    ):
                        self.text(column_left + CELL, y, column_w - 2 * CELL, value, "body", right=True)
                y += lh
            self.y = y + CELL
            self.rule(self.y)
        self.y += GAP

    def totals(self) -> None:
        invoice = self.doc.invoice
        rows: list[tuple[str, Decimal, str]] = [("Subtotal", invoice.subtotal, "body")]
        if invoice.tax or invoice.tax_rate:
            rows.append((f"Sales tax ({invoice.tax_rate.normalize():f} %)", invoice.tax, "body"))
        rows.append(("Total", invoice.total, "grand"))
        if invoice.deposit_credit:
            rows.append(("Deposits applied", -invoice.deposit_credit, "body"))
        for payment in self.doc.payments:
            reference = f" {payment.reference}" if payment.reference else ""
            label = f"Paid {_date(payment.received_on)}  ·  {payment.method}{reference}"
            rows.append((label, -payment.amount, "body"))
        for credit in self.doc.credits:
            rows.append((f"Credit {credit.number} applied", -credit.amount, "body"))
        values = [(format_money(amount), style) for _, amount, style in rows]
        values.append((format_money(invoice.balance), "balance"))
        labels = [(label, "grand" if style == "grand" else "body") for label, _, style in rows]
        labels.append(("Balance due", "grand"))
        # Values end where the table's amounts end; the block is as wide as its widest row.
        value_w = max([AMOUNT_W - CELL, *(self.fonts.width(text, style) + 2 for text, style in values)])
        label_need = max(self.fonts.width(text, style) for text, style in labels) + 12
        totals_w = min(max(TOTALS_W, value_w + CELL + label_need), (self.right - self.left) * 0.7)
        x = self.right - totals_w
        label_w = totals_w - value_w - CELL
        heights = [self.fonts.line(style) + 4 for _, _, style in rows]
        balance_h = self.fonts.line("balance") + 12
        block_h = sum(heights) + 8 + balance_h
        notes_w = self.right - self.left - totals_w - GAP * 2
        notes = self.doc.invoice.customer_notes.strip()
        note_lines = self.fonts.wrap(notes, "body", notes_w) if notes else []
        notes_h = (self.fonts.line("caption") + 3 + len(note_lines) * self.fonts.line("body")) if notes else 0
        beside = notes_h <= self.bottom - TOP - 60
        self.ensure(max(block_h, notes_h if beside else 0))
        top = self.y
        y = top
        for (label, amount, style), h in zip(rows, heights, strict=True):
            if style == "grand":
                self.ops.append(LineOp(x, y + 1, self.right, y + 1, INK, 0.9))
                y += 3
            self.text(x + CELL, y + 2, label_w - 2 * CELL, label, "body" if style != "grand" else "grand")
            self.text(x + label_w, y + 2, value_w, format_money(amount), style, right=True)
            y += h
        y += 8
        self.ops.append(BoxOp(x, y, totals_w, balance_h, fill=BAND, radius=4))
        row_h = self.fonts.line("balance")
        self.text(x + CELL, y + 6, label_w - 2 * CELL, "Balance due", "grand", h=row_h)
        self.text(x + label_w, y + 6, value_w, format_money(invoice.balance), "balance", right=True, h=row_h)
        totals_bottom = y + balance_h
        if notes and beside:
            ny = top + self.text(self.left, top, notes_w, "MESSAGE", "caption") + 3
            for part in note_lines:
                ny += self.text(self.left, ny, notes_w, part, "body")
            totals_bottom = max(totals_bottom, ny)
        self.y = totals_bottom + GAP
        if notes and not beside:  # a long message flows below, line by line
            self.ensure(self.fonts.line("caption") + self.fonts.line("body"))
            self.y += self.text(self.left, self.y, self.right - self.left, "MESSAGE", "caption") + 3
            for part in self.fonts.wrap(notes, "body", self.right - self.left):
                self.ensure(self.fonts.line("body"))
                self.y += self.text(self.left, self.y, self.right - self.left, part, "body")
            self.y += GAP

    def closing(self) -> None:
        number = self.doc.invoice.number
        closing = [
            ("Thank you for your business.", "strong"),
            (f"Please write invoice number {number} on your payment.", "small"),
        ]
        self.ensure(sum(self.fonts.line(style) for _, style in closing))
        self.y += self.lines(self.left, self.y, self.right - self.left, closing)

    def _continuation_header(self) -> None:
        sender, number = self.doc.sender, self.doc.invoice.number
        half = (self.right - self.left - GAP) / 2
        h = self.text(self.left, self.y, half, sender.name, "strong")
        self.text(self.right - half, self.y, half, f"Invoice {number} (continued)", "strong", right=True)
        self.y += h + 8
        self.rule(self.y)
        self.y += 10

    def footers(self) -> None:
        sender, number = self.doc.sender, self.doc.invoice.number
        left = "  ·  ".join(p for p in (sender.name, sender.phone, sender.email) if p)
        y = self.height - MARGIN - self.fonts.line("footer")
        for index, ops in enumerate(self.pages, start=1):
            self.ops = ops
            self.rule(y - 8)
            page = f"Invoice {number}  ·  Page {index} of {len(self.pages)}"
            page_w = self.fonts.width(page, "footer") + 2
            self.text(self.right - page_w, y, page_w, page, "footer", right=True)
            self.text(self.left, y, self.right - self.left - page_w - GAP, left, "footer")


def _initials(name: str) -> str:
    words = [w for w in name.split() if w[:1].isalnum()]
    return "".join(w[0].upper() for w in words[:2]) or "·"


def _logo(path: str) -> QImage | None:
    if not path:
        return None
    file = Path(path)
    if not file.is_file() or file.stat().st_size > 5_000_000:
        return None
    image = QImage(str(file))
    return None if image.isNull() else image


def lay_out(doc: PrintableInvoice, width: float, height: float, fonts: Fonts) -> list[list[Op]]:
    """The invoice's pages for paper ``width`` × ``height`` points."""
    layout = _Layout(doc, width, height, fonts)
    layout.start_page()
    layout.header()
    layout.addresses()
    layout.share()
    layout.table()
    layout.totals()
    layout.closing()
    layout.footers()
    return layout.pages
