"""Render every main screen of JobDesk with the demo company to PNG files (offscreen),
and the pages of its invoice PDFs.

    python tools/screenshots.py [--out FOLDER] [--only GROUP ...] [--paper letter|a4]

Each group of pictures is a function in ``GROUPS`` taking a :class:`Session`; to add
pictures of another screen, write such a function and add it there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from screenshots_connect import connect_wizard  # beside this file
from screenshots_small_screen import small_screen  # beside this file

from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    settle(app)
    widget.grab().save(str(path))
    print(f"wrote {path}")


@dataclass
class Session:
    """What every group of pictures draws from: the app, the demo company, its main window."""

    app: QApplication
    ctx: Any
    window: Any
    out: Path
    paper: str


def main_screens(session: Session) -> None:
    from desktop_app.ui.main_window import SCREENS

    for number, spec in enumerate(SCREENS, start=1):
        session.window.show_screen(spec.key)
        shoot(session.app, session.window, session.out / f"{number:02d}-{spec.key}.png")


def record_windows(session: Session) -> None:
    details = [
        ("customers", "open_customer", "customer"),
        ("bids", "open_bid", "bid"),
        ("jobs", "open_job", "job-details"),
        ("invoices", "open_invoice", "invoice"),
        ("payments", "open_payment", "payment"),
        ("price_book", "open_item", "item"),
    ]
    for key, opener, name in details:
        screen = session.window.show_screen(key)
        model = getattr(screen, "model", None)
        record_id = model.id_at(0) if model is not None and model.total else None
        if record_id is None:
            continue
        if key == "jobs":
            record_id = _job_with_invoices(session.ctx) or record_id
        dialog = getattr(screen, opener)(record_id)
        dialog.resize(1100, 1000)
        shoot(session.app, dialog, session.out / f"detail-{name}.png")
        dialog.tracker.reset()
        dialog.close()


def sync_center(session: Session) -> None:
    _sync_center_shots(session.app, session.ctx, session.window, session.out)


def invoice_pdfs(session: Session) -> None:
    """The PDF of a standard, a progress and a deposit invoice, page by page, as PNG."""
    from desktop_app.services.invoice_print import printable_invoice
    from desktop_app.services.invoice_queries import list_invoices
    from desktop_app.ui.printing import write_pdf

    chosen: dict[str, Any] = {}
    for row in session.ctx.read(list_invoices, limit=500).rows:
        document = session.ctx.read(printable_invoice, row.id)
        kind = document.invoice.kind.value
        best = chosen.get(kind)
        if best is None or len(document.invoice.lines) > len(best.invoice.lines):
            chosen[kind] = document  # the one with the most lines shows the table best
    for kind in ("standard", "progress", "deposit"):
        if kind not in chosen:
            continue
        pdf = write_pdf(chosen[kind], session.out / f"invoice-{kind}.pdf", session.paper)
        for path in pdf_pages_to_png(pdf, session.out / f"invoice-{kind}"):
            print(f"wrote {path}")


def pdf_pages_to_png(pdf: Path, stem: Path, dpi: int = 110) -> list[Path]:
    """Rasterise the PDF itself: with PDFium (pypdfium2, in the test extra), else pdftoppm."""
    try:
        import pypdfium2
    except ImportError:
        pypdfium2 = None
    written = []
    if pypdfium2 is not None:
        from PySide6.QtGui import QImage

        document = pypdfium2.PdfDocument(str(pdf))
        try:
            for number in range(len(document)):
                bitmap = document[number].render(scale=dpi / 72)
                image = QImage(
                    bytes(bitmap.buffer),
                    bitmap.width,
                    bitmap.height,
                    bitmap.stride,
                    QImage.Format.Format_BGR888,
                )
                path = stem.with_name(f"{stem.name}-page{number + 1}.png")
                image.copy().save(str(path))
                written.append(path)
        finally:
            document.close()
        return written
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), f"{stem}-page"], check=True)
        return sorted(stem.parent.glob(f"{stem.name}-page*.png"))
    raise SystemExit("Cannot turn the PDF into pictures: install the test extra (pypdfium2) or pdftoppm.")


#: The groups of pictures, in the order they are taken (``--only`` picks some).
GROUPS: dict[str, Callable[[Session], None]] = {
    "screens": main_screens,
    "records": record_windows,
    "invoice-pdf": invoice_pdfs,
    "small-screen": small_screen,  # 1024 x 768 (tools/screenshots_small_screen.py)
    "connect": connect_wizard,  # the connection wizard's steps and the preview, on a database of its own
    "sync": sync_center,  # last: it sends the demo company to the simulated QuickBooks
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python tools/screenshots.py",
        description="Render JobDesk's screens with a generated demo company to PNG files (offscreen), "
        "and the pages of its invoice PDFs.",
    )
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder (default: screenshots)")
    parser.add_argument(
        "--only", nargs="+", choices=list(GROUPS), metavar="GROUP", help=f"only these: {', '.join(GROUPS)}"
    )
    parser.add_argument(
        "--paper", choices=("letter", "a4"), default="letter", help="paper of the invoice PDFs"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    from desktop_app.demo import seed_demo
    from desktop_app.ui.app import create_application
    from desktop_app.ui.context import AppContext
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.prompts import ScriptedPrompts

    app = create_application()
    work = Path(tempfile.mkdtemp(prefix="jobdesk-shots-"))
    db = open_database(f"sqlite:///{(work / 'demo.sqlite').as_posix()}")
    seed_demo(db, scale=1, seed=1)
    settings = QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat)
    ctx = AppContext(db, Actor("Demo Admin", "admin"), prompts=ScriptedPrompts(), settings=settings)
    window = MainWindow(ctx)
    window.resize(1440, 900)
    window.show()
    window.sync_bar.refresh()
    session = Session(app, ctx, window, out, args.paper)
    for name, group in GROUPS.items():
        if args.only is None or name in args.only:
            group(session)
    window.close()
    db.dispose()
    return 0


def _sync_center_shots(app: QApplication, ctx: object, window: object, out: Path) -> None:
    """The sync center's tabs after a loopback session with the simulator (queue, history, an alert)."""
    from desktop_app.services import sync_queue
    from desktop_app.ui.dialogs.sync_now import SyncNowDialog
    from desktop_app.ui.server_control import DemoQuickBooks
    from qbwc_server.sync.engine import SyncEngine
    from qbwc_server.sync.loopback import run_session

    db = ctx.db  # type: ignore[attr-defined]
    ctx.write(sync_queue.send_everything_pending, changes=("sync",))  # type: ignore[attr-defined]
    # One simulated QuickBooks company throughout, as in demo mode.
    work = Path(tempfile.mkdtemp(prefix="jobdesk-shots-qb-"))
    demo = DemoQuickBooks(db, work, "demo", "unused", None)
    company = demo.company
    _conflicting_invoice(ctx, company)  # QuickBooks already has one of our numbers: an alert
    for _ in range(6):  # a session may only queue a dependency; the next poll sends it
        run_session(SyncEngine(db), company)
        if not SyncEngine(db).has_work():
            break
    ctx.write(sync_queue.send_everything_pending, changes=("sync",))  # type: ignore[attr-defined]
    center = window.show_screen("sync")  # type: ignore[attr-defined]
    for key in ("queue", "history", "alerts", "send", "import", "connection"):
        tab = center.show_tab(key)
        center.refresh(force=True)
        if key in ("queue", "history") and tab.model.total:
            tab.select_item(tab.model.row_at(0).id)
        shoot(app, window, out / f"sync-{key}.png")  # type: ignore[arg-type]
    ctx.demo = demo  # type: ignore[attr-defined]
    dialog = SyncNowDialog(ctx, window)  # type: ignore[arg-type]
    dialog.start()
    ctx.tasks.wait(60_000)  # type: ignore[attr-defined]
    settle(app)
    shoot(app, dialog, out / "sync-now-done.png")
    dialog.close()


def _conflicting_invoice(ctx: object, company: object) -> None:
    from decimal import Decimal

    from desktop_app.services import invoice_queries
    from qbwc_server import qbxml as q

    page = ctx.read(invoice_queries.list_invoices, open_only=True, limit=1)  # type: ignore[attr-defined]
    if not page.rows:
        return
    number = page.rows[0].number
    line = q.InvoiceLineFields(description="Entered in QuickBooks by hand", amount=Decimal("125.00"))
    requests = [
        q.customer_add("1", q.CustomerFields(name="Walk-in customer")),
        q.invoice_add(
            "2",
            q.InvoiceFields(customer=q.Ref(full_name="Walk-in customer"), ref_number=number, lines=(line,)),
        ),
    ]
    company.process(q.build_message(requests))  # type: ignore[attr-defined]


def _job_with_invoices(ctx: object) -> int | None:
    from desktop_app.services import invoice_queries

    page = ctx.read(invoice_queries.list_invoices, status="open", limit=50)  # type: ignore[attr-defined]
    for row in page.rows:
        if row.job_id is not None:
            return int(row.job_id)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
