"""Whether a record is in QuickBooks: the one definition every screen and rule uses.

A record is in QuickBooks when it has a link to a QuickBooks record (``QbLink``), written
only when QuickBooks confirmed it. Lists use the SQL form, windows and rules the Python one,
so an invoice list and the invoice's own window cannot disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select

from desktop_app.db.models import QbLink
from desktop_app.db.uow import UnitOfWork


def in_quickbooks_clause(entity_type: str, id_column: Any) -> ColumnElement[bool]:
    """SQL: the record whose id is ``id_column`` is in QuickBooks."""
    return exists().where(QbLink.entity_type == entity_type, QbLink.entity_id == id_column)


def in_quickbooks(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    return bool(uow.session.scalar(select(in_quickbooks_clause(entity_type, entity_id))))
