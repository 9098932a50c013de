"""The job and invoice counters: their rows, and the next numbers they will give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desktop_app.db.models import Counter
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import format_number
from desktop_app.services.numbering_settings import config

CounterName = Literal["job", "invoice"]


@dataclass(frozen=True)
class NextNumbers:
    job: str
    invoice: str


def counter_row(uow: UnitOfWork, name: CounterName, start: int) -> Counter:
    """The counter's row, locked (created at ``start`` the first time)."""
    query = (
        select(Counter)
        .where(Counter.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = uow.session.scalars(query).first()
    if row is None:
        # Two users may create the first number at once: one insert wins, the other waits
        # for it on the primary key, then both lock and use the one row.
        try:
            with uow.session.begin_nested():
                uow.session.add(Counter(name=name, next_value=start))
        except IntegrityError:
            pass
        row = uow.session.scalars(query).one()
    if row.next_value < start:
        # Raising the start setting moves the counter forward; lowering it never moves it back.
        row.next_value = start
    return row


def next_numbers(uow: UnitOfWork) -> NextNumbers:
    """What the next job and invoice numbers will be (without using them)."""
    cfg = config(uow)
    values: dict[str, int] = {}
    for name, start in (("job", cfg.job_start), ("invoice", cfg.invoice_start)):
        row = uow.session.get(Counter, name)
        values[name] = max(row.next_value, start) if row is not None else start
    return NextNumbers(
        job=format_number(cfg.job_prefix, values["job"]),
        invoice=format_number(cfg.invoice_prefix, values["invoice"]),
    )
