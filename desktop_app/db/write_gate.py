"""Writers on one SQLite file take the lock in the order they asked for it (in one process).

SQLite has one writer at a time; the others wait in its busy handler, which sleeps and
looks again (after 1, 2, 5 … ms, then every 100 ms). It is not fair: a writer that ends
one transaction and at once begins the next (the sync, answer after answer; a person
saving in a loop) nearly always takes the lock again before a sleeping waiter looks, so
a save could wait seconds while a full sync ran (measured: 1.8–2.7 s). In one process —
the app with its embedded server, the default on one office PC — this gate queues every
write transaction's BEGIN IMMEDIATE: only the first in line asks SQLite for the lock, the
others wait their turn here, so nobody in this process is overtaken. Each waits at most
for the transactions ahead of it, and the sync keeps its own short (``SyncEngine``
commits when ``someone_waiting``).

Only the asking is queued, not the whole transaction: once a writer holds the lock the
next in line asks SQLite and waits in its busy handler for the commit, so nothing has to
be released on commit, rollback or a connection closed half way. A writer waits here at
most ``PATIENCE`` seconds, then asks SQLite anyway (whose busy timeout still applies).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The longest a writer waits in line before it asks SQLite for the lock anyway (s).
PATIENCE = 5.0


class WriteGate:
    """A first-come, first-served line for the write lock of one SQLite file."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._tickets = 0
        self._line: list[int] = []

    @contextmanager
    def turn(self, patience: float = PATIENCE) -> Iterator[None]:
        """Wait until the writers who asked before have the lock; ask for it inside the block."""
        with self._changed:
            self._tickets += 1
            ticket = self._tickets
            self._line.append(ticket)
            self._changed.wait_for(lambda: self._line[0] == ticket, timeout=patience)
        try:
            yield
        finally:
            with self._changed:
                self._line.remove(ticket)
                self._changed.notify_all()

    @property
    def someone_waiting(self) -> bool:
        """Is a writer in this process waiting for the lock now? (A hint, read without the lock.)"""
        return bool(self._line)


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
