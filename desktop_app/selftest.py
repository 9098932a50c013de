"""``JobDesk --self-test``: prove an installation (or a bundle) works, without a screen or a user.

In about ten seconds, with nothing left behind, it:

1. starts Qt offscreen, applies JobDesk's style sheet and icons and builds the main window;
2. opens a throw-away SQLite company in a temporary folder (running every migration);
3. fills it with a small generated company and queues everything for QuickBooks;
4. starts the embedded Web Connector server on a free localhost port (and fetches its WSDL);
5. runs one Web Connector session (the simulator, over real HTTP) against a simulated
   QuickBooks company, then checks QuickBooks received every customer and invoice, the queue
   is empty and no alert is open;
6. stops the server and closes everything.

It prints one line per step and exits 0 only if every step passed. The user's own database,
settings and log are never touched. In a windowed Windows build there is no console: a
bundle also writes the report to ``selftest.txt`` in JobDesk's log folder (and prints it
to the console the command was started from, when there is one — use ``start /wait JobDesk.exe --self-test``
and ``echo %ERRORLEVEL%`` to see the exit code).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from desktop_app.version import __version__

#: A small company: enough to exercise every kind of record, quick to sync.
SELF_TEST_SIZE = {"customers": 4, "jobs": 5, "items": 4, "invoices": 6, "payments": 3}
USER = "selftest"
PASSWORD = "self-test password 4 JobDesk"
#: If anything hangs (a socket, a thread), the process still ends, and says why.
WATCHDOG_SECONDS = 120.0


class SelfTestError(Exception):
    """A check did not hold; the message says what was expected."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: bool = False
    stream: TextIO | None = None

    def say(self, text: str) -> None:
        self.lines.append(text)
        if self.stream is not None:
            try:
                print(text, file=self.stream, flush=True)
            except (OSError, ValueError):  # a closed or missing console must not fail the test
                self.stream = None

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """One step: its ``ok``/``FAIL`` line, then the notes the step added."""
        started = time.perf_counter()
        notes: list[str] = []
        try:
            yield notes
        except Exception as exc:
            self.failed = True
            first, *more = str(exc).splitlines() or [""]
            self.say(f"  FAIL  {name}: {first or type(exc).__name__}")
            # a failed check explains itself; anything else also gets its traceback
            if not isinstance(exc, SelfTestError):
                more = traceback.format_exc().rstrip().splitlines()
            for line in more:
                self.say(f"        {line}")
            raise _StopError from exc
        self.say(f"  ok    {name} ({time.perf_counter() - started:.1f} s)")
        for note in notes:
            self.say(f"        {note}")


class _StopError(Exception):
    """Ends the run after the first failed step (its report line is already written)."""


def _console() -> TextIO | None:
    """stdout, or on a windowed Windows build the console of the parent process, if any."""
    if sys.stdout is not None:
        return sys.stdout
    if sys.platform == "win32":  # pragma: no cover - Windows GUI builds only
        try:
            import ctypes

            if ctypes.windll.kernel32.AttachConsole(-1):  # type: ignore[attr-defined]
                return open("CONOUT$", "w", encoding="utf-8", errors="replace")
        except Exception:
            return None
    return None


def _watchdog(report: Report, seconds: float) -> threading.Timer:
    def expire() -> None:
        report.say(f"  FAIL  the self-test did not finish within {seconds:.0f} s")
        _write_report_file(report)
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def _write_report_file(report: Report) -> Path | None:
    try:
        from desktop_app.ui.logs import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "selftest.txt"
        path.write_text("\n".join(report.lines) + "\n", encoding="utf-8")
        return path
    except Exception:
        return None


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestError(message)


def run_self_test(*, stream: TextIO | None = None, watchdog_seconds: float = WATCHDOG_SECONDS) -> int:
    """Run every step; 0 when all passed, 1 otherwise. ``stream`` defaults to the console."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never show a window, even on a desktop
    report = Report(stream=stream if stream is not None else _console())
    frozen = bool(getattr(sys, "frozen", False))
    report.say(
        f"JobDesk {__version__} self-test ({'bundle' if frozen else 'source'}, Python "
        f"{sys.version.split()[0]}, {sys.platform})"
    )
    timer = _watchdog(report, watchdog_seconds)
    started = time.perf_counter()
    cleanups: list[Callable[[], Any]] = []
    with tempfile.TemporaryDirectory(prefix="jobdesk-selftest-", ignore_cleanup_errors=True) as tmp:
        try:
            _run_steps(report, Path(tmp), cleanups)
        except _StopError:
            pass
        finally:
            for cleanup in reversed(cleanups):
                try:
                    cleanup()
                except Exception as exc:  # cleaning up must not hide the result
                    report.say(f"  note  cleaning up: {exc}")
    timer.cancel()
    elapsed = time.perf_counter() - started
    report.say(
        f"self-test FAILED after {elapsed:.1f} s" if report.failed else f"self-test passed in {elapsed:.1f} s"
    )
    if frozen or report.stream is None:  # an installed app may have no console to print to
        _write_report_file(report)
    return 1 if report.failed else 0


def _run_steps(report: Report, tmp: Path, cleanups: list[Callable[[], Any]]) -> None:
    # 1. Qt, offscreen, with the style sheet and icons the bundle must carry.
    with report.step("Qt starts offscreen with JobDesk's style and icons") as notes:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui.app import create_application
        from desktop_app.ui.logs import configure_logging
        from desktop_app.ui.resources import icon, stylesheet

        configure_logging(tmp / "logs")
        app = create_application([sys.argv[0] if sys.argv else "jobdesk"])
        _check(QApplication.platformName() == "offscreen", f"Qt platform is {QApplication.platformName()!r}")
        _check(len(stylesheet()) > 100, "the style sheet (jobdesk.qss) is missing or empty")
        _check(not icon("logo", "#2563eb", 32).isNull(), "the logo icon (logo.svg) could not be drawn")
        from desktop_app.ui.resources import HERE

        notes.append(f"resources from {HERE}")

    # 2. The database: a new SQLite file, migrated to the newest schema.
    with report.step("a throw-away company database opens and migrates"):
        from desktop_app.db.migrate import current_revision, head_revision
        from desktop_app.db.open import open_database

        db = open_database(f"sqlite:///{(tmp / 'selftest.sqlite').as_posix()}")
        cleanups.append(db.dispose)
        with db.engine.connect() as connection:
            revision = current_revision(connection)
        _check(revision == head_revision(), f"schema at {revision}, expected {head_revision()}")

    # 3. The main window, over that database, with settings kept out of the user's.
    with report.step("the main window opens"):
        from desktop_app.db.uow import Actor
        from desktop_app.ui.context import AppContext
        from desktop_app.ui.main_window import MainWindow
        from desktop_app.ui.prompts import ScriptedPrompts

        prompts = ScriptedPrompts(default_confirm=False)
        settings = QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)
        ctx = AppContext(db, Actor(name="selftest", role="admin"), prompts=prompts, settings=settings)
        window = MainWindow(ctx)

        def close_window() -> None:
            window.close()
            ctx.tasks.wait(10_000)
            app.processEvents()
            window.deleteLater()
            app.processEvents()

        cleanups.append(close_window)
        window.show()
        app.processEvents()
        _check(window.isVisible(), "the main window is not visible")
        _check(not [a for a in prompts.asked if a.kind == "error"], f"errors shown: {prompts.asked}")

    # 4. A small company, everything queued for QuickBooks, a Web Connector password.
    with report.step("a small demo company is created and queued") as notes:
        from desktop_app.demo import CompanySize, generate_company
        from desktop_app.domain.passwords import hash_password
        from desktop_app.services.settings import set_setting
        from desktop_app.services.sync_queue import send_everything_pending

        counts = generate_company(db, CompanySize(**SELF_TEST_SIZE), seed=11)
        with db.uow() as uow:
            set_setting(uow, "qbwc.username", USER)
            set_setting(uow, "qbwc.password_hash", hash_password(PASSWORD))
            queued = send_everything_pending(uow)
            uow.commit()
        _check(queued > 0, "nothing was queued for QuickBooks")
        notes.append(", ".join(f"{n} {what}" for what, n in counts.items()) + f"; {queued} queued")

    # 5. Every screen, with data in it: the views are imported by name, so a build that
    #    left one out (or one of its imports) shows up here, not in front of a user.
    with report.step("every screen opens with the company's data") as notes:
        import importlib.util

        from desktop_app.ui.main_window import SCREENS, UnavailablePanel

        opened, absent, broken = 0, [], []
        for spec in SCREENS:
            module_name = spec.target.split(":")[0]
            if importlib.util.find_spec(module_name) is None:
                absent.append(spec.title)
                continue
            widget = window.show_screen(spec.key)
            app.processEvents()
            if isinstance(widget, UnavailablePanel):
                broken.append(spec.title)
            else:
                opened += 1
        ctx.tasks.wait(10_000)
        app.processEvents()
        _check(not broken, f"screens that could not load: {', '.join(broken)} (see the log)")
        errors = [a for a in prompts.asked if a.kind == "error"]
        _check(not errors, "errors shown: " + "; ".join(a.text for a in errors))
        notes.append(
            f"{opened} of {len(SCREENS)} screens"
            + (f"; not in this version: {', '.join(absent)}" if absent else "")
        )
        window.show_screen(SCREENS[0].key)

    # 6. The embedded server, on a free port, answering the WSDL.
    with report.step("the Web Connector server starts on a free port") as notes:
        from qbwc_server.server import EmbeddedServer

        server = EmbeddedServer(db, "localhost", 0, threads=2)
        status = server.start()
        cleanups.append(server.stop)
        _check(status.running and status.port > 0, f"server not running: {status.error}")
        with urllib.request.urlopen(f"{server.url}?wsdl", timeout=30) as reply:
            wsdl = reply.read()
        _check(b"authenticate" in wsdl and b"sendRequestXML" in wsdl, "the WSDL lacks the QBWC methods")
        notes.append(server.url)

    # 7. One Web Connector session against the QuickBooks simulator.
    with report.step("one Web Connector session syncs the company to QuickBooks") as notes:
        from qbwc_server.simulator import QuickBooksCompany, default_rules
        from qbwc_server.simulator.webconnector import WebConnector

        # As strict as US QuickBooks Desktop (Intuit's files if present, else the product's table).
        quickbooks = QuickBooksCompany(rules=default_rules())
        connector = WebConnector(
            server.url, USER, PASSWORD, quickbooks, company_file=quickbooks.file_path, timeout=60
        )
        session = connector.run_session()
        _check(session.outcome == "done", f"session ended {session.outcome!r}:\n{session.summary()}")
        notes.append(
            f"{session.round_trips} round trips, {session.bytes_sent + session.bytes_received:,} bytes,"
            f" {session.seconds:.1f} s"
        )

    # 8. What QuickBooks received, and what JobDesk says about it.
    with report.step("QuickBooks received every record; no errors, nothing left queued") as notes:
        from sqlalchemy import func, select

        from desktop_app.db.models import Customer, Invoice
        from qbwc_server.status import connector_status

        with db.reader() as uow:
            customers = int(uow.session.scalar(select(func.count()).select_from(Customer)) or 0)
            invoices = int(
                uow.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status != "void"))
                or 0
            )
            status_now = connector_status(uow)
        leftover = {state: n for state, n in status_now.queue.items() if state not in ("done", "cancelled")}
        _check(not leftover, f"still queued: {leftover}")
        _check(
            not status_now.open_alerts, "open alerts: " + "; ".join(a.message for a in status_now.open_alerts)
        )
        _check(
            len(quickbooks.customers) >= customers,
            f"QuickBooks has {len(quickbooks.customers)} of {customers} customers",
        )
        _check(
            len(quickbooks.invoices) == invoices,
            f"QuickBooks has {len(quickbooks.invoices)} of {invoices} invoices",
        )
        _check(bool(status_now.company_name), "the QuickBooks company was not bound")
        notes.append(
            f"QuickBooks: {len(quickbooks.customers)} customers/jobs, {len(quickbooks.invoices)} invoices,"
            f" {len(quickbooks.payments)} payments"
        )

    # 9. Stopping cleanly is part of the test.
    with report.step("the server stops"):
        cleanups.remove(server.stop)
        stopped = server.stop()
        _check(not stopped.running, "the server is still running")


__all__ = ["run_self_test"]
