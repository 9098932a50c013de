"""An admin moves the next job or invoice number: forward, or back to just above the highest used.

A counter moved forward by mistake (5001 used, next set to 5100) can be moved back, as far
as the number after the highest one used here or known in QuickBooks, so a number is
never handed out twice. :func:`preview_next_number` says what a move would skip or hand
out again before :func:`set_next_number` does it; the move is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from desktop_app.db.models import Counter
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import (
    MAX_REF,
    check_counter_format,
    format_number,
    job_number_room,
    room_reason,
)
from desktop_app.errors import ValidationError
from desktop_app.services.common import audit, require_admin
from desktop_app.services.counters import CounterName, NextNumbers, counter_row, next_numbers
from desktop_app.services.numbering_settings import config
from desktop_app.services.numbers_in_use import highest_used


@dataclass(frozen=True)
class NumberSpan:
    """Numbers ``first`` … ``last`` (``count`` of them)."""

    first: str
    last: str
    count: int


@dataclass(frozen=True)
class CounterChange:
    counter: CounterName
    old_next: str
    new_next: str
    #: The highest number of this counter used here or in QuickBooks (None: none yet).
    highest_used: str | None
    #: Moving forward: numbers the counter passes over and will never hand out.
    skipped: NumberSpan | None
    #: Moving back: numbers the counter had passed, never used, that it will hand out again.
    reused: NumberSpan | None
    #: One sentence for the admin (and the audit log).
    summary: str
    next_numbers: NextNumbers


def _span(prefix: str, first: int, last: int) -> NumberSpan | None:
    if last < first:
        return None
    return NumberSpan(format_number(prefix, first), format_number(prefix, last), last - first + 1)


def _shown(span: NumberSpan) -> str:
    if span.count == 1:
        return span.first
    return f"{span.first}–{span.last} ({span.count:,} numbers)"


def _plan(uow: UnitOfWork, counter: object, value: object, *, current: int) -> CounterChange:
    if counter not in ("job", "invoice"):
        raise ValidationError("counter", "Choose the job counter or the invoice counter.")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("value", "The next number must be a whole number of at least 1.")
    cfg = config(uow)
    name: CounterName = "job" if counter == "job" else "invoice"
    prefix = cfg.job_prefix if name == "job" else cfg.invoice_prefix
    room = job_number_room(cfg.mode, cfg.progress) if name == "job" else MAX_REF
    reason = room_reason(cfg.mode, cfg.progress) if name == "job" else ""
    check_counter_format(prefix, value, room=room, what=f"next {name}", field="value", reason=reason)
    highest = highest_used(uow, name, prefix=prefix, mode=cfg.mode, progress=cfg.progress)
    if value != current and highest is not None and value <= highest:
        # Forward too: a move into numbers already used (e.g. QuickBooks' own, imported since)
        # would hand them out again.
        limit = "go back no further than" if value < current else "only move to"
        raise ValidationError(
            "value",
            f"{name.capitalize()} numbers up to {format_number(prefix, highest)} are already used "
            f"(here or in QuickBooks), so the next {name} number can {limit} "
            f"{format_number(prefix, highest + 1)}{'' if value < current else ' or above'}.",
        )
    old, new = format_number(prefix, current), format_number(prefix, value)
    skipped = _span(prefix, current, value - 1)
    reused = _span(prefix, value, current - 1)
    if skipped is not None:
        summary = f"Next {name} number {old} → {new}: {_shown(skipped)} skipped, never handed out."
    elif reused is not None:
        summary = (
            f"Next {name} number {old} → {new}: {_shown(reused)} handed out again "
            f"(never used, here or in QuickBooks)."
        )
    else:
        summary = f"The next {name} number is already {new}."
    return CounterChange(
        counter=name,
        old_next=old,
        new_next=new,
        highest_used=format_number(prefix, highest) if highest is not None else None,
        skipped=skipped,
        reused=reused,
        summary=summary,
        next_numbers=next_numbers(uow),
    )


def _current(uow: UnitOfWork, counter: object) -> int:
    cfg = config(uow)
    start = cfg.job_start if counter == "job" else cfg.invoice_start
    row = uow.session.get(Counter, "job" if counter == "job" else "invoice")
    return max(row.next_value, start) if row is not None else start


def preview_next_number(uow: UnitOfWork, counter: CounterName, value: int) -> CounterChange:
    """What moving the counter to ``value`` would skip or hand out again (changes nothing)."""
    return _plan(uow, counter, value, current=_current(uow, counter))


def set_next_number(uow: UnitOfWork, counter: CounterName, value: int) -> CounterChange:
    """Admin: move a counter forward, or back to just above the highest number used."""
    require_admin(uow, "change the next job or invoice number")
    if counter not in ("job", "invoice"):
        raise ValidationError("counter", "Choose the job counter or the invoice counter.")
    cfg = config(uow)
    # The row is locked first: no number is handed out while the move is decided.
    row = counter_row(uow, counter, cfg.job_start if counter == "job" else cfg.invoice_start)
    change = _plan(uow, counter, value, current=row.next_value)
    if change.skipped is None and change.reused is None:
        return change
    old = row.next_value
    row.next_value = value
    # The audit's changes are {field: [before, after]}; what is skipped or reused is in the summary.
    audit(uow, "numbering", "counter", None, summary=change.summary, changes={counter: [old, value]})
    uow.flush()
    return replace(change, next_numbers=next_numbers(uow))
