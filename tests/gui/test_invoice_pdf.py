"""The invoice PDF read back: no block runs into another, every amount is in its column and
on its row, the table's header repeats on every page, on Letter and on A4."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import combinations, pairwise
from pathlib import Path

import pytest

from desktop_app.domain.money import format_money
from desktop_app.domain.status import InvoiceStatus
from desktop_app.services.invoice_print import PrintableInvoice
from desktop_app.ui.printing import paper_size, write_pdf
from tests.gui.invoice_samples import invoice, progress_invoice
from tests.gui.pdf_text import Line, Page, read_pdf

PAPERS = ("letter", "a4")
SLACK = 1.0  # points: what "aligned" and "on the same row" allow


@pytest.fixture(autouse=True)
def _qt(qapp: object) -> None:
    """QPdfWriter and fonts need the application object."""


def render(doc: PrintableInvoice, tmp_path: Path, paper: str) -> list[Page]:
    path = write_pdf(doc, tmp_path / f"{doc.invoice.number}-{paper}.pdf", paper)
    pages = read_pdf(path)
    size = paper_size(paper)
    assert all((p.width, p.height) == pytest.approx((size.width(), size.height()), abs=0.5) for p in pages)
    return pages


def assert_clean(pages: list[Page]) -> None:
    """No two lines of text overlap, and everything is inside the margins."""
    for number, page in enumerate(pages, start=1):
        for a, b in combinations(page.lines, 2):
            assert not a.overlaps(b), f"page {number}: {a} overlaps {b}"
        for line in page.lines:
            assert line.x0 >= 36 and line.x1 <= page.width - 36, f"page {number}: {line} is in the margin"
            assert line.top >= 30 and line.bottom <= page.height - 30, (
                f"page {number}: {line} is in the margin"
            )


def same_row(a: Line, b: Line) -> bool:
    return abs(a.middle - b.middle) <= SLACK


def wrapped(page: Page, text: str, column: Line) -> list[Line]:
    """The lines a wrapped ``text`` was set in: left-aligned in ``column``, one under another."""
    parts = find_wrapped(page, text, column)
    assert parts is not None, f"{text!r} is not in the column {column.text}"
    return parts


def find_wrapped(page: Page, text: str, column: Line) -> list[Line] | None:
    in_column = [line for line in page.lines if abs(line.x0 - column.x0) <= SLACK]
    for start, line in enumerate(in_column):
        if not text.startswith(line.text):
            continue
        parts = [line]
        while " ".join(p.text for p in parts) != text and start + len(parts) < len(in_column):
            parts.append(in_column[start + len(parts)])
            if not text.startswith(" ".join(p.text for p in parts)):
                break
        if " ".join(p.text for p in parts) == text:
            assert all(0 <= b.top - a.bottom <= 6 for a, b in pairwise(parts)), parts
            return parts
    return None


def row_cells(page: Page, first: Line, header: dict[str, Line]) -> dict[str, str]:
    """The texts on ``first``'s row, by the column whose right edge each one ends at."""
    cells: dict[str, str] = {}
    for line in page.lines:
        if line is first or not same_row(line, first):
            continue
        [column] = [name for name, cell in header.items() if abs(line.x1 - cell.x1) <= SLACK + 1]
        assert column not in cells, f"two texts in {column}: {cells[column]!r}, {line.text!r}"
        cells[column] = line.text
    return cells


def below(caption: Line, value: Line) -> bool:
    """``value`` starts under ``caption``, left-aligned with it, and close to it."""
    return abs(caption.x0 - value.x0) <= SLACK and 0 <= value.top - caption.bottom <= 12


@pytest.mark.parametrize("paper", PAPERS)
def test_a_one_page_invoice_reads_as_separate_blocks(tmp_path: Path, paper: str) -> None:
    doc = invoice(4)
    [page] = render(doc, tmp_path, paper)
    assert_clean([page])
    detail = doc.invoice
    # The captions stand on their own, with their blocks below them (no "BILL TOKim, Hiro").
    bill_to, name = page.one("BILL TO"), page.one("Kim, Hiro")
    assert below(bill_to, name)
    assert below(name, page.one("359 Main St")) and below(page.one("Apt 2"), page.one("Eugene, OR 97407"))
    assert below(page.one("SERVICE ADDRESS"), page.one("Lake house"))
    assert below(page.one("Lake house"), page.one("18 Shore Rd"))
    remit = page.one("REMIT PAYMENT TO")
    assert same_row(bill_to, remit) and remit.x0 > bill_to.x1
    # The company's address lines stay lines, in the header and in the remit-to block.
    for line in ("1200 Granite Way", "Suite 4", "Sacramento, CA 95814"):
        assert len(page.find(line)) == 2
    # Number, dates, terms and due date: each value on its label's row.
    for label, value in (
        ("Invoice no.", "1042"),
        ("Invoice date", "03/02/2026"),
        ("Service date", "02/27/2026"),
        ("Terms", "Net 30"),
        ("Due date", "04/01/2026"),
        ("Job", "1007 · Kitchen remodel"),
    ):
        assert same_row(page.one(label), page.one(value)), label
    header = {name: page.one(name) for name in ("DESCRIPTION", "QTY", "RATE", "AMOUNT")}
    assert page.one("INVOICE").top < bill_to.top
    # Each line: description, quantity, rate and amount on one row, right-aligned under their headers.
    for line in detail.lines:
        description = wrapped(page, line.description, header["DESCRIPTION"])[0]
        assert description.top > header["DESCRIPTION"].bottom
        assert row_cells(page, description, header) == {
            "QTY": f"{line.quantity.normalize():f}",
            "RATE": format_money(line.rate),
            "AMOUNT": format_money(line.amount),
        }
    # Totals: each amount on its label's row, all right-aligned with the amount column.
    totals = [
        ("Subtotal", detail.subtotal),
        ("Sales tax (8.25 %)", detail.tax),
        ("Total", detail.total),
        ("Deposits applied", -detail.deposit_credit),
        ("Paid 03/10/2026 · Check 2040", -detail.amount_paid),
        ("Balance due", detail.balance),
    ]
    previous = wrapped(page, detail.lines[-1].description, header["DESCRIPTION"])[0]
    for label, value in totals:
        label_line = page.one(label)
        values = [v for v in page.find(format_money(value)) if same_row(v, label_line)]
        assert len(values) == 1, f"{label}: {values}"
        value_line = values[0]
        assert abs(value_line.x1 - header["AMOUNT"].x1) <= SLACK + 1, label
        assert label_line.top > previous.top, f"{label} is not below the row before it"
        previous = label_line
    # The balance due is in the header too, and the message beside the totals.
    assert len(page.find(format_money(detail.balance))) == 2
    message = page.one("MESSAGE")
    notes = wrapped(page, detail.customer_notes, message)
    subtotal = page.one("Subtotal")
    assert below(message, notes[0])
    assert abs(message.top - subtotal.top) <= 6 and max(n.x1 for n in notes) < subtotal.x0  # beside
    assert page.one("Invoice 1042 · Page 1 of 1")


@pytest.mark.parametrize("paper", PAPERS)
def test_a_long_invoice_repeats_the_table_header_on_every_page(tmp_path: Path, paper: str) -> None:
    doc = invoice(60)
    pages = render(doc, tmp_path, paper)
    assert len(pages) >= 3
    assert_clean(pages)
    for number, page in enumerate(pages, start=1):
        header = [page.one(name) for name in ("DESCRIPTION", "QTY", "RATE", "AMOUNT")]
        assert all(same_row(header[0], cell) for cell in header)
        rows = [line for line in page.lines if line.text.endswith(")") and line.x0 < header[1].x0]
        assert rows and all(row.top > header[0].bottom for row in rows), f"page {number}"
        assert page.one(f"Invoice 1042 · Page {number} of {len(pages)}")
        if number > 1:
            assert page.one("Invoice 1042 (continued)").bottom < header[0].top
    # Every line once, in order, and each of its amounts on its row.
    where = []
    for line in doc.invoice.lines:
        hits = []
        for number, page in enumerate(pages):
            header = {name: page.one(name) for name in ("DESCRIPTION", "QTY", "RATE", "AMOUNT")}
            parts = find_wrapped(page, line.description, header["DESCRIPTION"])
            if parts is None:
                continue
            hits.append((number, parts[0].top))
            assert row_cells(page, parts[0], header) == {
                "QTY": f"{line.quantity.normalize():f}",
                "RATE": format_money(line.rate),
                "AMOUNT": format_money(line.amount),
            }
        assert len(hits) == 1, line.description
        where.append(hits[0])
    assert where == sorted(where)
    last = pages[-1]
    assert any(same_row(last.one("Balance due"), v) for v in last.find(format_money(doc.invoice.balance)))
    assert last.one("Thank you for your business.")


@pytest.mark.parametrize("paper", PAPERS)
def test_a_progress_invoice_shows_its_share_of_the_job(tmp_path: Path, paper: str) -> None:
    doc = progress_invoice()
    [page] = render(doc, tmp_path, paper)
    assert_clean([page])
    assert page.one("Progress billing: 40 % of the job total")
    share = doc.share
    assert share is not None
    figures = (
        ("JOB TOTAL", share.job_total),
        ("PREVIOUSLY INVOICED", share.previously_invoiced),
        ("THIS INVOICE", share.this_invoice),
        ("REMAINING", share.remaining),
    )
    captions = [page.one(caption) for caption, _ in figures]
    assert all(same_row(captions[0], c) for c in captions)
    assert [c.x0 for c in captions] == sorted(c.x0 for c in captions)  # in reading order
    for caption, (_, amount) in zip(captions, figures, strict=True):
        assert any(below(caption, value) for value in page.find(format_money(amount))), caption.text
    assert page.one("Progress billing").top < page.one("Invoice no.").top  # under the title


def test_a_void_invoice_says_so_with_its_reason(tmp_path: Path) -> None:
    base = invoice(2)
    doc = replace(
        base,
        invoice=replace(
            base.invoice, status=InvoiceStatus.VOID, void_reason="Entered twice", balance=Decimal("0.00")
        ),
    )
    [page] = render(doc, tmp_path, "letter")
    assert_clean([page])
    stamp = [line for line in page.lines if line.text.replace(" ", "") == "VOID"]
    assert len(stamp) == 1
    assert below(stamp[0], page.one("Entered twice")) or page.one("Entered twice").top > stamp[0].bottom


def test_very_long_text_flows_onto_more_pages_without_overlapping(tmp_path: Path) -> None:
    words = " ".join(f"word{n}" for n in range(1500))
    base = invoice(3)
    lines = (replace(base.invoice.lines[0], description=words), *base.invoice.lines[1:])
    doc = replace(base, invoice=replace(base.invoice, lines=lines, customer_notes=words))
    pages = render(doc, tmp_path, "a4")
    assert len(pages) >= 3
    assert_clean(pages)
    text = " ".join(t for page in pages for t in page.texts())
    assert "word0 " in text and "word1499" in text
    assert text.count("word1499") == 2  # once in the description, once in the message


def test_the_largest_amounts_are_printed_in_full(tmp_path: Path) -> None:
    """Columns grow for wide amounts: an amount is never cut short with "…"."""
    biggest = Decimal("999999999999.99")
    base = invoice(2)
    lines = tuple(
        replace(line, rate=biggest, amount=biggest, quantity=Decimal(1)) for line in base.invoice.lines
    )
    detail = replace(
        base.invoice,
        lines=lines,
        subtotal=biggest,
        total=biggest,
        balance=biggest,
        deposit_credit=Decimal("0"),
    )
    doc = replace(base, invoice=detail, payments=())
    for paper in PAPERS:
        [page] = render(doc, tmp_path, paper)
        assert_clean([page])
        assert not any("…" in text for text in page.texts())
        assert len(page.find(format_money(biggest))) == 2 * 2 + 3 + 1, page.texts()  # table, totals, header


@pytest.mark.parametrize("paper", PAPERS)
def test_print_lays_out_the_same_pages_as_the_pdf(tmp_path: Path, paper: str) -> None:
    """Print goes through a QPrinter (here one printing to a file): the pages match Save as PDF's."""
    from PySide6.QtGui import QPageSize
    from PySide6.QtPrintSupport import QPrinter

    from desktop_app.ui.printing import PAPERS as PAGE_SIZES
    from desktop_app.ui.printing import print_invoice

    doc = invoice(30)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setPageSize(QPageSize(PAGE_SIZES[paper]))
    assert print_invoice(doc, printer) >= 2
    printed = read_pdf(tmp_path / "printed.pdf")
    saved = render(doc, tmp_path, paper)
    assert len(printed) == len(saved)
    for ours, theirs in zip(printed, saved, strict=True):
        assert sorted(ours.texts()) == sorted(theirs.texts())
        for line in theirs.lines:  # each text in the same place, to a point (printer resolution)
            assert any(same_place(a, line) for a in ours.lines), line


def same_place(a: Line, b: Line) -> bool:
    """Same text, same row, and starting (left-aligned) or ending (right-aligned) at the same x."""
    aligned = abs(a.x0 - b.x0) <= 1.5 or abs(a.x1 - b.x1) <= 1.5
    return a.text == b.text and aligned and abs(a.top - b.top) <= 1
