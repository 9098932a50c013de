"""Who writes next on one SQLite file: a person's save before the sync's next write.

SQLite has one writer at a time; the others wait in its busy handler, which sleeps and
looks again (after 1, 2, 5 … ms, then every 100 ms). A writer that ends one transaction
and at once begins the next (the sync, message after message) nearly always takes the
lock again before a sleeping waiter looks, so a person's save could wait seconds while a
full sync runs (measured: 1.8–2.7 s). In one process — the app with its embedded server,
the default on one office PC — this gate lets the save go first: before the sync begins
a write it waits while a person's write is waiting for the lock. Its patience is bounded
(``BACKGROUND_PATIENCE``), so a stream of saves slows the sync down but cannot stop it.

Only waiting is counted, not the person's whole transaction: once a save holds the lock
the sync's BEGIN IMMEDIATE simply queues behind it in SQLite's busy handler, and nothing
has to be released on commit, rollback or a connection closed half way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The longest the sync waits for people's writes before it takes its turn anyway (s).
BACKGROUND_PATIENCE = 2.0


class WriteGate:
    """Counts a person's writes waiting for the lock; the sync waits for none to be left."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting = 0

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Around a person's BEGIN IMMEDIATE: the sync does not begin a write meanwhile."""
        with self._changed:
            self._waiting += 1
        try:
            yield
        finally:
            with self._changed:
                self._waiting -= 1
                if not self._waiting:
                    self._changed.notify_all()

    @property
    def someone_waiting(self) -> bool:
        """Is a person's write waiting for the lock now? (A hint: read without the lock.)"""
        return self._waiting > 0

    def background_turn(self, patience: float = BACKGROUND_PATIENCE) -> None:
        """Before the sync begins a write: let every person's write that waits go first."""
        if not self._waiting:
            return
        with self._changed:
            self._changed.wait_for(lambda: self._waiting == 0, timeout=patience)


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(path: Path | None) -> WriteGate | None:
    """The gate of one SQLite file (shared by every engine on it in this process)."""
    if path is None:
        return None  # in memory: one shared connection, nothing to queue for
    key = str(path.resolve())
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate()
        return gate
