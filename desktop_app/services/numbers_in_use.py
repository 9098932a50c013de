"""Which job and invoice numbers are used: here (void invoices included) or in QuickBooks.

QuickBooks accepts a second invoice with a RefNumber it already holds, so JobDesk keeps
clear of every number it knows QuickBooks has: the numbers of our invoices there (their
links) and the numbers recorded with :func:`record_quickbooks_ref_numbers` (invoices
imported from, or seen in, QuickBooks).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.exc import IntegrityError

from desktop_app.db.models import Invoice, Job, QbLink
from desktop_app.db.quickbooks_refs import REF_LENGTH, QuickBooksInvoiceRef
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import NumberingMode, counter_value, derived_patterns, is_derived
from desktop_app.services.search import is_sqlite

HERE = "here"
QUICKBOOKS = "QuickBooks"
_CHUNK = 500


def _starts_with(uow: UnitOfWork, column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, case-sensitively, as numbers compare."""
    if is_sqlite(uow):
        # GLOB is case-sensitive and reads SQLite's index; LIKE would do neither.
        escaped = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in prefix)
        return column.op("GLOB")(f"{escaped}*")  # type: ignore[no-any-return]
    return column.startswith(prefix, autoescape=True)  # type: ignore[no-any-return]


def _matching(uow: UnitOfWork, column: Any, exact: Collection[str], prefixes: Iterable[str]) -> Any:
    conditions = [_starts_with(uow, column, p) for p in prefixes]
    if exact:
        conditions.append(column.in_(list(exact)))
    return or_(*conditions) if conditions else false()


def _quickbooks_columns() -> tuple[tuple[Any, Any], ...]:
    """(column, extra condition) pairs holding invoice numbers QuickBooks has."""
    return (
        (QuickBooksInvoiceRef.ref_number, None),
        (QbLink.qb_name, QbLink.entity_type == "invoice"),
    )


def used_invoice_numbers(
    uow: UnitOfWork,
    *,
    exact: Collection[str] = (),
    prefixes: Collection[str] = (),
    ignore_invoice_ids: Collection[int] = (),
) -> list[tuple[str, str]]:
    """Invoice numbers in ``exact`` or starting with a prefix, used here or in QuickBooks.

    Returns (number, where) pairs, ``where`` being :data:`HERE` or :data:`QUICKBOOKS`.
    """
    if not exact and not prefixes:
        return []
    found: list[tuple[str, str]] = []
    query = select(Invoice.number).where(_matching(uow, Invoice.number, exact, prefixes))
    if ignore_invoice_ids:
        query = query.where(Invoice.id.not_in(list(ignore_invoice_ids)))
    found += [(n, HERE) for n in uow.session.scalars(query)]
    here = {n for n, _ in found}
    for column, condition in _quickbooks_columns():
        query = select(column).where(_matching(uow, column, exact, prefixes))
        if condition is not None:
            query = query.where(condition)
        found += [(n, QUICKBOOKS) for n in uow.session.scalars(query) if n not in here]
    return sorted(set(found))


def invoice_number_in_use(uow: UnitOfWork, number: str) -> bool:
    """An invoice here has it (void ones keep theirs), or QuickBooks does."""
    return bool(used_invoice_numbers(uow, exact=(number,)))


def numbers_blocking_job_number(
    uow: UnitOfWork,
    number: str,
    mode: NumberingMode,
    progress: bool,
    *,
    ignore_invoice_ids: Collection[int] = (),
) -> list[tuple[str, str]]:
    """The used invoice numbers a job numbered ``number`` would yield (see ``derived_patterns``)."""
    exact, prefixes = derived_patterns(number, mode, progress)
    used = used_invoice_numbers(uow, exact=exact, prefixes=prefixes, ignore_invoice_ids=ignore_invoice_ids)
    return [(n, where) for n, where in used if is_derived(n, number, mode, progress)]


# --- numbers QuickBooks has --------------------------------------------------------------------


def record_quickbooks_ref_numbers(uow: UnitOfWork, refs: Iterable[str]) -> int:
    """Remember invoice numbers (RefNumbers) QuickBooks holds; returns how many were new.

    For the sync's imports: call it with the RefNumber of every invoice QuickBooks returns.
    Blank numbers are ignored, and so are numbers longer than QuickBooks' 11 characters
    (no JobDesk number can clash with them). Recording a number twice is harmless, also
    from two sessions at once.
    """
    wanted = sorted({r.strip() for r in refs if isinstance(r, str) and 0 < len(r.strip()) <= REF_LENGTH})
    added = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        known = set(
            uow.session.scalars(
                select(QuickBooksInvoiceRef.ref_number).where(QuickBooksInvoiceRef.ref_number.in_(chunk))
            )
        )
        new = [r for r in chunk if r not in known]
        try:
            with uow.session.begin_nested():
                uow.session.add_all(QuickBooksInvoiceRef(ref_number=r) for r in new)
            added += len(new)
        except IntegrityError:
            # Another session recorded some of them meanwhile: one at a time, skipping those.
            for ref in new:
                try:
                    with uow.session.begin_nested():
                        uow.session.add(QuickBooksInvoiceRef(ref_number=ref))
                    added += 1
                except IntegrityError:
                    pass
    return added


def quickbooks_ref_numbers_taken(uow: UnitOfWork, numbers: Iterable[str]) -> frozenset[str]:
    """Which of ``numbers`` QuickBooks is known to hold as invoice numbers."""
    wanted = {n for n in numbers if isinstance(n, str) and n}
    taken: set[str] = set()
    for column, condition in _quickbooks_columns():
        for start in range(0, len(wanted), _CHUNK):
            chunk = sorted(wanted)[start : start + _CHUNK]
            query = select(column).where(column.in_(chunk))
            if condition is not None:
                query = query.where(condition)
            taken.update(uow.session.scalars(query))
    return frozenset(taken)


# --- the highest number a counter has produced ---------------------------------------------------


def highest_used(
    uow: UnitOfWork, counter: str, *, prefix: str, mode: NumberingMode, progress: bool
) -> int | None:
    """The highest counter value among the numbers the counter would have to skip as taken.

    Job counter: job numbers (a segment 1003-1 counts as 1003) and, where invoice numbers
    are made from job numbers, the invoice numbers here or in QuickBooks they came from
    (D-1003, 1003-2 count as 1003). Invoice counter: invoice numbers here or in QuickBooks
    and, in "match" numbering, job numbers (a job's invoice takes its number).
    """
    values: list[int | None] = []
    derived = mode is NumberingMode.MATCH or progress
    if counter == "job":
        values += [
            counter_value(n, prefix, strip_deposit=False, strip_sequence=True)
            for n in uow.session.scalars(select(Job.number).where(_starts_with(uow, Job.number, prefix)))
        ]
        if derived:
            prefixes = [prefix] + ([f"D-{prefix}"] if mode is NumberingMode.MATCH else [])
            values += [
                counter_value(n, prefix, strip_deposit=mode is NumberingMode.MATCH, strip_sequence=True)
                for n, _ in used_invoice_numbers(uow, prefixes=prefixes)
            ]
    else:
        values += [
            counter_value(n, prefix, strip_deposit=False, strip_sequence=False)
            for n, _ in used_invoice_numbers(uow, prefixes=[prefix])
        ]
        if mode is NumberingMode.MATCH:
            values += [
                counter_value(n, prefix, strip_deposit=False, strip_sequence=False)
                for n in uow.session.scalars(select(Job.number).where(_starts_with(uow, Job.number, prefix)))
            ]
    found = [v for v in values if v is not None]
    return max(found) if found else None
