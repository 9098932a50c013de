"""Whether a record is in QuickBooks: the one definition every screen and rule uses.

A record is in QuickBooks when it has a link to a QuickBooks record (``QbLink``), written
only when QuickBooks confirmed it. Lists use the SQL form, windows and rules the Python one,
so an invoice list and the invoice's own window cannot disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink
from desktop_app.db.uow import UnitOfWork


def in_quickbooks_clause(entity_type: str, id_column: Any) -> ColumnElement[bool]:
    """SQL: the record whose id is ``id_column`` is in QuickBooks."""
    return exists().where(QbLink.entity_type == entity_type, QbLink.entity_id == id_column)


def in_quickbooks(uow: UnitOfWork, entity_type: str, entity_id: int) -> bool:
    return bool(uow.session.scalar(select(in_quickbooks_clause(entity_type, entity_id))))


# -- writing links: the two ways a record of ours becomes QuickBooks' record --------------------

_LOOK_IT_UP: Any = object()


def link_to(
    session: Session,
    entity_type: str,
    entity_id: int,
    qb_id: str,
    *,
    edit_sequence: str = "",
    qb_name: str = "",
    existing: QbLink | None = _LOOK_IT_UP,
) -> QbLink:
    """Ours is QuickBooks' ``qb_id`` from now on: a new link, or ours moved to it.

    ``existing`` is ours as the caller already knows it (the sync keeps a cache of links);
    without it, it is read.
    """
    link = (
        session.scalar(select(QbLink).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id))
        if existing is _LOOK_IT_UP
        else existing
    )
    if link is None:
        link = QbLink(entity_type=entity_type, entity_id=entity_id, qb_id=qb_id)
        session.add(link)
    link.qb_id = qb_id
    link.edit_sequence = edit_sequence
    link.qb_name = qb_name[:209]
    return link


def link_if_free(
    session: Session,
    entity_type: str,
    entity_id: int,
    qb_id: str,
    *,
    edit_sequence: str = "",
    qb_name: str = "",
) -> bool:
    """Link ours to QuickBooks' record only when neither is linked yet (False: nothing changed).

    What an import or a match uses: a record already linked stays as it is, and QuickBooks'
    record never ends up linked twice.
    """
    taken = session.scalar(
        select(QbLink.id).where(
            QbLink.entity_type == entity_type, (QbLink.qb_id == qb_id) | (QbLink.entity_id == entity_id)
        )
    )
    if taken is not None:
        return False
    link_to(
        session, entity_type, entity_id, qb_id, edit_sequence=edit_sequence, qb_name=qb_name, existing=None
    )
    return True
