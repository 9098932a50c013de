"""The small reads the sync makes around every message, on SQLite's own connection.

Through the session, a read of a few ids costs about 55 µs of SQLAlchemy's bookkeeping
against about 5 µs in SQLite, and the sync asks several of them for every message (is
anything isolated, out, due …). Here such a read runs on the driver's connection in the
session's own transaction (begun by the session, as for any read), compiled once by
SQLAlchemy (``writes.Compiled``: the same text and the same conversions of the
arguments), after the flush the session would have made first. A column SQLAlchemy
converts (a timestamp, a date, a flag) is converted here by the same conversion, so a row
reads as the session would give it; on PostgreSQL the reads go through SQLAlchemy.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Select

from desktop_app.db.models import QbLink
from qbwc_server.sync.writes import compiled_for, flushed_connection, on_driver


def rows(
    session: Session, statement: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> list[Any]:
    """The rows ``statement`` reads, as tuples of the values the session would give."""
    return rows_on(flushed_connection(session), statement, params)


def rows_on(
    connection: Connection, statement: Select[*tuple[Any, ...]], params: dict[str, Any] | None = None
) -> list[Any]:
    """``rows`` on a connection of the caller's (no session: nothing to flush first)."""
    if connection.dialect.name != "sqlite":
        return [tuple(row) for row in connection.execute(statement, params or {})]
    compiled = compiled_for(statement, connection.dialect)
    found = _raw(connection, compiled.sql, compiled.arguments(params or {}))
    conversions = compiled.conversions  # (SQLAlchemy's own, worked out once: ``Compiled``)
    if conversions is None or not found:
        return found
    return [
        tuple(value if to is None else to(value) for to, value in zip(conversions, row, strict=True))
        for row in found
    ]


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
    connection = flushed_connection(session)
    if connection.dialect.name != "sqlite":
        return set(record_ids)  # (the links' own read says)
    sql = _LINKED.format(", ".join("?" * len(record_ids)))
    return {record_id for (record_id,) in _raw(connection, sql, (kind, *record_ids))}


def _raw(connection: Connection, sql: str, arguments: tuple[Any, ...]) -> list[Any]:
    """``sql`` on SQLite's own connection; its errors as SQLAlchemy raises them."""
    found: list[Any] = on_driver(
        connection, sql, arguments, lambda raw: raw.execute(sql, arguments).fetchall()
    )
    return found


_LINKS_TABLE = cast(Table, QbLink.__table__)
_LINKED = (
    f"SELECT {_LINKS_TABLE.c.entity_id.name} FROM {_LINKS_TABLE.name} "
    f"WHERE {_LINKS_TABLE.c.entity_type.name} = ? AND {_LINKS_TABLE.c.entity_id.name} IN ({{}})"
)
