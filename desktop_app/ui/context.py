"""What every screen needs: the database, who is acting, prompts, background tasks, settings.

It is also the change broadcast (after anki): an action that changed records emits
``changed`` with the kinds it touched ("customer", "invoice", ...); each list decides
whether to refresh. Screens get the context passed in; there is no global main window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSettings, QThread, Signal
from PySide6.QtWidgets import QWidget

from desktop_app.db.engine import sqlite_path
from desktop_app.db.uow import Actor, Database, UnitOfWork
from desktop_app.errors import ValidationError
from desktop_app.ui.errors import show_error
from desktop_app.ui.prompts import Prompts, QtPrompts
from desktop_app.ui.tasks import TaskRunner

T = TypeVar("T")

#: A save over within this long is waited for without letting any event run (s).
QUIET_SAVE_SECONDS = 0.05
#: Kinds broadcast through ``AppContext.changed``.
KINDS = ("customer", "location", "item", "account", "bid", "job", "invoice", "payment", "settings", "sync")


class AppContext(QObject):
    changed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        prompts: Prompts | None = None,
        settings: QSettings | None = None,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self.prompts: Prompts = prompts or QtPrompts()
        self.settings = settings or QSettings("JobDesk", "JobDesk")
        self.tasks = tasks or TaskRunner()
        #: The embedded Web Connector server (``ServerControl``) when the app started one.
        self.server: Any = None
        #: Demo mode's simulated QuickBooks and Web Connector (``DemoQuickBooks``), else None.
        self.demo: Any = None

    # -- database --------------------------------------------------------------------
    @property
    def background_reads(self) -> bool:
        """Can reads run on worker threads, each in its own connection?

        Not for an in-memory SQLite database: its threads share one connection (StaticPool),
        so a read there could interleave with a write's transaction.
        """
        return self.db.engine.dialect.name != "sqlite" or sqlite_path(self.db.url) is not None

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a read-only service function in its own short unit of work."""
        with self.db.reader(self.actor) as uow:
            return fn(uow, *args, **kwargs)

    def write(self, fn: Callable[..., T], *args: Any, changes: Iterable[str] = (), **kwargs: Any) -> T:
        """Run a service that changes data, commit, then broadcast what changed."""

        def save() -> T:
            with self.db.uow(self.actor) as uow:
                result = fn(uow, *args, **kwargs)
                uow.commit()
            return result

        result = self._off_the_ui_thread(save)
        for kind in changes:
            self.changed.emit(kind)
        return result

    def with_uow(self, fn: Callable[[UnitOfWork], T], *, changes: Iterable[str] = ()) -> T:
        """Several service calls in one transaction."""

        def save() -> T:
            with self.db.uow(self.actor) as uow:
                result = fn(uow)
                uow.commit()
            return result

        result = self._off_the_ui_thread(save)
        for kind in changes:
            self.changed.emit(kind)
        return result

    def _off_the_ui_thread(self, save: Callable[[], T]) -> T:
        """A save's database work on a worker thread; the window keeps painting meanwhile.

        A save takes milliseconds, but may wait for the write lock while the sync writes:
        the window must not freeze then. Callers still get the result (or the error) when
        the save is over, as before; what the person types or clicks meanwhile waits until
        then (``ExcludeUserInputEvents``), so nothing is saved twice or edited half way.
        Inline when there is no UI thread to keep free, or threads cannot share the
        database (in-memory SQLite).
        """
        app = QCoreApplication.instance()
        if app is None or QThread.currentThread() is not app.thread() or not self.background_reads:
            return save()
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = save()
            except BaseException as error:  # handed to the caller on the UI thread
                outcome["error"] = error

        worker = threading.Thread(target=run, name="jobdesk-save", daemon=True)
        worker.start()
        worker.join(QUIET_SAVE_SECONDS)  # most saves are over here: no event runs in between
        while worker.is_alive():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
            worker.join(0.01)
        if "error" in outcome:
            raise outcome["error"]
        return cast(T, outcome["result"])

    # -- the error boundary ------------------------------------------------------------
    def attempt(
        self,
        parent: QWidget | None,
        action: Callable[[], T],
        *,
        on_validation: Callable[[ValidationError], bool] | None = None,
        on_reload: Callable[[], None] | None = None,
        title: str = "JobDesk",
    ) -> tuple[bool, T | None]:
        """Run ``action``; on error tell the user and return ``(False, None)``.

        ``on_validation`` may show a ``ValidationError`` next to its field and return True
        (shown); otherwise it is shown as a message.
        """
        try:
            return True, action()
        except ValidationError as exc:
            if on_validation is None or not on_validation(exc):
                show_error(self.prompts, parent, exc, title=title)
        except Exception as exc:
            show_error(self.prompts, parent, exc, title=title, on_reload=on_reload)
        return False, None

    def report(self, parent: QWidget | None, exc: BaseException, *, title: str = "JobDesk") -> None:
        show_error(self.prompts, parent, exc, title=title)
