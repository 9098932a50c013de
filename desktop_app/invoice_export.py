"""``python -m desktop_app invoice-pdf``: invoices to PDF files in batch, without a window.

The pages are the ones Print and Save as PDF make in the app (``desktop_app.ui.printing``).
Qt draws them offscreen, so this runs on a server with no display too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_app.errors import ValidationError


@dataclass(frozen=True)
class Plan:
    """Which invoices go into which file."""

    files: tuple[tuple[Path, tuple[str, ...]], ...]


def file_name(number: str) -> str:
    """``Invoice 1007-2.pdf``; characters no file system accepts become ``_``."""
    return f"Invoice {re.sub(r'[^A-Za-z0-9 ._-]', '_', number)}.pdf"


def plan(numbers: Sequence[str], out: Path, *, combine: bool) -> Plan:
    """One file with ``--combine`` (or one invoice to ``x.pdf``); else one per invoice in a folder."""
    numbers = tuple(dict.fromkeys(n.strip() for n in numbers))  # each invoice once, in order
    to_file = out.suffix.lower() == ".pdf"
    if combine:
        if not to_file:
            raise ValidationError(
                "out", "With --combine, --out names the PDF file to write (ending in .pdf)."
            )
        return Plan(((out, numbers),))
    if len(numbers) == 1 and to_file:
        return Plan(((out, numbers),))
    if to_file:
        raise ValidationError(
            "out",
            "Several invoices make one file each: give --out a folder, or add --combine for one PDF.",
        )
    return Plan(tuple((out / file_name(n), (n,)) for n in numbers))


def export_invoices(
    database_url: str, numbers: Sequence[str], out: Path, *, combine: bool, paper: str
) -> list[Path]:
    """Write the PDFs; the files written. Unknown numbers are refused before anything is written."""
    chosen = plan(numbers, out, combine=combine)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window: works without a display
    from PySide6.QtGui import QGuiApplication

    from desktop_app.db.open import open_database
    from desktop_app.services.invoice_print import invoice_ids_by_number, printable_invoice
    from desktop_app.ui.printing import write_pdf

    _app = QGuiApplication.instance() or QGuiApplication(["jobdesk-invoice-pdf"])
    database = open_database(database_url)
    try:
        with database.reader() as uow:
            wanted = [n for _, group in chosen.files for n in group]
            ids = dict(zip(wanted, invoice_ids_by_number(uow, wanted), strict=True))
            documents = {n: printable_invoice(uow, ids[n]) for n in wanted}
    finally:
        database.dispose()
    written = []
    for path, group in chosen.files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValidationError("out", f"Cannot create the folder {path.parent}: {exc.strerror}.") from None
        write_pdf([documents[n] for n in group], path, paper)
        if not path.is_file() or path.stat().st_size == 0:  # QPdfWriter reports no error itself
            raise ValidationError("out", f"Could not write {path}: check that the folder is writable.")
        written.append(path)
    return written
