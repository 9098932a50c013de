"""Where the database is and how to connect to it.

SQLite (the default, one office PC) lives in the per-user data folder; PostgreSQL (several
users) is chosen by URL. The URL comes from ``--database``, else ``JOBDESK_DATABASE_URL``,
else the default file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from desktop_app.db import checkpoints
from desktop_app.db.write_gate import WriteGate, gate_for

APP_NAME = "JobDesk"
ENV_URL = "JOBDESK_DATABASE_URL"


def data_dir() -> Path:
    """The per-user data folder (never Program Files): database, logs, backups."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{(data_dir() / 'jobdesk.sqlite').as_posix()}"


def resolve_database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_URL) or default_database_url()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory databases and other engines."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings JobDesk relies on for each backend."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is None:
            # One shared in-memory database for all threads (tests, demo).
            kwargs.setdefault("poolclass", StaticPool)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, path=path, gate=gate_for(path))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


#: Pages in the write-ahead log at which a commit copies it into the file itself (about
#: 160 MB); before that, a thread of its own does it (``checkpoints``).
WAL_CHECKPOINT_PAGES = checkpoints.BACKSTOP_PAGES


_gates_by_url: dict[str, WriteGate | None] = {}


def note_commit(engine: Engine) -> None:
    """A commit made on the driver's connection, past SQLAlchemy's events (``checkpoints``)."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is not None:
        checkpoints.CHECKPOINTS.note_commit(str(path))


def write_gate(engine: Engine) -> WriteGate | None:
    """The gate that puts people's writes on this SQLite file before the sync's (None elsewhere)."""
    if engine.dialect.name != "sqlite":
        return None
    url = engine.url.render_as_string(hide_password=False)
    if url not in _gates_by_url:
        _gates_by_url[url] = gate_for(sqlite_path(url))
    return _gates_by_url[url]


def _configure_sqlite(engine: Engine, *, path: Path | None, gate: WriteGate | None) -> None:
    wal = path is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT and
        # SELECT-then-write locking; we issue BEGIN ourselves (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # The log is copied into the file by a thread of its own (``checkpoints``), not
            # by the commit that crosses SQLite's mark: that commit waited ~70 ms for it (the
            # sync's next message, or a person's save). SQLite's own stays as a backstop.
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.close()

    if path is not None:
        file = str(path)

        @event.listens_for(engine, "commit")
        def _on_commit(_connection: Any) -> None:
            checkpoints.CHECKPOINTS.note_commit(file)

        @event.listens_for(engine, "engine_disposed")
        def _on_dispose(_engine: Any) -> None:
            checkpoints.CHECKPOINTS.forget(file)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at the start, so two writers queue on the busy
        # timeout instead of failing with "database is locked" half way through. Read-only
        # units of work (lists, reports) take no lock, so WAL lets them run beside a writer;
        # a deferred one (the sync planning a batch) reads a snapshot and takes the lock at
        # its first write, which fails at once if another writer came first (it runs again).
        # Writers in this process ask for the lock in turn (write_gate): SQLite's own
        # waiting is not fair, and a save could wait seconds behind the sync.
        options = connection.get_execution_options()
        if options.get("jobdesk_readonly") or options.get("jobdesk_deferred"):
            connection.exec_driver_sql("BEGIN")
        elif gate is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            with gate.turn():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
