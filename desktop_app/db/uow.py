"""The unit of work: one short transaction that rolls back unless committed.

``with db.uow() as uow: ...; uow.commit()`` — leaving the block without ``commit()``
(or by an exception) changes nothing. Database errors a person can cause become
JobDesk errors here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.db.engine import write_gate
from desktop_app.db.write_gate import WriteGate
from desktop_app.errors import Conflict, DatabaseUnavailable


@dataclass(frozen=True)
class Actor:
    """Who is acting: recorded in the audit log and checked for permissions."""

    name: str = "system"
    role: str = "admin"
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Actor()


class UnitOfWork:
    session: Session

    def __init__(self, factory: sessionmaker[Session], actor: Actor = SYSTEM) -> None:
        self._factory = factory
        self.actor = actor
        self._committed = False

    @classmethod
    def joining(cls, session: Session, actor: Actor = SYSTEM) -> UnitOfWork:
        """A unit of work inside a transaction someone else owns (the sync engine's).

        Its services run in that transaction; committing stays with the owner.
        """
        uow = cls.__new__(cls)
        uow.session = session
        uow.actor = actor
        uow._committed = False
        return uow

    def __enter__(self) -> Self:
        self.session = self._factory()
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                try:
                    self.session.rollback()
                except OperationalError as error:
                    if exc is None:
                        raise as_unavailable(error) from error
        finally:
            self.session.close()
        if isinstance(exc, OperationalError):
            mapped = as_unavailable(exc)
            if mapped is not exc:
                # A query inside the block lost the database: say so in words a person can act on.
                raise mapped from exc

    def flush(self) -> None:
        """Send pending changes now, so constraint and version errors surface here."""
        with self._database_errors(integrity=False):
            self.session.flush()

    def commit(self) -> None:
        with self._database_errors(integrity=True):
            self.session.commit()
        self._committed = True

    @contextmanager
    def _database_errors(self, *, integrity: bool) -> Iterator[None]:
        """The one place database failures a person can cause become JobDesk errors."""
        try:
            yield
        except StaleDataError as exc:
            self.session.rollback()
            raise _stale_conflict() from exc
        except IntegrityError as exc:
            if not integrity:
                raise
            self.session.rollback()
            raise Conflict(
                "The change could not be saved because it clashes with another record "
                "(a duplicate number or name, or a record that was removed)."
            ) from exc
        except OperationalError as exc:
            self.session.rollback()
            raise as_unavailable(exc) from exc

    def rollback(self) -> None:
        self.session.rollback()


class _PinnedUnitOfWork(UnitOfWork):
    def __init__(self, engine: Engine, actor: Actor) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        super().__init__(sessionmaker(expire_on_commit=False), actor)

    def __enter__(self) -> Self:
        try:
            self._connection = self._engine.connect()
        except OperationalError as error:
            raise as_unavailable(error) from error
        # Not in a transaction yet: the session begins and commits its own on this connection.
        self._factory = sessionmaker(self._connection, expire_on_commit=False)
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _stale_conflict() -> Conflict:
    return Conflict(
        "Another user changed this record after you opened it. Reload it to see their "
        "changes, then make yours again."
    )


def _is_unavailable(exc: OperationalError) -> bool:
    """Is this a "try again later" failure (busy, unreachable, connection lost)?

    Every operational error psycopg raises is: the server refused or dropped the connection,
    is shutting down, or gave up on a lock (deadlock, lock timeout, serialization failure).
    SQLite's operational errors also cover schema mistakes, so only "locked"/"busy" counts there.
    """
    if exc.connection_invalidated:
        return True
    if exc.orig is not None and type(exc.orig).__module__.startswith("psycopg"):
        return True
    text = str(exc.orig).lower() if exc.orig is not None else ""
    words = ("locked", "busy", "connection", "could not connect", "server closed")
    return any(word in text for word in words)


def as_unavailable(exc: OperationalError) -> DatabaseUnavailable | OperationalError:
    if _is_unavailable(exc):
        return DatabaseUnavailable(
            "The database is not available right now (busy or unreachable). Your work is "
            "kept on screen; try again in a moment."
        )
    return exc


class Database:
    """An engine and its session factory; hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self._factory = sessionmaker(engine, expire_on_commit=False)
        self._read_factory = sessionmaker(
            engine.execution_options(jobdesk_readonly=True), expire_on_commit=False
        )
        self._deferred_factory = sessionmaker(
            engine.execution_options(jobdesk_deferred=True), expire_on_commit=False
        )

    @property
    def write_gate(self) -> WriteGate | None:
        """On a SQLite file: the line in which this process's writers ask for the write lock."""
        return write_gate(self.engine)

    def uow(self, actor: Actor = SYSTEM) -> UnitOfWork:
        return UnitOfWork(self._factory, actor)

    def deferred(self, actor: Actor = SYSTEM) -> UnitOfWork:
        """A unit of work that reads a snapshot and takes the write lock at its first write.

        On SQLite that first write fails at once (``DatabaseUnavailable``) when another
        writer holds the lock or wrote since the snapshot was taken: the caller runs the
        whole unit again (with ``uow``). Elsewhere it is an ordinary unit of work.
        """
        return UnitOfWork(self._deferred_factory, actor)

    def pinned(self, actor: Actor = SYSTEM) -> UnitOfWork:
        """A unit of work for many short transactions in a row, on one connection.

        Its session commits as often as it likes without handing the connection back to
        the pool (and having it reset) in between: the sync commits once per answer.
        """
        return _PinnedUnitOfWork(self.engine, actor)

    def reader(self, actor: Actor = SYSTEM) -> UnitOfWork:
        """A unit of work for reading only: on SQLite it takes no write lock."""
        return UnitOfWork(self._read_factory, actor)

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.dispose()
