"""How JobDesk's records are named in QuickBooks Desktop, and what it keeps differently.

QuickBooks names a job as a sub-customer, ``Customer:Job``, each level at most 41
characters; JobDesk puts the job number first so two jobs of a customer never share a
name. When number and name together are longer, QuickBooks gets the first 41 characters,
and the job's QuickBooks panel says so (nothing is cut without a word).
"""

from __future__ import annotations

#: QuickBooks Desktop: a customer's or job's own name (one level of a FullName).
LIST_NAME_MAX = 41
#: QuickBooks Desktop: a customer's Notes.
NOTES_MAX = 4095


def job_qb_name(number: str, name: str) -> str:
    """The job's own name in QuickBooks: its number, then its name, within 41 characters."""
    return f"{number} {name}".strip()[:LIST_NAME_MAX].rstrip()


def job_name_note(number: str, name: str) -> str:
    """What the job's QuickBooks panel says when QuickBooks cannot hold the whole name."""
    full = f"{number} {name}".strip()
    shown = job_qb_name(number, name)
    if shown == full:
        return ""
    return (
        f"In QuickBooks this job is named “{shown}”: QuickBooks keeps {LIST_NAME_MAX} characters "
        "of a job's name (JobDesk adds the job number first). Shorten the name here to choose "
        "what QuickBooks shows."
    )


def notes_note(notes: str) -> str:
    if len(notes) <= NOTES_MAX:
        return ""
    return (
        f"QuickBooks keeps at most {NOTES_MAX:,} characters of notes; these notes have {len(notes):,}. "
        "The customer will not be sent until they are shortened."
    )
