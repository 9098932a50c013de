"""Job and invoice numbers: formats per numbering mode, and QuickBooks' 11-character limit.

QuickBooks Desktop's invoice RefNumber holds 11 characters. Every invoice number is
derived from a job number in "match" and progress modes, so a job number must leave
room for what is appended to it ("D-" for deposits, "-N" for progress invoices).
"""

from __future__ import annotations

from enum import StrEnum

from desktop_app.errors import ValidationError

#: QuickBooks invoice RefNumber length.
MAX_REF = 11
#: A deposit invoice in match mode is the job number with this in front.
DEPOSIT_PREFIX = "D-"
#: Room kept for "-NN" after a job number when progress invoicing is on (99 invoices a job).
PROGRESS_SUFFIX_ROOM = 3
#: A segment's suffix "-N": room for 9 segments without a 12th character.
SEGMENT_SUFFIX_ROOM = 2


class NumberingMode(StrEnum):
    SIMPLE = "simple"
    MATCH = "match"


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value}"


def deposit_number(job_number: str) -> str:
    """Match mode: job 11503's deposit invoice is D-11503."""
    return f"{DEPOSIT_PREFIX}{job_number}"


def sequence_number(job_number: str, sequence: int) -> str:
    """Progress invoice ``sequence`` of a job, or segment ``sequence`` of a job: N-1, N-2, ..."""
    return f"{job_number}-{sequence}"


def job_number_room(mode: NumberingMode, progress: bool) -> int:
    """The longest job number whose derived invoice numbers all fit QuickBooks."""
    room = MAX_REF
    if mode is NumberingMode.MATCH:
        room = MAX_REF - len(DEPOSIT_PREFIX)
    if progress:
        room = min(room, MAX_REF - PROGRESS_SUFFIX_ROOM)
    return room


def check_job_number(number: str, mode: NumberingMode, progress: bool, *, field: str = "number") -> str:
    """Refuse a job number that is empty, too long, or would yield a too-long invoice number."""
    number = number.strip()
    if not number:
        raise ValidationError(field, "A job number is required.")
    if any(ch.isspace() for ch in number):
        raise ValidationError(field, "A job number cannot contain spaces.")
    room = job_number_room(mode, progress)
    if len(number) > room:
        raise ValidationError(field, _too_long_message(number, room, mode, progress))
    return number


def check_invoice_number(number: str, *, field: str = "number") -> str:
    if not number:
        raise ValidationError(field, "An invoice number is required.")
    if len(number) > MAX_REF:
        raise ValidationError(
            field,
            f"Invoice number {number} is {len(number)} characters long; QuickBooks invoice numbers "
            f"hold at most {MAX_REF}.",
        )
    return number


def _too_long_message(number: str, room: int, mode: NumberingMode, progress: bool) -> str:
    if progress:
        why = f"progress invoices add “-1”, “-2”, … to the job number (for example {number}-1)"
    elif mode is NumberingMode.MATCH:
        why = f"deposit invoices are numbered “{DEPOSIT_PREFIX}” + the job number ({DEPOSIT_PREFIX}{number})"
    else:
        why = "it is also used for the job in QuickBooks"
    return (
        f"Job number {number} is {len(number)} characters long; it can be at most {room}, because "
        f"{why} and QuickBooks invoice numbers hold at most {MAX_REF} characters."
    )


def room_reason(mode: NumberingMode, progress: bool) -> str:
    """Why job numbers must be shorter than 11 characters under these settings."""
    if progress:
        return "progress invoices add “-1”, “-2”, … to the job number, and "
    if mode is NumberingMode.MATCH:
        return f"deposit invoices add “{DEPOSIT_PREFIX}” in front of the job number, and "
    return ""


def check_counter_format(
    prefix: str, value: int, *, room: int, what: str, field: str, reason: str = ""
) -> str:
    """Refuse a prefix + counter value that does not fit in ``room`` characters."""
    number = format_number(prefix, value)
    if len(number) > room:
        raise ValidationError(
            field,
            f"The {what} number “{number}” would be {len(number)} characters long; with this "
            f"numbering it can be at most {room} characters, because {reason}QuickBooks invoice "
            f"numbers hold at most {MAX_REF}. Use a shorter prefix or a smaller number.",
        )
    return number


# --- numbers derived from a job number ---------------------------------------------------------


def derived_patterns(
    job_number: str, mode: NumberingMode, progress: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The invoice numbers a job's number yields: (exact numbers, prefixes of "-N" numbers).

    "Match": the job's invoice N, its deposit D-N, and its segments' invoices N-1, D-N-1 ….
    Progress invoicing: every invoice of the job N-1, N-2 … (a segment's: N-1-1 …).
    Simple numbering without progress invoicing yields none: invoices have their own counter.
    """
    if mode is NumberingMode.MATCH:
        deposit = deposit_number(job_number)
        return (job_number, deposit), (f"{job_number}-", f"{deposit}-")
    if progress:
        return (), (f"{job_number}-",)
    return (), ()


def _is_suffix(rest: str) -> bool:
    """ "1" or "1-2": a sequence, or a segment's sequence."""
    parts = rest.split("-")
    return 1 <= len(parts) <= 2 and all(p.isascii() and p.isdigit() for p in parts)


def is_derived(candidate: str, job_number: str, mode: NumberingMode, progress: bool) -> bool:
    """Whether ``candidate`` is one of the invoice numbers ``job_number`` yields."""
    exact, prefixes = derived_patterns(job_number, mode, progress)
    if candidate in exact:
        return True
    return any(candidate.startswith(p) and _is_suffix(candidate[len(p) :]) for p in prefixes)


def counter_value(number: str, prefix: str, *, strip_deposit: bool, strip_sequence: bool) -> int | None:
    """The counter value a number was made from (prefix + digits), or None if it was not.

    ``strip_deposit``: D-1003 counts as 1003; ``strip_sequence``: 1003-2 counts as 1003.
    """
    if strip_deposit and number.startswith(DEPOSIT_PREFIX) and not prefix.startswith(DEPOSIT_PREFIX):
        number = number[len(DEPOSIT_PREFIX) :]
    if not number.startswith(prefix):
        return None
    rest = number[len(prefix) :]
    if strip_sequence:
        rest = rest.split("-", 1)[0]
    if not rest or not rest.isascii() or not rest.isdigit():
        return None
    return int(rest)
