"""Connecting to a QuickBooks company: numbering that cannot collide with the numbers it uses.

An office's QuickBooks company already holds thousands of invoice numbers. JobDesk never
hands out a number it knows QuickBooks has (``numbers_in_use``), but a counter that sits
inside QuickBooks' range keeps landing among QuickBooks' own numbers: every number the
office then types in QuickBooks may be one JobDesk hands out next (BuildOps' duplicate
invoice numbers). :func:`numbering_check` says, per counter whose numbers become invoice
numbers, whether its next numbers overlap QuickBooks' and proposes the first safe start
above the highest; :func:`apply_safe_start` moves the counters there in one call, through
``counter_reset`` so the same rules (and audit) hold.

Which counters matter follows ``services.numbering``: the invoice counter always numbers
invoices (all of them under simple numbering; under "match" numbering or progress
invoicing those billed without a job); the job counter matters when invoices take the
job's number (N, D-N, N-1 … under "match", N-1, N-2 … under progress invoicing). JobDesk
has no payment counter: a payment's reference is typed by the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select

from desktop_app.db.models import Counter, QbLink
from desktop_app.db.quickbooks_refs import QuickBooksInvoiceRef
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import (
    MAX_REF,
    NumberingMode,
    check_counter_format,
    counter_value,
    deposit_number,
    format_number,
    is_derived,
    job_number_room,
    room_reason,
    sequence_number,
)
from desktop_app.errors import Conflict, ValidationError
from desktop_app.services import counter_reset
from desktop_app.services.common import audit, require_admin
from desktop_app.services.counter_reset import CounterChange
from desktop_app.services.counters import CounterName
from desktop_app.services.numbering_settings import NumberingConfig, config
from desktop_app.services.numbers_in_use import highest_used

#: How many of a counter's next numbers the check names (the rest are counted).
_SHOWN = 5


@dataclass(frozen=True)
class CounterCheck:
    """One counter against the invoice numbers QuickBooks uses."""

    counter: CounterName
    #: What the counter numbers, in plain words.
    numbers_what: str
    #: The counter's next value and the number it makes (prefix + value).
    next_value: int
    next_number: str
    #: The invoice numbers the next number would produce (a job's N, D-N, N-1 …).
    next_invoice_numbers: tuple[str, ...]
    #: Of those, the ones QuickBooks already has.
    taken_in_quickbooks: tuple[str, ...]
    #: QuickBooks' invoice numbers of this counter's form: how many, lowest and highest.
    quickbooks_count: int
    quickbooks_first: str | None
    quickbooks_last: str | None
    #: The counter's values from its next one up to QuickBooks' highest that QuickBooks uses.
    taken_ahead: int
    #: True when QuickBooks uses numbers at or above the counter's next one.
    overlaps: bool
    #: The first safe next value (above every number used, here or in QuickBooks), when the
    #: counter overlaps and the number fits QuickBooks; else None.
    proposed_value: int | None
    proposed_number: str | None
    #: Why no start can be proposed although the counter overlaps ("" otherwise).
    problem: str
    #: The finding in plain words, for the wizard.
    summary: str


@dataclass(frozen=True)
class NumberingCheck:
    mode: NumberingMode
    progress: bool
    counters: tuple[CounterCheck, ...]
    #: (counter, from value, to value) for every counter the proposal moves; what
    #: :func:`apply_safe_start` applies, and how it tells the proposal is still current.
    proposal: tuple[tuple[CounterName, int, int], ...]
    overlaps: bool
    summary: str


@dataclass(frozen=True)
class SafeStartResult:
    changes: tuple[CounterChange, ...]
    #: The check made again after the move (no overlap left).
    check: NumberingCheck
    summary: str


# --- the numbers QuickBooks has -----------------------------------------------------------------


def quickbooks_invoice_numbers(uow: UnitOfWork) -> frozenset[str]:
    """Every invoice number QuickBooks is known to hold: recorded ones and our invoices there."""
    recorded = uow.session.scalars(select(QuickBooksInvoiceRef.ref_number))
    linked = uow.session.scalars(
        select(QbLink.qb_name).where(QbLink.entity_type == "invoice", QbLink.qb_name != "")
    )
    return frozenset(recorded) | frozenset(linked)


def _values(numbers: Iterable[str], counter: CounterName, cfg: NumberingConfig) -> dict[int, list[str]]:
    """Counter value → the numbers made from it, counted as ``numbers_in_use.highest_used`` does."""
    found: dict[int, list[str]] = {}
    match = cfg.mode is NumberingMode.MATCH
    for number in numbers:
        if counter == "job":
            value = counter_value(number, cfg.job_prefix, strip_deposit=match, strip_sequence=True)
        else:
            value = counter_value(number, cfg.invoice_prefix, strip_deposit=False, strip_sequence=False)
        if value is not None:
            found.setdefault(value, []).append(number)
    return found


def _concerned(cfg: NumberingConfig) -> tuple[CounterName, ...]:
    if cfg.mode is NumberingMode.MATCH or cfg.progress:
        return ("job", "invoice")
    return ("invoice",)


def _current(uow: UnitOfWork, counter: CounterName, cfg: NumberingConfig) -> int:
    start = cfg.job_start if counter == "job" else cfg.invoice_start
    row = uow.session.get(Counter, counter)
    return max(row.next_value, start) if row is not None else start


def _derived(job_number: str, cfg: NumberingConfig) -> tuple[str, ...]:
    """The invoice numbers a job's number produces (the first of each open-ended series)."""
    if cfg.mode is NumberingMode.MATCH:
        deposit = deposit_number(job_number)
        return (job_number, deposit, sequence_number(job_number, 1), sequence_number(deposit, 1))
    return (sequence_number(job_number, 1), sequence_number(job_number, 2))


def _what(counter: CounterName, cfg: NumberingConfig) -> str:
    if counter == "invoice":
        if cfg.mode is NumberingMode.MATCH or cfg.progress:
            return "invoice numbers of invoices billed without a job (several jobs on one invoice)"
        return "invoice numbers"
    if cfg.mode is NumberingMode.MATCH:
        return "job numbers, which invoices take (N, deposits D-N, segments N-1 …)"
    return "job numbers, after which progress invoices are numbered (N-1, N-2 …)"


def _span(prefix: str, values: list[int]) -> tuple[str | None, str | None]:
    if not values:
        return None, None
    return format_number(prefix, min(values)), format_number(prefix, max(values))


def _check_counter(
    uow: UnitOfWork, counter: CounterName, cfg: NumberingConfig, numbers: frozenset[str]
) -> CounterCheck:
    prefix = cfg.job_prefix if counter == "job" else cfg.invoice_prefix
    current = _current(uow, counter, cfg)
    next_number = format_number(prefix, current)
    theirs = _values(numbers, counter, cfg)
    first, last = _span(prefix, list(theirs))
    count = sum(len(v) for v in theirs.values())
    if counter == "job":
        produced = _derived(next_number, cfg)
        taken = tuple(
            sorted(n for n in theirs.get(current, []) if is_derived(n, next_number, cfg.mode, cfg.progress))
        )
    else:
        produced = (next_number,)
        taken = (next_number,) if next_number in numbers else ()
    ahead = sum(1 for v in theirs if v >= current)
    overlaps = ahead > 0
    proposed: int | None = None
    problem = ""
    if overlaps:
        used = highest_used(uow, counter, prefix=prefix, mode=cfg.mode, progress=cfg.progress)
        candidate = max(current, (used or 0) + 1)
        room = job_number_room(cfg.mode, cfg.progress) if counter == "job" else MAX_REF
        try:
            check_counter_format(
                prefix,
                candidate,
                room=room,
                what=f"next {counter}",
                field="numbering",
                reason=room_reason(cfg.mode, cfg.progress) if counter == "job" else "",
            )
            proposed = candidate
        except ValidationError as too_long:
            problem = str(too_long)
    check = CounterCheck(
        counter=counter,
        numbers_what=_what(counter, cfg),
        next_value=current,
        next_number=next_number,
        next_invoice_numbers=produced,
        taken_in_quickbooks=taken,
        quickbooks_count=count,
        quickbooks_first=first,
        quickbooks_last=last,
        taken_ahead=ahead,
        overlaps=overlaps,
        proposed_value=proposed,
        proposed_number=format_number(prefix, proposed) if proposed is not None else None,
        problem=problem,
        summary="",
    )
    return _with_summary(check, cfg)


def _with_summary(check: CounterCheck, cfg: NumberingConfig) -> CounterCheck:
    name = check.counter
    if check.quickbooks_count == 0:
        text = (
            f"QuickBooks has no invoice numbers of the kind JobDesk's {name} counter makes; "
            f"the next {name} number, {check.next_number}, cannot collide."
        )
        return replace(check, summary=text)
    span = (
        check.quickbooks_first
        if check.quickbooks_first == check.quickbooks_last
        else f"{check.quickbooks_first}–{check.quickbooks_last}"
    )
    uses = f"QuickBooks already uses invoice numbers {span} ({check.quickbooks_count:,} of them)"
    if not check.overlaps:
        return replace(
            check, summary=f"{uses}; JobDesk's next {name} number, {check.next_number}, is above them all."
        )
    if name == "job":
        shown = ", ".join(check.next_invoice_numbers) + " …"
        would = f"JobDesk's next job, {check.next_number}, would bill invoice numbers {shown}"
    else:
        would = f"JobDesk's next invoice number is {check.next_number}"
    if check.taken_in_quickbooks:
        listed = ", ".join(check.taken_in_quickbooks[:_SHOWN])
        more = len(check.taken_in_quickbooks) - _SHOWN
        would += f", and QuickBooks already has {listed}" + (f" and {more} more" if more > 0 else "")
    ahead = (
        f"QuickBooks uses {check.taken_ahead:,} of the {name} numbers from {check.next_number} "
        f"to {check.quickbooks_last}, so JobDesk's new numbers would land among QuickBooks' own"
    )
    if check.proposed_number is not None:
        fix = f"Start {name} numbers at {check.proposed_number}, above every number already used."
    else:
        fix = f"No safe start fits: {check.problem}"
    # "…" ends a sentence on its own: no full stop after it.
    would_end = would if would.endswith("…") else f"{would}."
    return replace(check, summary=f"{uses}. {would_end} {ahead}. {fix}")


def numbering_check(uow: UnitOfWork) -> NumberingCheck:
    """Whether JobDesk's next numbers overlap the invoice numbers QuickBooks uses (changes nothing)."""
    cfg = config(uow)
    numbers = quickbooks_invoice_numbers(uow)
    counters = tuple(_check_counter(uow, c, cfg, numbers) for c in _concerned(cfg))
    proposal = tuple(
        (c.counter, c.next_value, c.proposed_value) for c in counters if c.proposed_value is not None
    )
    overlaps = any(c.overlaps for c in counters)
    if not overlaps:
        summary = "JobDesk's next numbers do not overlap the invoice numbers QuickBooks uses."
    elif proposal:
        moves = ", ".join(
            f"next {c.counter} number {c.next_number} → {c.proposed_number}"
            for c in counters
            if c.proposed_number is not None
        )
        summary = f"JobDesk's next numbers overlap those QuickBooks uses. Proposed: {moves}."
    else:
        summary = "JobDesk's next numbers overlap those QuickBooks uses, and no safe start fits."
    return NumberingCheck(
        mode=cfg.mode,
        progress=cfg.progress,
        counters=counters,
        proposal=proposal,
        overlaps=overlaps,
        summary=summary,
    )


def apply_safe_start(uow: UnitOfWork, seen: NumberingCheck) -> SafeStartResult:
    """Admin: move every overlapping counter to the proposed safe start, in one call.

    ``seen`` is the check the admin looked at; when the numbers changed since (a counter
    moved, QuickBooks' numbers were read again, the numbering settings changed) the
    proposal is refused as stale and nothing changes.
    """
    require_admin(uow, "change the next job or invoice number")
    if not isinstance(seen, NumberingCheck):
        raise ValidationError("check", "Check the numbering first, then apply the proposed start.")
    # No number is handed out between the check and the move: the counters are locked first.
    uow.session.execute(select(Counter).with_for_update()).all()
    fresh = numbering_check(uow)
    if fresh.proposal != seen.proposal or fresh.mode != seen.mode or fresh.progress != seen.progress:
        raise Conflict(
            "The numbers changed since they were checked (a number was handed out, a counter moved, "
            "or QuickBooks' numbers were read again). Check the numbering again, then apply the new "
            "proposal."
        )
    unfit = [c for c in fresh.counters if c.overlaps and c.proposed_value is None]
    if unfit:
        raise ValidationError("numbering", unfit[0].problem)
    changes = tuple(
        counter_reset.set_next_number(uow, counter, to_value) for counter, _from, to_value in fresh.proposal
    )
    after = numbering_check(uow)
    if changes:
        summary = "Numbering set clear of QuickBooks' invoice numbers: " + "; ".join(
            f"next {c.counter} number {c.old_next} → {c.new_next}" for c in changes
        )
        audit(
            uow,
            "numbering",
            "counter",
            None,
            summary=summary,
            changes={c.counter: [c.old_next, c.new_next] for c in changes},
        )
    else:
        summary = "Nothing to move: JobDesk's next numbers already clear QuickBooks' numbers."
    return SafeStartResult(changes=changes, check=after, summary=summary)
