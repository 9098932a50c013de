"""Where the fast path's statements run: the session's transaction, or SQLite's own connection.

The sync commits once per answer (a crash between two loses nothing and repeats
nothing). Through SQLAlchemy, a transaction of two short statements costs about ten
times what SQLite takes to run it: the begin, each execute and the commit pass through
the session's and the connection's bookkeeping. So on SQLite, when the apply loop holds
one connection of its own (``Database.pinned``) and the session has no transaction open,
the statements run on the driver's connection between our own BEGIN IMMEDIATE and
COMMIT: the same statements, compiled once by SQLAlchemy for SQLite, with the same type
conversions (``bind_processor``) and the same column defaults. Anywhere else (PostgreSQL,
a session already in a transaction) they run through the session as usual.

The engine applies a whole message of answers in one transaction (``one_transaction``):
each answer's writes then go in a savepoint of their own (given up alone when the general
path takes over), and committing an answer only releases its savepoint; the engine
commits once per message, and whenever a person's save waits for the lock. A crash
before that commit loses the message's answers, never a record: their items are still
``sent``, so each is looked up in QuickBooks before it is sent again (``verify``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.elements import ClauseElement

from desktop_app.db import types as db_types
from desktop_app.db.engine import note_commit, write_gate
from desktop_app.db.types import utcnow


class Writes(Protocol):
    def run(self, statement: UpdateBase, params: dict[str, Any]) -> int:
        """Execute one statement; the number of rows it touched."""

    def run_many(self, statement: UpdateBase, rows: list[dict[str, Any]]) -> int:
        """One statement for many rows; the number of rows it touched in all."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class SessionWrites:
    """In the session's transaction, on any database.

    The writes go in a savepoint, so giving up on them (the general path takes over)
    undoes only them: the session's loaded records and its transaction stay as they were.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._savepoint: SessionTransaction | None = None
        #: In a message's transaction, committing an answer only releases its savepoint.
        self._keep_open = bool(session.info.get(MESSAGE))

    def run(self, statement: UpdateBase, params: dict[str, Any]) -> int:
        return self.run_many(statement, [params])

    def run_many(self, statement: UpdateBase, rows: list[dict[str, Any]]) -> int:
        """The driver's ``executemany`` for several rows: psycopg reports the rows touched by
        all of them (SQLAlchemy's ``supports_sane_multi_rowcount``), as the caller checks."""
        if self._savepoint is None:
            self._savepoint = self._session.begin_nested()
        connection = self._session.connection()
        if len(rows) > 1 and not connection.dialect.supports_sane_multi_rowcount:
            return sum(connection.execute(statement, params).rowcount for params in rows)
        return connection.execute(statement, rows[0] if len(rows) == 1 else rows).rowcount

    def commit(self) -> None:
        if self._savepoint is not None:
            self._savepoint.commit()
            self._savepoint = None
        if not self._keep_open:
            self._session.commit()

    def rollback(self) -> None:
        if self._savepoint is not None:
            savepoint, self._savepoint = self._savepoint, None
            savepoint.rollback()


T = TypeVar("T")
_REQUIRED = object()
_UNSEEN = object()


class Compiled:
    """A statement as SQLite runs it: its text, and how to turn parameters into arguments."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
        self.compiled = compiled
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup)
        # The dialect's own conversion, as SQLAlchemy runs the statement (a timestamp becomes
        # SQLite's text with its microseconds, compared as text), not the generic type's.
        self.processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        )
        # Columns whose value SQLAlchemy computes in Python on each run (updated_at).
        self.computed = {
            column.key: column.onupdate if compiled.isupdate else column.default
            for column in [*compiled.insert_prefetch, *compiled.update_prefetch]
        }
        # Where each argument comes from, worked out once: what ``construct_params`` looks
        # up on every run (the caller's value by the parameter's key or name, else the
        # statement's own constant), then the computed columns, then the type's conversion.
        self._plan: tuple[tuple[str, str, Any, Callable[[Any], Any] | None, Callable[[Any], Any] | None], ...]
        plan = []
        #: Positions whose computed value is a reading of the clock (``updated_at``): read
        #: once per run of the statement, for all its rows, as SQL's CURRENT_TIMESTAMP is
        #: (through SQLAlchemy, elsewhere, each row reads it: nothing depends on either).
        self._clocks: frozenset[int] = frozenset()
        for position, (name, process) in enumerate(zip(self.names, self.processors, strict=True)):
            bind = compiled.binds[name]
            default = self.computed.get(name)
            compute = None if default is None else default.arg  # type: ignore[attr-defined]
            if compute is not None and not callable(compute):
                raise TypeError(f"{name}: only a default SQLAlchemy computes in Python can be run here")
            # (SQLAlchemy wraps the column's function: its ``__wrapped__`` is ours. The reading
            # itself goes through this module's ``utcnow``, which a test replaces.)
            if compute is not None and getattr(compute, "__wrapped__", None) is db_types.utcnow:
                self._clocks |= {position}
            constant = _REQUIRED if bind.required else bind.effective_value
            plan.append((bind.key, name, constant, compute, process))
        self._plan = tuple(plan)
        #: How SQLAlchemy converts each column a read selects (``reads``), kept with the
        #: statement it belongs to; None when no column needs it (numbers, text).
        self.conversions = _read_conversions(compiled, dialect)

    def arguments(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """The statement's arguments for ``params``, as ``construct_params`` and the bind
        processors make them (a test compares the two), without their per-run work."""
        return self.arguments_many([params])[0]

    def arguments_many(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """``arguments`` of each row; a value the row before had too (the very object: a
        message's one timestamp, the clock's one reading) is converted once, not once a row."""
        converted: list[tuple[Any, Any]] = [(_UNSEEN, None)] * len(self._plan)
        readings = {position: utcnow() for position in self._clocks}
        found = []
        for params in rows:
            arguments = []
            for position, (key, name, constant, compute, process) in enumerate(self._plan):
                if compute is not None:
                    value = readings[position] if position in readings else compute(None)
                elif key in params:
                    value = params[key]
                elif name in params:
                    value = params[name]
                elif constant is _REQUIRED:
                    raise KeyError(f"a value is required for the parameter {key!r}")
                else:
                    value = constant
                if process is None:
                    arguments.append(value)
                    continue
                last, result = converted[position]
                if value is not last:
                    result = process(value)
                    converted[position] = (value, result)
                arguments.append(result)
            found.append(tuple(arguments))
        return found

    def arguments_as_sqlalchemy_makes_them(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """The reference ``arguments`` is held to (through SQLAlchemy's own ``construct_params``)."""
        values = self.compiled.construct_params(params)
        for key, default in self.computed.items():
            assert default is not None and callable(default.arg)  # type: ignore[attr-defined]
            values[key] = default.arg(None)  # type: ignore[attr-defined]
        # The conversions SQLAlchemy itself runs each bound value through.
        processors = cast(Mapping[str, Callable[[Any], Any]], self.compiled._bind_processors)
        return tuple(
            processors[name](values[name]) if name in processors else values[name] for name in self.names
        )


def _read_conversions(
    compiled: SQLCompiler, dialect: Dialect
) -> tuple[Callable[[Any], Any] | None, ...] | None:
    """A read's conversion of each selected column: dates and timestamps are text in SQLite,
    flags numbers; None for a write, or a read of numbers and text only."""
    if compiled.isinsert or compiled.isupdate or compiled.isdelete:
        return None
    statement: Any = compiled.statement
    # (the dialect's own type: SQLite's dates are text it converts, unlike the generic type)
    found = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    )
    return None if all(convert is None for convert in found) else found


_COMPILED: dict[int, Compiled] = {}


def compiled_for(statement: ClauseElement, dialect: Dialect) -> Compiled:
    compiled = _COMPILED.get(id(statement))
    if compiled is None:
        # Statements are module constants: compiled once per process (two threads compiling
        # the same one at once keep the first: one ``Compiled`` per statement, always).
        compiled = _COMPILED.setdefault(id(statement), Compiled(statement, dialect))
    return compiled


def run_many(session: Session, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
    """One statement for many rows in the session's open transaction (a batch marked sent).

    On SQLite the rows go to the driver's ``executemany`` as SQLAlchemy would pass them
    (``Compiled``: the same text, conversions and defaults) without its per-row work,
    which costs more than SQLite's. It runs in the session's transaction (begun now if
    need be), after the flush ``Session.execute`` would make first (so a change pending in
    the session, written later, cannot overwrite what this writes); elsewhere through the
    session's connection.
    """
    connection = flushed_connection(session)
    if connection.dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    compiled = compiled_for(statement, connection.dialect)
    arguments = compiled.arguments_many(rows)
    on_driver(connection, compiled.sql, arguments, lambda raw: raw.executemany(compiled.sql, arguments))


def insert_row(session: Session, statement: Insert, params: dict[str, Any]) -> int:
    """One row added in the session's transaction (begun by it); the new row's id. On
    SQLite on the driver's connection, as ``run_many`` (the unit of work's flush of one
    object costs several times the insert), after the same flush."""
    connection = flushed_connection(session)
    if connection.dialect.name != "sqlite":
        key = connection.execute(statement, params).inserted_primary_key
        return int(key[0]) if key is not None else 0
    compiled = compiled_for(statement, connection.dialect)
    arguments = compiled.arguments(params)
    row_id = on_driver(
        connection, compiled.sql, arguments, lambda raw: raw.execute(compiled.sql, arguments).lastrowid
    )
    return int(row_id or 0)


def flushed_connection(session: Session) -> Connection:
    """The session's connection, in its transaction (begun now if need be), after the flush
    ``Session.execute`` makes before a statement (a change pending in the session, written
    later, could otherwise overwrite what is written here, or be missing from a read)."""
    if session.autoflush:
        session.flush()  # (nothing, when nothing changed)
    return session.connection()


def on_driver(connection: Connection, sql: str, arguments: Any, call: Callable[[sqlite3.Connection], T]) -> T:
    """``call`` on SQLite's own connection under ``connection``; its errors as SQLAlchemy
    raises them (``sql`` and ``arguments`` to say what failed)."""
    raw: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
    try:
        return call(raw)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, arguments, error, sqlite3.Error) from error


class SqliteWrites:
    """On SQLite's own connection, between our BEGIN IMMEDIATE and COMMIT."""

    #: What starts, ends and gives up this object's writes.
    _BEGIN: tuple[str, ...] = ("BEGIN IMMEDIATE",)
    _COMMIT: tuple[str, ...] = ("COMMIT",)
    _ROLLBACK: tuple[str, ...] = ("ROLLBACK",)

    def __init__(self, connection: Connection) -> None:
        self._dialect = connection.dialect
        self._raw: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        self._begun = False
        self._engine = connection.engine

    def run(self, statement: UpdateBase, params: dict[str, Any]) -> int:
        return self.run_many(statement, [params], many=False)

    def run_many(self, statement: UpdateBase, rows: list[dict[str, Any]], *, many: bool = True) -> int:
        """One statement for many rows (``executemany``); the number of rows it touched in all."""
        compiled = compiled_for(statement, self._dialect)
        arguments = compiled.arguments_many(rows)
        try:
            self._begin()
            if many:
                return self._raw.executemany(compiled.sql, arguments).rowcount
            return self._raw.execute(compiled.sql, arguments[0]).rowcount
        except sqlite3.Error as error:
            self.rollback()
            # The same errors SQLAlchemy raises (IntegrityError, OperationalError…).
            raise DBAPIError.instance(compiled.sql, arguments, error, sqlite3.Error) from error

    def _begin(self) -> None:
        if self._begun:
            return
        gate = write_gate(self._engine) if self._BEGIN == SqliteWrites._BEGIN else None
        if gate is None:
            for sql in self._BEGIN:
                self._raw.execute(sql)
        else:
            with gate.turn():  # in turn with this process's other writers
                self._raw.execute(self._BEGIN[0])
        self._begun = True

    def commit(self) -> None:
        if self._begun:
            self._begun = False
            try:
                for sql in self._COMMIT:
                    self._raw.execute(sql)
            except sqlite3.Error as error:
                self._give_up()
                raise DBAPIError.instance(self._COMMIT[0], (), error, sqlite3.Error) from error
            if self._COMMIT == SqliteWrites._COMMIT:
                note_commit(self._engine)  # (a savepoint released is not a commit)

    def rollback(self) -> None:
        if self._begun:
            self._begun = False
            self._give_up()

    def _give_up(self) -> None:
        if self._raw.in_transaction:
            for sql in self._ROLLBACK:
                self._raw.execute(sql)


class SqliteSavepointWrites(SqliteWrites):
    """In the session's open transaction (a message's), one savepoint per answer.

    The savepoint lives on the driver's connection under SQLAlchemy's transaction, and is
    always released before control goes back to the session, so the session never sees it.
    """

    _BEGIN = ("SAVEPOINT jobdesk_answer",)
    _COMMIT = ("RELEASE jobdesk_answer",)
    _ROLLBACK = ("ROLLBACK TO jobdesk_answer", "RELEASE jobdesk_answer")


#: ``session.info`` key: the session applies a message's answers in one transaction.
MESSAGE = "jobdesk_message_transaction"


@contextmanager
def one_transaction(session: Session) -> Iterator[None]:
    """While open, answers' writes commit with the session's transaction, not one by one.

    The caller commits the session (once per message, and before any answer the general
    path applies, so a failure there gives up only that answer).
    """
    session.info[MESSAGE] = True
    try:
        yield
    finally:
        session.info.pop(MESSAGE, None)


def writes_for(session: Session) -> Writes:
    """SQLite's own connection when it is safe to use it; the session otherwise."""
    bind = session.bind
    if session.info.get(MESSAGE):
        # Begins the message's transaction (through the session, so a person's save that
        # waits goes first) if an earlier commit ended it.
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            return SqliteSavepointWrites(connection)
        return SessionWrites(session)
    if (
        isinstance(bind, Connection)
        and bind.dialect.name == "sqlite"
        and not session.in_transaction()
        and not bind.in_transaction()
    ):
        return SqliteWrites(bind)
    return SessionWrites(session)
