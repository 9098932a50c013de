"""Credit memo numbers: CM-1001, CM-1002 … from their own counter.

QuickBooks numbers credit memos in their own RefNumber (11 characters); ours carry a
"CM-" prefix so a person never mistakes one for an invoice number. A number already
taken (a credit memo imported or renumbered) is skipped, never reused.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from desktop_app.db.credit_models import CreditMemo
from desktop_app.db.models import Counter
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import Conflict

COUNTER = "credit_memo"
PREFIX = "CM-"
START = 1001
#: QuickBooks' RefNumber on a credit memo.
MAX_NUMBER_LENGTH = 11
_MAX_SKIPS = 10_000


def _counter(uow: UnitOfWork) -> Counter:
    query = (
        select(Counter)
        .where(Counter.name == COUNTER)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = uow.session.scalars(query).first()
    if row is None:
        # Two users may make the first credit memo at once: one insert wins, both then lock it.
        try:
            with uow.session.begin_nested():
                uow.session.add(Counter(name=COUNTER, next_value=START))
        except IntegrityError:
            pass
        row = uow.session.scalars(query).one()
    return row


def format_credit_number(value: int) -> str:
    return f"{PREFIX}{value}"


def next_credit_number(uow: UnitOfWork) -> str:
    """Allocate the next free credit memo number (the counter row is locked until commit)."""
    row = _counter(uow)
    for _ in range(_MAX_SKIPS):
        number = format_credit_number(row.next_value)
        row.next_value += 1
        if len(number) > MAX_NUMBER_LENGTH:
            raise Conflict(
                f"Credit memo numbers have reached {number}, longer than the {MAX_NUMBER_LENGTH} "
                "characters QuickBooks allows. Ask your administrator to reset the credit memo counter."
            )
        if not uow.session.scalar(select(exists().where(CreditMemo.number == number))):
            return number
    raise Conflict("No free credit memo number was found; ask your administrator to reset the counter.")
