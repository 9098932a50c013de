"""The embedded Web Connector server as the GUI sees it, and the demo's simulated QuickBooks.

``ServerControl.start()`` never raises: a busy port (or anything else) leaves it stopped
with a short reason the status bar shows ("server not running: port in use").
``DemoQuickBooks`` stands in for QuickBooks and the Web Connector in demo mode: a simulated
company file saved in the demo's folder, driven by the Web Connector simulator over HTTP
against the embedded server (or in-process when the server is not running).
"""

from __future__ import annotations

import errno
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.db.uow import Database
from desktop_app.ui.logs import logger

_IN_USE = {errno.EADDRINUSE, errno.EACCES, 10048, 10013}


class ServerControl:
    """What ``ctx.server`` is: ``running``, ``port``, ``url``, ``error``, ``status_text``."""

    def __init__(self, db: Database, port: int, host: str = "localhost") -> None:
        self.db = db
        self.host = host
        self.requested_port = port
        self.error = ""
        self._server: Any = None

    def start(self) -> bool:
        try:
            from qbwc_server.server import EmbeddedServer

            server = EmbeddedServer(self.db, self.host, self.requested_port)
            server.start()
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
            in_use = isinstance(cause, OSError) and cause.errno in _IN_USE
            self.error = "port in use" if in_use else "could not start (see the log file)"
            logger("server").warning("the Web Connector server did not start: %s", exc, exc_info=not in_use)
            return False
        self._server = server
        self.error = ""
        return True

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.stop()
            except Exception:
                logger("server").warning("stopping the Web Connector server failed", exc_info=True)

    @property
    def running(self) -> bool:
        return self._server is not None and bool(self._server.status.running)

    @property
    def port(self) -> int:
        return int(self._server.status.port) if self._server is not None else self.requested_port

    @property
    def url(self) -> str:
        return str(self._server.url) if self._server is not None else ""

    @property
    def status_text(self) -> str:
        if self.running:
            return f"Server: running on port {self.port}"
        return f"Server not running: {self.error or 'stopped'}"


@dataclass(frozen=True)
class DemoSessionResult:
    sessions: int
    round_trips: int
    outcome: str
    customers: int
    invoices: int
    payments: int


class DemoQuickBooks:
    """A simulated QuickBooks company plus a simulated Web Connector, for demo mode."""

    def __init__(
        self, db: Database, folder: Path, user_name: str, password: str, server: ServerControl | None = None
    ) -> None:
        from qbwc_server.simulator import QuickBooksCompany, default_rules

        self.db = db
        self.path = folder / "quickbooks-demo.json"
        self.user_name = user_name
        self.password = password
        self.server = server
        self._lock = threading.Lock()
        # The demo's QuickBooks refuses what US QuickBooks Desktop refuses.
        rules = default_rules()
        if self.path.exists():
            self.company = QuickBooksCompany.load(self.path, rules=rules)
        else:
            self.company = QuickBooksCompany(rules=rules)
        self.company.save(self.path)

    def run_session(self) -> DemoSessionResult:
        """One Sync now (off the UI thread). Runs a follow-up session while one made progress,
        as the Web Connector's next polls would."""
        with self._lock:
            sessions = round_trips = 0
            outcome = "done"
            idle = 0
            for _ in range(6):
                trips, outcome = self._one_session()
                sessions += 1
                round_trips += trips
                # A session can end early having only queued a dependency (a customer before its
                # job); the Web Connector's next poll would send it, so poll again.
                idle = idle + 1 if trips == 0 else 0
                if idle >= 2 or not self._has_work():
                    break
            self.company.save(self.path)
            return DemoSessionResult(
                sessions,
                round_trips,
                outcome,
                len(self.company.customers),
                len(self.company.invoices),
                len(self.company.payments),
            )

    def _has_work(self) -> bool:
        from qbwc_server.sync.engine import SyncEngine

        return SyncEngine(self.db).has_work()

    def _one_session(self) -> tuple[int, str]:
        if self.server is not None and self.server.running:
            from qbwc_server.simulator.webconnector import WebConnector

            connector = WebConnector(
                self.server.url,
                self.user_name,
                self.password,
                self.company,
                company_file=self.company.file_path,
                timeout=120,
                sleep=lambda _s: None,
            )
            report = connector.run_session()
            return report.round_trips, report.outcome or "done"
        from qbwc_server.sync.engine import SyncEngine
        from qbwc_server.sync.loopback import run_session

        loop = run_session(SyncEngine(self.db), self.company)
        return loop.round_trips, "broken" if loop.broken else "done"


DEMO_USER = "jobdesk-demo"
DEMO_PASSWORD = "demo web connector password"


class SyncServices:
    """What ``run_gui`` starts next to the window: the server, and in demo mode the simulator."""

    def __init__(self, ctx: Any, *, demo: bool = False, port: int | None = None) -> None:
        from desktop_app.services.settings import get_setting

        self.ctx = ctx
        db: Database = ctx.db
        try:
            wanted = port if port is not None else (0 if demo else int(ctx.read(get_setting, "qbwc.port")))
        except Exception:
            logger("server").warning("could not read the server port", exc_info=True)
            wanted = 8089
        self.server = ServerControl(db, wanted)
        if demo:
            try:
                _demo_settings(db)
            except Exception:
                logger("server").warning("could not set up the demo's Web Connector user", exc_info=True)
        self.server.start()
        ctx.server = self.server
        if demo:
            try:
                name = db.engine.url.database
                sqlite_file = db.engine.url.get_backend_name() == "sqlite" and name and name != ":memory:"
                folder = (
                    Path(name).parent
                    if sqlite_file and name
                    else Path(tempfile.mkdtemp(prefix="jobdesk-demo-"))
                )
                ctx.demo = DemoQuickBooks(db, folder, DEMO_USER, DEMO_PASSWORD, self.server)
            except Exception:
                logger("server").warning("the demo's simulated QuickBooks is not available", exc_info=True)

    def stop(self) -> None:
        self.server.stop()


def _demo_settings(db: Database) -> None:
    """The demo's Web Connector user and password, so the simulated Web Connector can sign in."""
    from desktop_app.db.uow import Actor
    from desktop_app.domain.passwords import hash_password
    from desktop_app.services.settings import set_setting

    with db.uow(Actor("demo", "admin")) as uow:
        set_setting(uow, "qbwc.username", DEMO_USER)
        set_setting(uow, "qbwc.password_hash", hash_password(DEMO_PASSWORD))
        uow.commit()
