"""Payment terms: the standard list plus terms users add; due dates for invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select

from desktop_app.db.models import Job, Terms
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.status import TermsKind
from desktop_app.domain.terms import check_net_days
from desktop_app.domain.terms import due_date as compute_due_date
from desktop_app.errors import ValidationError
from desktop_app.services.common import audit, clean_text, get
from desktop_app.services.settings import get_setting


@dataclass(frozen=True)
class TermsInfo:
    id: int
    name: str
    kind: TermsKind
    net_days: int | None
    active: bool


def _info(terms: Terms) -> TermsInfo:
    return TermsInfo(terms.id, terms.name, TermsKind(terms.kind), terms.net_days, terms.active)


def _kind(value: object) -> TermsKind:
    try:
        return TermsKind(str(value))
    except ValueError:
        raise ValidationError("kind", "Choose what the terms are due on.") from None


def create_terms(uow: UnitOfWork, name: str, kind: TermsKind | str, net_days: int | None = None) -> TermsInfo:
    clean = clean_text(name, "name", max_length=31, required=True)
    terms_kind = _kind(kind)
    days = check_net_days(terms_kind, net_days)
    if uow.session.scalar(select(exists().where(func.lower(Terms.name) == clean.lower()))):
        raise ValidationError("name", f"Terms named “{clean}” already exist.")
    terms = Terms(name=clean, kind=terms_kind.value, net_days=days)
    uow.session.add(terms)
    uow.flush()
    audit(
        uow,
        "create",
        "terms",
        terms.id,
        summary=f"Terms {clean} created",
        changes={"kind": [None, terms_kind.value], "net_days": [None, days]},
    )
    return _info(terms)


def list_terms(uow: UnitOfWork, *, include_inactive: bool = False) -> tuple[TermsInfo, ...]:
    query = select(Terms).order_by(Terms.name)
    if not include_inactive:
        query = query.where(Terms.active.is_(True))
    return tuple(_info(t) for t in uow.session.scalars(query))


def get_terms(uow: UnitOfWork, terms_id: int) -> TermsInfo:
    return _info(get(uow, Terms, terms_id, "Terms"))


def resolve_terms(uow: UnitOfWork, terms_id: int | None) -> Terms | None:
    """The chosen terms, else the company default (setting), else none (due on receipt)."""
    if terms_id is None:
        default = int(get_setting(uow, "invoice.default_terms_id"))
        if default <= 0:
            return None
        return uow.session.get(Terms, default)
    terms = get(uow, Terms, terms_id, "Terms")
    if not terms.active:
        raise ValidationError("terms_id", f"The terms “{terms.name}” are no longer in use.")
    return terms


def due_date_for(
    terms: Terms | None, *, invoice_date: date, job: Job | None, fixed_date: date | None
) -> date:
    """Due date of an invoice dated ``invoice_date`` for ``job`` under ``terms``."""
    if terms is None:
        return fixed_date if fixed_date is not None else invoice_date
    return compute_due_date(
        TermsKind(terms.kind),
        invoice_date=invoice_date,
        net_days=terms.net_days,
        job_started_on=job.started_on if job is not None else None,
        job_finished_on=job.finished_on if job is not None else None,
        fixed_date=fixed_date,
    )


def check_chosen_due(terms: Terms | None, fixed: date | None, invoice_date: date) -> None:
    """A date the user typed must not precede the invoice; "upon start" terms legitimately may."""
    chosen = terms is None or terms.kind == TermsKind.FIXED_DATE.value
    if chosen and fixed is not None and fixed < invoice_date:
        raise ValidationError("due_date", "The due date cannot be before the invoice date.")
