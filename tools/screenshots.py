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
    _sync_center_shots(app, ctx, window, out)
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
    sys.exit(main(sys.argv))
