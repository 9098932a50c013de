"""Copying a company to another database (SQLite → PostgreSQL when an office grows).

``copy_database(source, target)``:

1. reads the source from a snapshot: a SQLite file is first copied with SQLite's online
   backup into a temporary file (upgraded there to this version's schema if it is older),
   so the user's file is never written to;
2. brings the target to the current schema and refuses it unless every table is empty;
3. copies table by table in dependency order, ids included, in one transaction (a failure
   leaves the target empty). References that point forward in that order (``bids.job_id``
   ↔ ``jobs.bid_id``, a segment job's ``parent_job_id``) are written as NULL first and
   filled in once every row exists;
4. moves PostgreSQL's id sequences past the copied ids, so new records get fresh ids;
5. verifies, per table, the row count, the sum of every money column and a digest of
   every row's content, and raises ``CopyMismatchError`` when anything differs.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    Engine,
    Integer,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url

from desktop_app.db import all_models
from desktop_app.db.base import Base
from desktop_app.db.engine import create_db_engine, is_sqlite, sqlite_path
from desktop_app.db.migrate import upgrade_to_head
from desktop_app.db.types import Fixed
from desktop_app.errors import JobDeskError

#: Rows sent to the target per INSERT round trip.
CHUNK = 1000


class CopyError(JobDeskError):
    """The company could not be copied; the target was left as it was."""


class TargetNotEmptyError(CopyError):
    """The target database already holds records."""


class CopyMismatchError(CopyError):
    """The copy differs from the source (counts, money totals or contents)."""


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int
    #: Sum of each money column, e.g. {"total": Decimal("1234.50")} (equal on both sides).
    money: dict[str, Decimal]


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    tables: tuple[TableCopy, ...]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def table(self, name: str) -> TableCopy:
        return next(t for t in self.tables if t.name == name)

    def describe(self) -> str:
        lines = [
            f"Copied {self.total_rows:,} records from {self.source} to {self.target}.",
            "Verified: the same number of records in every table, the same money totals and "
            "the same contents; the source was not changed.",
        ]
        for entry in self.tables:
            if not entry.rows:
                continue
            line = f"  {entry.name}: {entry.rows:,}"
            if entry.money:
                line += " (" + ", ".join(f"{col} {amount:,}" for col, amount in entry.money.items()) + ")"
            lines.append(line)
        return "\n".join(lines)


def copy_database(source_url: str, target_url: str) -> CopyReport:
    """Copy every record of ``source_url`` into the empty database at ``target_url``."""
    all_models.load()
    if _same_database(source_url, target_url):
        raise CopyError("The source and the target are the same database; choose another target.")
    with _source_engine(source_url) as source, _engine(target_url) as target:
        upgrade_to_head(target)
        tables = Base.metadata.sorted_tables
        with source.connect() as src:
            # One consistent snapshot of the source for copying and verifying.
            options: dict[str, Any] = {"jobdesk_readonly": True}
            if src.dialect.name == "postgresql":
                options["isolation_level"] = "REPEATABLE READ"
            src = src.execution_options(**options)
            with src.begin():
                _check_empty(target, tables)
                with target.begin() as dst:
                    _copy_tables(src, dst, tables)
                    _reset_sequences(dst, tables)
                report = _verify(src, target, tables)
    return CopyReport(_shown(source_url), _shown(target_url), report)


# --- engines --------------------------------------------------------------------------------


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _same_database(a: str, b: str) -> bool:
    path_a, path_b = sqlite_path(a), sqlite_path(b)
    if path_a is not None and path_b is not None:
        return path_a.resolve() == path_b.resolve()
    return make_url(a) == make_url(b)


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _source_engine(url: str) -> Iterator[Engine]:
    """The source to read: a snapshot of a SQLite file (never the file itself), else the URL."""
    if not is_sqlite(url):
        with _engine(url) as engine:
            _check_source_schema(engine)
            yield engine
        return
    path = sqlite_path(url)
    if path is None or not path.is_file():
        raise CopyError(f"There is no company database at {path or url}.")
    with tempfile.TemporaryDirectory(prefix="jobdesk-copy-") as folder:
        snapshot = Path(folder) / "snapshot.sqlite"
        _sqlite_backup(path, snapshot)
        with _engine(f"sqlite:///{snapshot.as_posix()}") as engine:
            # The snapshot, not the user's file, is brought up to this version's schema.
            upgrade_to_head(engine, backup_dir=Path(folder) / "backups")
            yield engine


def _sqlite_backup(path: Path, target: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as error:
        raise CopyError(f"The company database {path} could not be read: {error}") from error
    finally:
        source.close()


def _check_source_schema(engine: Engine) -> None:
    from desktop_app.db.migrate import current_revision, head_revision

    with engine.connect() as connection:
        current = current_revision(connection)
    if current != head_revision():
        raise CopyError(
            "The source database is not at this version's schema; open it once with this "
            "version of JobDesk (or run upgrade-database) before copying it."
        )


# --- copying --------------------------------------------------------------------------------


def _check_empty(engine: Engine, tables: Sequence[Table]) -> None:
    with engine.connect() as connection:
        used = [t.name for t in tables if connection.scalar(select(func.count()).select_from(t))]
    if used:
        raise TargetNotEmptyError(
            "The target database is not empty (it already has "
            + ", ".join(used[:5])
            + ("…" if len(used) > 5 else "")
            + "). Copy into a new, empty database so nothing there is mixed with this company."
        )


def _forward_columns(table: Table, done: set[str]) -> list[str]:
    """Foreign-key columns that point at this table or at one not yet copied."""
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table.name == table.name or fk.column.table.name not in done
    ]


def _primary_key(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _copy_tables(src: Connection, dst: Connection, tables: Sequence[Table]) -> None:
    done: set[str] = set()
    later: list[tuple[Table, list[str], list[dict[str, Any]]]] = []
    for table in tables:
        forward = _forward_columns(table, done)
        pending: list[dict[str, Any]] = []
        chunk: list[dict[str, Any]] = []
        for row in src.execute(select(table).order_by(*_primary_key(table))).mappings():
            values = dict(row)
            if forward and any(values[c] is not None for c in forward):
                pending.append(values)
                values = {**values, **dict.fromkeys(forward)}
            chunk.append(values)
            if len(chunk) >= CHUNK:
                dst.execute(table.insert(), chunk)
                chunk = []
        if chunk:
            dst.execute(table.insert(), chunk)
        done.add(table.name)
        if pending:
            later.append((table, forward, pending))
    for table, forward, rows in later:
        keys = _primary_key(table)
        # Columns with an ``onupdate`` (updated_at) keep the copied value, not "now".
        kept = forward + [c.name for c in table.columns if c.onupdate is not None and c.name not in forward]
        statement = (
            table.update().where(*(k == _bind(k) for k in keys)).values({c: _bind(table.c[c]) for c in kept})
        )
        params = [
            {**{f"pk_{k.name}": r[k.name] for k in keys}, **{f"fw_{c}": r[c] for c in kept}} for r in rows
        ]
        dst.execute(statement, params)


def _bind(column: Column[Any]) -> BindParameter[Any]:
    prefix = "pk" if column.primary_key else "fw"
    return bindparam(f"{prefix}_{column.name}", type_=column.type)


def _reset_sequences(dst: Connection, tables: Sequence[Table]) -> None:
    if dst.dialect.name != "postgresql":
        return  # SQLite hands out max(id) + 1 by itself
    for table in tables:
        keys = _primary_key(table)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        dst.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{keys[0].name}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": table.name, "column": keys[0].name},
        )


# --- verifying ------------------------------------------------------------------------------


def _money_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, Fixed) and c.type.scale == 2]


def _summary(connection: Connection, table: Table) -> tuple[int, dict[str, Decimal], str]:
    count = int(connection.scalar(select(func.count()).select_from(table)) or 0)
    money: dict[str, Decimal] = {}
    for column in _money_columns(table):
        total = connection.scalar(select(func.sum(column)))
        money[column.name] = Decimal(total if total is not None else 0).quantize(Decimal("0.01"))
    return count, money, _digest(connection, table)


def _digest(connection: Connection, table: Table) -> str:
    """A hash of every row's values, independent of the order the database returns them in."""
    rows = sorted(repr(tuple(_normal(v) for v in row)) for row in connection.execute(select(table)))
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value else "0"
    return value


def _verify(src: Connection, target: Engine, tables: Sequence[Table]) -> tuple[TableCopy, ...]:
    result: list[TableCopy] = []
    problems: list[str] = []
    with target.connect() as dst:
        for table in tables:
            s_count, s_money, s_digest = _summary(src, table)
            d_count, d_money, d_digest = _summary(dst, table)
            if s_count != d_count:
                problems.append(f"{table.name}: {s_count} records in the source, {d_count} in the copy")
            for column, amount in s_money.items():
                if d_money.get(column) != amount:
                    problems.append(f"{table.name}.{column}: totals {amount} and {d_money.get(column)}")
            if s_count == d_count and s_digest != d_digest:
                problems.append(f"{table.name}: the records' contents differ")
            result.append(TableCopy(table.name, s_count, s_money))
    if problems:
        raise CopyMismatchError(
            "The copy does not match the source, so it must not be used: "
            + "; ".join(problems)
            + ". Empty the target database and try again; the source was not changed."
        )
    return tuple(result)
