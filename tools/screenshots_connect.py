"""Pictures of connecting to an office's existing QuickBooks company: each step of the wizard,
and the preview of the next sync (a group of ``tools/screenshots.py``).

It works on a demo company of its own (a second database), so connecting, which holds
JobDesk's records back from QuickBooks until Send, changes nothing the other groups show.
The office's company is the simulator's ``seed_office`` with near matches of the demo's
names planted; the Web Connector is the loopback session.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.db.open import open_database
from desktop_app.db.uow import Actor, Database

#: A small office (the issue's is 500 customers, 2,000 invoices): quick to build and import.
SIZE = {"customers": 160, "jobs": 90, "items": 40, "invoices": 400}


def wait_for(app: QApplication, ready: Callable[[], bool], seconds: float = 60) -> None:
    """Let background reads come back (the pages load off the UI thread)."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit("a wizard page did not load in time")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()


def _shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    for _ in range(5):
        app.processEvents()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def _our_names(ctx: Any) -> Any:
    from desktop_app.domain.qb_names import job_qb_name
    from desktop_app.services import customers, items, jobs
    from qbwc_server.simulator import OurNames

    found_customers = ctx.read(customers.list_customers, limit=500).rows
    found_jobs = ctx.read(jobs.list_jobs, limit=500).rows
    found_items = ctx.read(items.list_items, limit=500).rows
    return OurNames(
        customers=tuple(c.display_name for c in found_customers),
        jobs=tuple((j.customer_name, job_qb_name(j.number, j.name)) for j in found_jobs),
        items=tuple((i.name, i.kind) for i in found_items),
    )


def _office(ctx: Any) -> Any:
    """The office's QuickBooks company, near the demo's names; JobDesk bound to it, all queued."""
    from desktop_app.services import sync_queue
    from qbwc_server.binding import bind_company
    from qbwc_server.simulator import OfficeSize, QuickBooksCompany, seed_office

    company = QuickBooksCompany()
    seed_office(company, _our_names(ctx), OfficeSize(**SIZE))
    ctx.write(sync_queue.send_everything_pending, changes=("sync",))
    ctx.write(bind_company, "Rock Castle Construction", r"C:\QuickBooks\Rock Castle Construction.qbw")
    return company


def _run_web_connector(db: Database, company: Any) -> None:
    from qbwc_server.sync.engine import SyncEngine
    from qbwc_server.sync.loopback import run_session

    for _ in range(6):  # a session may leave work for the next poll
        run_session(SyncEngine(db), company)
        if not SyncEngine(db).has_work():
            break


def _loaded(wizard: Any, step: str) -> Callable[[], bool]:
    """The wizard shows ``step`` and the page's reads have come back."""
    from desktop_app.ui.views.background_load import BackgroundLoad

    page = wizard.pages[step]

    def ready() -> bool:
        loaders = page.findChildren(BackgroundLoad)
        return wizard.current_step == step and not any(loader.busy for loader in loaders)

    return ready


def connect_wizard(session: Any) -> None:
    from desktop_app.demo import seed_demo
    from desktop_app.ui.context import AppContext
    from desktop_app.ui.prompts import ScriptedPrompts
    from desktop_app.ui.views.connect_wizard import ConnectWizard
    from desktop_app.ui.views.sync_preview_dialog import SyncPreviewDialog

    app: QApplication = session.app
    out: Path = session.out
    work = Path(tempfile.mkdtemp(prefix="jobdesk-shots-connect-"))
    db = open_database(f"sqlite:///{(work / 'office.sqlite').as_posix()}")
    seed_demo(db, scale=1, seed=1)
    settings = QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat)
    ctx = AppContext(db, Actor("Demo Admin", "admin"), prompts=ScriptedPrompts(), settings=settings)
    try:
        company = _office(ctx)
        wizard = ConnectWizard(ctx)
        wizard.resize(1280, 860)
        wizard.show()
        wizard.start()
        wizard.go_to("bind")  # back to the first step, to show it
        wait_for(app, _loaded(wizard, "bind"))
        _shoot(app, wizard, out / "connect-1-company.png")

        wizard.go_to("import")
        wizard.import_page.start_import()
        _run_web_connector(db, company)
        page = wizard.import_page
        wait_for(app, lambda: page.progress_data is not None and page.progress_data.finished)
        _shoot(app, wizard, out / "connect-2-import.png")

        wizard.next_step()
        wait_for(app, _loaded(wizard, "review"))
        review = wizard.review_page
        if review.rows:  # one decided from the table, to show a decision
            review.table.setCurrentCell(0, 0)
            review.decide(next(option for option, _ in review.selected().options))
            wait_for(app, _loaded(wizard, "review"))
            review.table.setCurrentCell(0, 0)
        _shoot(app, wizard, out / "connect-3-review.png")

        wizard.next_step()
        wait_for(app, _loaded(wizard, "numbering"))
        _shoot(app, wizard, out / "connect-4-numbers.png")

        wizard.next_step()  # still overlapping: the scripted answer is "Continue anyway"
        wait_for(app, _loaded(wizard, "mapping"))
        _shoot(app, wizard, out / "connect-5-mapping.png")

        wizard.next_step()
        preview = wizard.send_page.preview
        wait_for(app, lambda: preview.preview is not None and not preview.busy)
        if preview.shown_rows():
            preview.table.selectRow(0)
        _shoot(app, wizard, out / "connect-6-preview.png")
        wizard.close()

        dialog = SyncPreviewDialog(ctx)
        dialog.resize(1280, 860)
        dialog.show()
        dialog.start()
        wait_for(app, lambda: dialog.preview.preview is not None and not dialog.preview.busy)
        conflicts = dialog.preview.outcome_filter.findData("conflict")
        dialog.preview.outcome_filter.setCurrentIndex(conflicts)
        _shoot(app, dialog, out / "sync-preview.png")
        dialog.close()
    finally:
        ctx.tasks.wait(60_000)
        db.dispose()
