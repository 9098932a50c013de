"""Case-insensitive "contains" conditions for search-as-you-type, fast on each database.

On SQLite plain LIKE already ignores ASCII case and SQLite's ``lower()`` folds only ASCII
too, so ``ilike`` (``lower(x) LIKE lower(y)``) matches exactly the same rows while calling
``lower()`` twice per row; on PostgreSQL ``ILIKE`` is native and unicode-aware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement

from desktop_app.db.uow import UnitOfWork


def like_pattern(search: str) -> str:
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_sqlite(uow: UnitOfWork) -> bool:
    return uow.session.get_bind().dialect.name == "sqlite"


def contains_matcher(uow: UnitOfWork, search: str) -> Callable[[Any], ColumnElement[bool]]:
    """``column -> condition``: the column contains ``search``, ignoring case."""
    pattern = like_pattern(search)
    if is_sqlite(uow):
        return lambda column: column.like(pattern, escape="\\")
    return lambda column: column.ilike(pattern, escape="\\")
