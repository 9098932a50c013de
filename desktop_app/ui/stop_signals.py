"""Ctrl+C, a kill or a closed terminal end the app the way its window's Quit does.

Python runs a signal handler only when the interpreter next runs Python code, and Qt's
event loop can sit in C++ for as long as nobody moves the mouse: by default Ctrl+C would be
noticed late or never, and SIGTERM or SIGHUP would end the process at once, without
stopping the Web Connector server or closing the database. So the handler only asks the
event loop to quit, and a socket pair wakes the loop: Python's C-level handler writes the
signal's number to it (``signal.set_wakeup_fd``), a ``QSocketNotifier`` sees that, and
running its slot lets Python run the handler at once.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QTimer

#: The signals that mean "stop": Ctrl+C, kill, the terminal closing, Ctrl+Break on Windows.
STOP_SIGNALS = tuple(
    number
    for number in (getattr(signal, name, None) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"))
    if number is not None
)


class StopOnSignals(QObject):
    """While installed, a stop signal calls ``on_stop(signum)`` on the UI thread, promptly."""

    def __init__(self, on_stop: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_stop = on_stop
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_wakeup = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {number: signal.signal(number, self._handle) for number in STOP_SIGNALS}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._on_stop(signum)

    def _drain(self) -> None:
        # Reading empties the pipe; running this slot is what lets Python call _handle.
        try:
            while self._reader.recv(256):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def uninstall(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_wakeup)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def quit_on_signals(app: QObject) -> StopOnSignals:
    """The app leaves its event loop on a stop signal (exit code 128 + the signal's number).

    The exit is posted: a signal that comes while the app is still starting (no event loop
    yet) ends the first loop that runs (the sign-in dialog's or the main window's) instead
    of being lost; after the loop returns, run_gui's shutdown (server, database) runs.
    """

    def stop(signum: int) -> None:
        QTimer.singleShot(0, lambda: QCoreApplication.exit(128 + signum))

    return StopOnSignals(stop, app)
