"""The small reads the sync makes around every message, on SQLite's own connection.

Through the session, a read of a few ids costs about 55 µs of SQLAlchemy's bookkeeping
against about 5 µs in SQLite, and the sync asks several of them for every message (is
anything isolated, out, due …). Here such a read runs on the driver's connection in the
session's own transaction (begun by the session, as for any read), compiled once by
SQLAlchemy (``writes.Compiled``: the same text and the same conversions of the
arguments), after the flush the session would have made first. Only reads whose columns
need no conversion (numbers, text) go this way; on PostgreSQL they go through the session.
"""

from __future__ import annotations

import sqlite3
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Select

from desktop_app.db.models import QbLink
from qbwc_server.sync.writes import Compiled, compiled_for

#: Statements already checked (``_check_plain``).
_PLAIN: set[int] = set()


def rows(
    session: Session, statement: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> list[Any]:
    """The rows ``statement`` reads, as tuples of plain values."""
    connection = _connection(session)
    if connection.dialect.name != "sqlite":
        return [tuple(row) for row in connection.execute(statement, params or {})]
    compiled = compiled_for(statement, connection.dialect)
    if id(compiled) not in _PLAIN:
        _check_plain(compiled, connection.dialect)
    return _raw(connection, compiled.sql, compiled.arguments(params or {}))


def first(
    session: Session, statement: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> Any | None:
    """The first row ``statement`` reads, or None."""
    found = rows(session, statement, params)
    return found[0] if found else None


def linked(session: Session, kind: str, record_ids: list[int]) -> set[int]:
    """Which of these records of ``kind`` have a QuickBooks link (their ids): asked before
    loading the links, which for records being added is none of them (one empty read
    through the session costs about twenty times this one)."""
    if not record_ids:
        return set()
    connection = _connection(session)
    if connection.dialect.name != "sqlite":
        return set(record_ids)  # (the links' own read says)
    sql = _LINKED.format(", ".join("?" * len(record_ids)))
    return {record_id for (record_id,) in _raw(connection, sql, (kind, *record_ids))}


def _connection(session: Session) -> Connection:
    """The session's connection, in its transaction, after the flush it makes before a read."""
    if session.autoflush:
        session.flush()  # (nothing, when nothing changed)
    return session.connection()


def _raw(connection: Connection, sql: str, arguments: tuple[Any, ...]) -> list[Any]:
    """``sql`` on SQLite's own connection; its errors as SQLAlchemy raises them."""
    raw: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
    try:
        return raw.execute(sql, arguments).fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, arguments, error, sqlite3.Error) from error


_LINKS_TABLE = cast(Table, QbLink.__table__)
_LINKED = (
    f"SELECT {_LINKS_TABLE.c.entity_id.name} FROM {_LINKS_TABLE.name} "
    f"WHERE {_LINKS_TABLE.c.entity_type.name} = ? AND {_LINKS_TABLE.c.entity_id.name} IN ({{}})"
)


def _check_plain(compiled: Compiled, dialect: Any) -> None:
    """A column whose values SQLAlchemy converts (dates, flags) would come back raw here."""
    statement: Any = compiled.compiled.statement
    for column in statement.selected_columns:
        # (the dialect's own type: SQLite's dates are text it converts, unlike the generic type)
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            raise TypeError(f"{column} needs its values converted: read it through the session")
    _PLAIN.add(id(compiled))
