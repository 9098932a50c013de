"""Application start-up: QApplication, style, logging, the last-resort error handler."""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from desktop_app.db.uow import Actor, Database
from desktop_app.ui.errors import unexpected_message
from desktop_app.ui.logs import configure_logging, logger
from desktop_app.ui.prompts import Prompts, QtPrompts
from desktop_app.ui.resources import icon, stylesheet
from desktop_app.ui.stop_signals import quit_on_signals


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with JobDesk's name, font and style sheet (reused if it exists)."""
    QCoreApplication.setOrganizationName("JobDesk")
    QCoreApplication.setApplicationName("JobDesk")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    apply_style(app)
    return app


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(QIcon(icon("logo", "#2563eb", 64)))


def install_excepthook(prompts: Prompts) -> None:
    """Unexpected errors: the traceback to the log, a short message to the user."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        logger("crash").error("Unhandled error", exc_info=(exc_type, exc, tb))
        try:
            prompts.error(QApplication.activeWindow(), "JobDesk", unexpected_message())
        except Exception:  # the hook must never raise
            logger("crash").error("Could not show the error dialog", exc_info=True)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        logger("crash").error(
            "Unhandled error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook


#: Demo mode signs in as this admin without asking (the demo company is thrown away).
DEMO_ACTOR = Actor(name="Demo Admin", role="admin")


def sign_in_actor(db: Database, demo: bool) -> Actor | None:
    """Who uses the app: the demo admin, or the first-start / sign-in dialogs (None: cancelled)."""
    if demo:
        return DEMO_ACTOR
    from desktop_app.ui.dialogs.sign_in import choose_actor

    return choose_actor(db)


def _open(database_url: str | None, demo: bool) -> Database:
    from desktop_app.db.open import open_database

    if demo and database_url is None:
        import tempfile
        from pathlib import Path

        # A throw-away company: its own folder also holds the simulated QuickBooks file.
        path = Path(tempfile.mkdtemp(prefix="jobdesk-demo-")) / "demo.sqlite"
        database_url = f"sqlite:///{path.as_posix()}"
    db = open_database(database_url)
    if demo:
        try:
            from desktop_app.demo import seed_demo
        except ImportError:
            logger("app").warning("demo data is not available in this build")
        else:
            seed_demo(db, scale=1, seed=1)
    return db


def run_gui(database_url: str | None, *, demo: bool = False, actor: Actor | None = None) -> int:
    """Start the desktop application; returns the process exit code.

    ``actor`` skips signing in (tests, tools); otherwise :func:`sign_in_actor` decides.
    """
    configure_logging()
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = create_application()
    stop_signals = quit_on_signals(app)  # Ctrl+C, a kill, a closed terminal: the clean shutdown below
    prompts = QtPrompts()
    install_excepthook(prompts)
    log = logger("app")
    try:
        db = _open(database_url, demo)
    except Exception as exc:
        log.error("could not open the database", exc_info=True)
        from desktop_app.errors import JobDeskError

        text = str(exc) if isinstance(exc, JobDeskError) else unexpected_message()
        prompts.error(None, "JobDesk could not open the company database", text)
        return 1

    from desktop_app.runtime import settle_after_start
    from desktop_app.ui.context import AppContext
    from desktop_app.ui.main_window import MainWindow

    signed_in = actor or sign_in_actor(db, demo)
    if signed_in is None:
        log.info("sign-in cancelled")
        db.dispose()
        return 0
    ctx = AppContext(db, signed_in, prompts=prompts)
    from desktop_app.ui.server_control import SyncServices

    sync_services = SyncServices(ctx, demo=demo)  # never raises: a busy port shows in the status bar
    window = MainWindow(ctx)
    window.show()
    settle_after_start()
    log.info("JobDesk started (%s)", db.engine.url.render_as_string(hide_password=True))
    code = app.exec()
    ctx.tasks.wait(10_000)
    sync_services.stop()
    db.dispose()
    stop_signals.uninstall()
    logging.shutdown()
    return code
