"""Render every main screen of JobDesk with the demo company to PNG files (offscreen).

python tools/screenshots.py [output-folder]      (default: screenshots/)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    settle(app)
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from desktop_app.demo import seed_demo
    from desktop_app.ui.app import create_application
    from desktop_app.ui.context import AppContext
    from desktop_app.ui.main_window import SCREENS, MainWindow
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
    for number, spec in enumerate(SCREENS, start=1):
        window.show_screen(spec.key)
        shoot(app, window, out / f"{number:02d}-{spec.key}.png")

    details = [
        ("customers", "open_customer", "customer"),
        ("bids", "open_bid", "bid"),
        ("jobs", "open_job", "job-details"),
        ("invoices", "open_invoice", "invoice"),
        ("payments", "open_payment", "payment"),
        ("price_book", "open_item", "item"),
    ]
    for key, opener, name in details:
        screen = window.show_screen(key)
        model = getattr(screen, "model", None)
        record_id = model.id_at(0) if model is not None and model.total else None
        if record_id is None:
            continue
        if key == "jobs":
            record_id = _job_with_invoices(ctx) or record_id
        dialog = getattr(screen, opener)(record_id)
        dialog.resize(1100, 1000)
        shoot(app, dialog, out / f"detail-{name}.png")
        dialog.tracker.reset()
        dialog.close()
    window.close()
    db.dispose()
    return 0


def _job_with_invoices(ctx: object) -> int | None:
    from desktop_app.services import invoice_queries

    page = ctx.read(invoice_queries.list_invoices, status="open", limit=50)  # type: ignore[attr-defined]
    for row in page.rows:
        if row.job_id is not None:
            return int(row.job_id)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
