"""Rows every company needs from the first start: the standard terms."""

from __future__ import annotations

from sqlalchemy import select

from desktop_app.db.models import Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import TermsKind

STANDARD_TERMS: tuple[tuple[str, TermsKind, int | None], ...] = (
    ("Due on receipt", TermsKind.UPON_RECEIPT, None),
    ("Net 15", TermsKind.NET_DAYS, 15),
    ("Net 30", TermsKind.NET_DAYS, 30),
    ("Upon start of work", TermsKind.UPON_START, None),
    ("Upon completion", TermsKind.UPON_COMPLETION, None),
    ("Fixed date", TermsKind.FIXED_DATE, None),
)


def ensure_defaults(uow: UnitOfWork) -> None:
    """Idempotent: adds what is missing, never changes what a user edited."""
    existing = set(uow.session.scalars(select(Terms.name)))
    for name, kind, days in STANDARD_TERMS:
        if name not in existing:
            uow.session.add(Terms(name=name, kind=kind.value, net_days=days))
