"""Reading for a screen off the UI thread, newest request wins.

A screen that reloads (a timer, a Refresh button, a decision taken) may ask again before
the last read came back; the answer of an older request is dropped so a slow read never
overwrites a newer one. Where the database cannot be read from another thread (an
in-memory SQLite database) the read runs in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger


class BackgroundLoad(QObject):
    """``load(fn)`` runs ``fn()`` on the task pool; ``done(result)`` or ``failed(error)`` follow."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, ctx: AppContext, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.name = name
        self._generation = 0
        self.busy = False

    def load(self, fn: Callable[[], Any]) -> None:
        self._generation += 1
        generation = self._generation
        self.busy = True
        if not self.ctx.background_reads:
            try:
                result = fn()
            except Exception as exc:  # handed to the screen, which says it in words
                self._failed(generation, exc)
            else:
                self._done(generation, result)
            return
        self.ctx.tasks.start(
            self.name,
            lambda _progress: fn(),
            on_success=lambda result: self._done(generation, result),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def _done(self, generation: int, result: Any) -> None:
        if not isValid(self) or generation != self._generation:  # closed, or a newer request
            return
        self.busy = False
        self.done.emit(result)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.busy = False
        logger("ui").debug("%s failed", self.name, exc_info=(type(exc), exc, exc.__traceback__))
        self.failed.emit(exc)
