"""Two people applying the same credit memo at once: its row lock serves them in turn.

Without the lock both would check against what was left before either applied, and the
credit would be applied past its total (QuickBooks would then refuse the second part).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest

from desktop_app.db.open import open_database
from desktop_app.db.uow import Database
from desktop_app.errors import ValidationError
from desktop_app.services import credit_applications, credit_memos, invoices, payments
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


def _invoice_and_credit(db: Database, *, total: str, credit: str) -> tuple[int, int, int]:
    """(customer, an invoice of its job for ``total``, a credit memo of ``credit`` for the job)."""
    customer_id, job = _customer_and_job(db, total=total)
    with db.uow(ADMIN) as uow:
        invoice_id = invoices.create_invoice(uow, job.id).id
        made = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job.id,
                reason="discount",
                lines=(LineInput(quantity="1", description="Discount", rate=credit, taxable=False),),
            ),
        )
        uow.commit()
    return customer_id, invoice_id, made.id


def test_a_second_application_waits_for_the_first_and_is_then_refused(pg_url: str) -> None:
    db = open_database(pg_url)
    _customer_id, first_invoice, credit_id = _invoice_and_credit(db, total="1000.00", credit="100.00")
    users = _users(pg_url, 2)
    applied = threading.Event()
    release = threading.Event()

    def apply_first() -> None:
        with users[0].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit_id, [(first_invoice, "60.00")])
            applied.set()
            assert release.wait(20)
            uow.commit()

    def apply_second() -> None:
        assert applied.wait(20)
        with users[1].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit_id, [(first_invoice, "60.00")])
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
            detail = get_credit_memo(uow, credit_id)
        assert sum((a.amount for a in detail.applications), Decimal(0)) == Decimal("60.00")
    finally:
        _dispose(users)
        db.dispose()


def test_a_payment_waits_for_a_credit_applied_to_the_same_invoice(pg_url: str) -> None:
    """The invoice's row lock: a payment and a credit applied to it at once never both take
    what it owed before either."""
    db = open_database(pg_url)
    customer_id, invoice_id, credit_id = _invoice_and_credit(db, total="100.00", credit="80.00")
    users = _users(pg_url, 2)
    applied = threading.Event()
    release = threading.Event()

    def apply_credit() -> None:
        with users[0].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit_id, [(invoice_id, "80.00")])
            applied.set()
            assert release.wait(20)
            uow.commit()

    def pay() -> None:
        assert applied.wait(20)
        with users[1].uow(ADMIN) as uow:
            payments.record_payment(
                uow, customer_id, "50.00", "check", date(2026, 3, 5), applications=[(invoice_id, "50.00")]
            )
            uow.commit()

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(apply_credit)
            second = pool.submit(pay)
            _wait_until_blocked(db)  # the payment waits on the invoice's row lock
            release.set()
            first.result(30)
            with pytest.raises(ValidationError, match=r"has a balance of \$20\.00"):
                second.result(30)
        with db.reader() as uow:
            assert invoices.get_invoice(uow, invoice_id).balance == Decimal("20.00")
    finally:
        _dispose(users)
        db.dispose()


def _while_applied(pg_url: str, second: Callable[[Database, int, int], None]) -> tuple[int, int]:
    """``second`` runs while another user's application of $60.00 of a $100.00 credit is not
    yet committed; it must wait for it (the credit memo's row lock) and then see it."""
    db = open_database(pg_url)
    _customer_id, invoice_id, credit_id = _invoice_and_credit(db, total="1000.00", credit="100.00")
    users = _users(pg_url, 2)
    applied = threading.Event()
    release = threading.Event()

    def apply_first() -> None:
        with users[0].uow(ADMIN) as uow:
            credit_applications.apply_credit(uow, credit_id, [(invoice_id, "60.00")])
            applied.set()
            assert release.wait(20)
            uow.commit()

    def then_second() -> None:
        assert applied.wait(20)
        second(users[1], credit_id, invoice_id)

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(apply_first)
            waiting = pool.submit(then_second)
            _wait_until_blocked(db)  # the second waits on the credit memo's row lock
            release.set()
            first.result(30)
            waiting.result(30)
    finally:
        _dispose(users)
        db.dispose()
    return credit_id, invoice_id


def test_a_void_waits_for_an_application_and_frees_it_too(pg_url: str) -> None:
    def void(user: Database, credit_id: int, _invoice_id: int) -> None:
        with user.uow(ADMIN) as uow:
            credit_memos.void_credit_memo(uow, credit_id, reason="Entered twice")
            uow.commit()

    credit_id, invoice_id = _while_applied(pg_url, void)
    db = open_database(pg_url)
    try:
        with db.reader() as uow:
            detail = get_credit_memo(uow, credit_id)
            assert detail.status.value == "void"
            assert detail.applications == ()  # a void credit lowers no invoice
            assert invoices.get_invoice(uow, invoice_id).balance == Decimal("1000.00")
    finally:
        db.dispose()


def test_an_edit_waits_for_an_application_and_cannot_lower_the_total_below_it(pg_url: str) -> None:
    def lower(user: Database, credit_id: int, _invoice_id: int) -> None:
        with user.uow(ADMIN) as uow:
            opened = get_credit_memo(uow, credit_id)  # (the application does not change its version)
            fields = credit_memos.CreditMemoFields(
                customer_id=opened.customer_id,
                job_id=opened.job_id,
                reason="discount",
                lines=(LineInput(quantity="1", description="Discount", rate="50.00", taxable=False),),
            )
            with pytest.raises(ValidationError, match=r"\$60\.00 of this credit is applied"):
                credit_memos.update_credit_memo(uow, credit_id, opened.version, fields)

    credit_id, _invoice_id = _while_applied(pg_url, lower)
    db = open_database(pg_url)
    try:
        with db.reader() as uow:
            detail = get_credit_memo(uow, credit_id)
            assert detail.total == Decimal("100.00")
            assert sum((a.amount for a in detail.applications), Decimal(0)) == Decimal("60.00")
    finally:
        db.dispose()
