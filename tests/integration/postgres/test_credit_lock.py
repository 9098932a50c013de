"""Two people applying the same credit memo at once: its row lock serves them in turn.

Without the lock both would check against what was left before either applied, and the
credit would be applied past its total (QuickBooks would then refuse the second part).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from desktop_app.db.open import open_database
from desktop_app.errors import ValidationError
from desktop_app.services import credit_applications, credit_memos, invoices
from desktop_app.services.credit_memo_details import get_credit_memo
from desktop_app.services.lines import LineInput
from tests.integration.postgres.test_concurrency import (
    ADMIN,
    _customer_and_job,
    _dispose,
    _users,
    _wait_until_blocked,
)

pytestmark = pytest.mark.postgres


def test_a_second_application_waits_for_the_first_and_is_then_refused(pg_url: str) -> None:
    db = open_database(pg_url)
    customer_id, job = _customer_and_job(db)  # 1,000.00
    with db.uow(ADMIN) as uow:
        first_invoice = invoices.create_invoice(uow, job.id).id
        credit = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job.id,
                reason="discount",
                lines=(LineInput(quantity="1", description="Discount", rate="100.00", taxable=False),),
            ),
        )
        uow.commit()
    users = _users(pg_url, 2)
    applied = threading.Event()
    release = threading.Event()

    def apply_first() -> None:
        with users[0].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit.id, [(first_invoice, "60.00")])
            applied.set()
            assert release.wait(20)
            uow.commit()

    def apply_second() -> None:
        assert applied.wait(20)
        with users[1].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit.id, [(first_invoice, "60.00")])
            uow.commit()

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(apply_first)
            second = pool.submit(apply_second)
            _wait_until_blocked(db)  # the second waits on the credit memo's row lock
            release.set()
            first.result(30)
            with pytest.raises(ValidationError, match=r"Only \$40\.00 of credit memo"):
                second.result(30)
        with db.reader() as uow:
            detail = get_credit_memo(uow, credit.id)
        assert sum((a.amount for a in detail.applications), Decimal(0)) == Decimal("60.00")
    finally:
        _dispose(users)
        db.dispose()
