"""Background work: slow things (imports, big queries, PDF export) off the UI thread.

A task is a plain function ``fn(progress: TaskProgress) -> result`` run on a
``QThreadPool``; it opens its own unit of work if it touches the database. It reports
``progress.report(done, total, text)`` and checks ``progress.check()`` (raises
``TaskCancelledError`` when the user pressed Cancel). Results and errors come back to the UI
thread as signals of the task's :class:`TaskHandle`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desktop_app.ui.logs import logger


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
    """Starts tasks on a thread pool and keeps their handles alive until they finish."""

    busy_changed = Signal(bool)

    def __init__(self, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self._pool = pool or QThreadPool.globalInstance()
        self._running: set[TaskHandle] = set()

    def start(
        self,
        name: str,
        fn: Callable[[TaskProgress], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> TaskHandle:
        handle = TaskHandle(name)
        if on_success is not None:
            handle.succeeded.connect(on_success)
        if on_error is not None:
            handle.failed.connect(on_error)
        handle.finished.connect(lambda: self._finished(handle))
        self._running.add(handle)
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Runnable(handle, fn))
        return handle

    def _finished(self, handle: TaskHandle) -> None:
        self._running.discard(handle)
        if not self._running:
            self.busy_changed.emit(False)

    @property
    def running(self) -> int:
        return len(self._running)

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)
