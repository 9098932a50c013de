"""Saving the credit memo window in one transaction: the credit itself and where it is applied.

The window shows one "Apply" amount per invoice; saving brings each application to that
amount (applying or unapplying the difference), so the credit and its applications are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import ZERO, parse_money
from desktop_app.errors import Conflict
from desktop_app.services.credit_applications import apply_credit, unapply_credit
from desktop_app.services.credit_memo_details import CreditMemoDetail, get_credit_memo
from desktop_app.services.credit_memos import (
    CHANGED_MEANWHILE,
    CreditMemoFields,
    create_credit_memo,
    update_credit_memo,
)


def _number(value: object) -> Decimal | None:
    """A form's number as a Decimal for comparing (None when it is not one: then it changed)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return Decimal(str(value).replace(",", "").replace("$", "").strip())
        except InvalidOperation:
            return None
    return None


def save_credit_memo(
    uow: UnitOfWork,
    credit_id: int | None,
    expected_version: int,
    values: CreditMemoFields,
    applications: Sequence[tuple[int, object]] = (),
) -> CreditMemoDetail:
    """Create or change the credit memo, then set its application to each invoice listed."""
    if credit_id is None:
        detail = create_credit_memo(uow, values)
    else:
        current = get_credit_memo(uow, credit_id)
        same = (
            values.reason == current.reason.value
            and values.job_id == current.job_id
            and values.credit_date == current.credit_date
            and values.memo == current.memo
            and len(values.lines) == len(current.lines)
            and all(
                line.id == old.id
                and line.item_id == old.item_id
                and _number(line.quantity) == old.quantity
                and _number(line.rate) == old.rate
                and line.description == old.description
                and line.taxable == old.taxable
                for line, old in zip(values.lines, current.lines, strict=True)
            )
        )
        if same:
            detail = current  # only applications changed: a credit in QuickBooks may still be applied
        else:
            if expected_version != current.version:
                raise Conflict(CHANGED_MEANWHILE)
            # What is taken back goes first: a credit lowered and unapplied in one save.
            detail = _take_back(uow, current, applications)
            detail = update_credit_memo(uow, credit_id, detail.version, values)
    detail = _take_back(uow, detail, applications)
    now = {a.invoice_id: a.amount for a in detail.applications}
    wanted = [(invoice_id, parse_money(amount, "amount")) for invoice_id, amount in applications]
    more = [(invoice_id, target - now.get(invoice_id, ZERO)) for invoice_id, target in wanted]
    more = [(invoice_id, amount) for invoice_id, amount in more if amount > 0]
    if more:
        detail = apply_credit(uow, detail.id, more)
    return detail


def _take_back(
    uow: UnitOfWork, detail: CreditMemoDetail, applications: Sequence[tuple[int, object]]
) -> CreditMemoDetail:
    """Lower each application the form lowers (so the credit has room for the rest)."""
    now = {a.invoice_id: a.amount for a in detail.applications}
    for invoice_id, amount in applications:
        target = parse_money(amount, "amount")
        if target < now.get(invoice_id, ZERO):
            detail = unapply_credit(uow, detail.id, invoice_id, now[invoice_id] - target)
    return detail
