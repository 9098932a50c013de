"""Copying SQLite's write-ahead log into the database file, away from the writers.

In WAL mode a commit appends its pages to the log; every so often the log is copied into
the database file and the file synced (a checkpoint). Left to SQLite, the commit that
crosses the mark does it, and waits: about 70 ms here for 10,000 pages, far more on a
busy office PC. During a sync that commit is the sync's, and the Web Connector, or a
person saving meanwhile, waits with it.

Here a thread of its own does it: a commit only notes that its file has new pages (a set
lookup), and the thread checkpoints each such file at most once every ``INTERVAL``
seconds, on a connection of its own opened for that and closed after (a file is never
held open between two: a temporary copy is deleted once its engine is disposed). SQLite's
own checkpoint stays as a backstop (``BACKSTOP_PAGES``), for a log the thread cannot keep
short (a reader holding an old snapshot, or the thread not running). PASSIVE: it never
waits for, or blocks, anyone.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path, PurePath

log = logging.getLogger(__name__)

#: Seconds between two checkpoints of one file (the commits of that time share one).
INTERVAL = 1.0
#: Pages in the log at which a commit checkpoints itself all the same (SQLite's own).
BACKSTOP_PAGES = 40_000


class Checkpointer:
    """Files with new pages in their log, and the thread that copies them in."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._dirty: set[str] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        #: The file being checkpointed now ("" when none).
        self._busy = ""
        #: Files forgotten since they were last noted (their engine was disposed).
        self._forgotten: set[str] = set()
        #: Checkpoints run so far (tests wait for a count).
        self.done = 0

    def note_commit(self, path: str) -> None:
        """A commit wrote to ``path``'s log: it is checkpointed within ``interval``."""
        if path in self._dirty:
            return  # already due (the usual case during a sync: no lock taken)
        with self._wake:
            self._dirty.add(path)
            self._forgotten.discard(path)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
                self._thread.start()
            self._wake.notify()

    def pending(self) -> frozenset[str]:
        return frozenset(self._dirty)

    def forget(self, path: str) -> None:
        """Its engine is disposed (the file may be deleted next, a temporary copy): no
        checkpoint of it starts any more, and one running now is waited for, so the file
        is never opened behind its owner's back (on Windows an open file cannot be deleted)."""
        with self._wake:
            self._dirty.discard(path)
            self._forgotten.add(path)
            self._wake.wait_for(lambda: self._busy != path)

    def run_once(self) -> None:
        """Checkpoint every file due now (what the thread does each time it wakes)."""
        with self._wake:
            paths, self._dirty = self._dirty, set()
            # Only a file forgotten from now on can be among ``paths`` (one forgotten before
            # was taken out of the files due): the older marks are not needed any more.
            self._forgotten.clear()
        for path in paths:
            with self._wake:
                if path in self._forgotten:
                    continue  # its engine was disposed since it was noted
                self._busy = path
            try:
                checkpoint(path)
            finally:
                with self._wake:
                    self._busy = ""
                    self._wake.notify_all()
        with self._wake:
            self.done += 1
            self._wake.notify_all()

    def wait_done(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` rounds have run (tests); False if ``timeout`` passed first."""
        with self._wake:
            return self._wake.wait_for(lambda: self.done >= count, timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: bool(self._dirty))
            # The commits of the next moment join this checkpoint (a page rewritten many
            # times is copied once).
            time.sleep(self.interval)
            self.run_once()


def checkpoint(path: str) -> None:
    """One passive checkpoint of ``path`` (nothing if the file is gone or busy)."""
    if not Path(path).exists():
        return
    try:
        connection = sqlite3.connect(file_uri(Path(path).resolve()), uri=True, timeout=1)
    except sqlite3.Error:
        return  # removed or replaced meanwhile: nothing to copy
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as error:
        log.debug("checkpoint of %s not done: %s", path, error)
    finally:
        connection.close()


def file_uri(path: PurePath) -> str:
    """SQLite's URI of an existing file, opened for reading and writing, never created.
    A network share's path (``\\\\server\\share\\…``) keeps its four slashes: SQLite
    refuses ``file://server/…`` (a host it does not know)."""
    uri = path.as_uri()
    if uri.startswith("file://") and not uri.startswith("file:///"):
        uri = "file:////" + uri.removeprefix("file://")
    return f"{uri}?mode=rw"


#: The process's checkpointer (one thread for every database file it writes).
CHECKPOINTS = Checkpointer()
