"""Background work: slow things (imports, big queries, PDF export) off the UI thread.

A task is a plain function ``fn(progress: TaskProgress) -> result`` run on a
``QThreadPool``; it opens its own unit of work if it touches the database. It reports
``progress.report(done, total, text)`` and checks ``progress.check()`` (raises
``TaskCancelledError`` when the user pressed Cancel). Results and errors come back to the UI
thread as signals of the task's :class:`TaskHandle`.

Two pools, never Qt's global one. Long work (Sync now waiting for the Web Connector, an
import, a PDF export) runs on :func:`task_pool`; list pages run on :func:`fetch_pool`. Qt's
global pool has as many threads as cores (two on many office PCs), so two long tasks
sharing it with the lists would leave no thread for a list page and the lists would stop
loading. With their own pool, list fetches always have a thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal

from desktop_app.ui.logs import logger

#: Long tasks mostly wait (on the Web Connector, the database, the disk), so a few may run
#: at once whatever the core count; more wait their turn.
TASK_THREADS = 4

_pools: dict[str, QThreadPool] = {}
_pools_lock = threading.Lock()


def _pool(name: str, threads: int) -> QThreadPool:
    with _pools_lock:
        pool = _pools.get(name)
        if pool is None:
            pool = QThreadPool()
            pool.setObjectName(f"jobdesk-{name}")
            pool.setMaxThreadCount(threads)
            _pools[name] = pool
        return pool


def task_pool() -> QThreadPool:
    """The pool of long-running work (sync, imports, exports)."""
    return _pool("tasks", TASK_THREADS)


def fetch_pool() -> QThreadPool:
    """The pool of list page fetches: short queries, never behind a long task."""
    return _pool("fetches", max(2, QThread.idealThreadCount()))


class TaskCancelledError(Exception):
    """Raised inside a task when its user pressed Cancel."""


class TaskProgress:
    """Handed to the task function: report progress, check for cancellation."""

    def __init__(self, handle: TaskHandle) -> None:
        self._handle = handle

    def report(self, done: int, total: int, text: str = "") -> None:
        self._handle.progressed.emit(done, total, text)

    @property
    def cancelled(self) -> bool:
        return self._handle.is_cancelled

    def check(self) -> None:
        if self._handle.is_cancelled:
            raise TaskCancelledError


class TaskHandle(QObject):
    """Signals of one running task, delivered on the UI thread."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._cancel = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, handle: TaskHandle, fn: Callable[[TaskProgress], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._handle = handle
        self._fn = fn

    def run(self) -> None:
        handle = self._handle
        try:
            result = self._fn(TaskProgress(handle))
        except TaskCancelledError:
            handle.done = True
            handle.cancelled.emit()
        except BaseException as exc:  # reported to the UI thread, never swallowed
            logger("tasks").debug("task %s failed", handle.name, exc_info=True)
            handle.error = exc
            handle.done = True
            handle.failed.emit(exc)
        else:
            handle.result = result
            handle.done = True
            handle.succeeded.emit(result)
        handle.finished.emit()


class TaskRunner(QObject):
    """Starts tasks on a thread pool and keeps their handles alive until they finish.

    Connect to a task's signals through ``start``'s ``on_...`` arguments: they are connected
    before the task is queued. A connection made after ``start`` returns can miss a signal
    of a quick task, which may already have finished on its worker thread.
    """

    busy_changed = Signal(bool)
    #: A task of this runner ended (succeeded, failed or cancelled): its handle.
    task_finished = Signal(object)

    def __init__(self, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self._pool = pool or task_pool()
        # The app's runner (the default pool) waits for all background work when asked to,
        # list fetches included: shutdown and tests close the database after ``wait``.
        self._wait_pools = (self._pool,) if pool is not None else (self._pool, fetch_pool())
        self._running: set[TaskHandle] = set()

    @property
    def pool(self) -> QThreadPool:
        return self._pool

    def start(
        self,
        name: str,
        fn: Callable[[TaskProgress], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> TaskHandle:
        handle = TaskHandle(name)
        if on_progress is not None:
            handle.progressed.connect(on_progress)
        if on_success is not None:
            handle.succeeded.connect(on_success)
        if on_error is not None:
            handle.failed.connect(on_error)
        handle.finished.connect(lambda: self._finished(handle))
        if on_finished is not None:
            handle.finished.connect(on_finished)
        self._running.add(handle)
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Runnable(handle, fn))
        return handle

    def _finished(self, handle: TaskHandle) -> None:
        self._running.discard(handle)
        if not self._running:
            self.busy_changed.emit(False)
        self.task_finished.emit(handle)

    @property
    def running(self) -> int:
        return len(self._running)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool(s) are idle (results still arrive as events are processed)."""
        deadline = time.monotonic() + msecs / 1000
        idle = True
        for pool in self._wait_pools:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            idle = pool.waitForDone(left) and idle
        return idle
