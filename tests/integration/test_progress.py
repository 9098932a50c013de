from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Invoice
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.status import InvoiceStatus
from desktop_app.errors import InvalidTransition, ValidationError
from desktop_app.services import invoices, payments
from desktop_app.services.invoice_queries import job_invoicing_summary
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_job

D = Decimal


@pytest.fixture
def progress_db(db: Database, admin: Actor) -> Database:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.progress", True)
        set_setting(uow, "tax.default_rate", "8.25")
        uow.commit()
    return db


def _job(db: Database, admin: Actor, lines: list[tuple[str, str, bool]], **kw: object) -> int:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow, **kw), lines)  # type: ignore[arg-type]
        uow.commit()
        return job.id


def test_percent_and_amount_invoices_sum_to_exactly_the_job_total(
    progress_db: Database, admin: Actor
) -> None:

    # 1000.00 taxable at 8.25% + 333.33 untaxed = 1415.83
    job_id = _job(progress_db, admin, [("1", "1000", True), ("3", "111.11", False)])
    with progress_db.uow(admin) as uow:
        a = invoices.create_progress_invoice(uow, job_id, percent="33.3333")
        b = invoices.create_progress_invoice(uow, job_id, amount="400.00")
        summary = job_invoicing_summary(uow, job_id)
        left_percent = D(100) - a.percent - b.percent  # type: ignore[operator]
        c = invoices.create_progress_invoice(uow, job_id, percent=left_percent)
        uow.commit()
    assert summary.job_total == D("1415.83")
    assert a.total == D("471.94")  # 1415.83 × 33.3333% = 471.9428 → 471.94
    assert a.lines[0].taxable is False and "33.3333% of job" in a.lines[0].description
    assert a.total + b.total + c.total == D("1415.83")
    with progress_db.reader() as uow:
        final = job_invoicing_summary(uow, job_id)
    assert final.invoiced == D("1415.83") and final.remaining_to_invoice == D("0.00")


def test_over_100_percent_refused_with_remaining(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        invoices.create_progress_invoice(uow, job_id, percent="70")
        uow.commit()
    with progress_db.uow(admin) as uow:
        with pytest.raises(ValidationError) as err:
            invoices.create_progress_invoice(uow, job_id, percent="31")
        assert "$300.00 is left to invoice" in str(err.value)
        with pytest.raises(ValidationError, match=r"\$300.00 is left"):
            invoices.create_progress_invoice(uow, job_id, amount="300.01")
        with pytest.raises(ValidationError, match=r"\$300.00 is left"):
            invoices.create_deposit_invoice(uow, job_id, amount="300.01")
        uow.commit()
    with progress_db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_void_frees_amount_and_keeps_number(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        a = invoices.create_progress_invoice(uow, job_id, percent="60")
        b = invoices.create_progress_invoice(uow, job_id, percent="40")
        voided = invoices.void_invoice(uow, b.id, "Wrong amount")
        c = invoices.create_progress_invoice(uow, job_id, amount="400")
        summary = job_invoicing_summary(uow, job_id)
        uow.commit()
    assert voided.status is InvoiceStatus.VOID and voided.number == b.number and voided.balance == 0
    assert c.number not in (a.number, b.number)
    assert summary.invoiced == D("1000.00")
    assert [(i.number, i.amount, i.percent, i.status) for i in summary.invoices] == [
        (a.number, D("600.00"), D("60.0000"), InvoiceStatus.OPEN),
        (b.number, D("400.00"), D("40.0000"), InvoiceStatus.VOID),
        (c.number, D("400.00"), D("40.0000"), InvoiceStatus.OPEN),
    ]


def test_void_invoice_cannot_be_paid_or_voided_again(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        inv = invoices.create_progress_invoice(uow, job_id, percent="50")
        invoices.void_invoice(uow, inv.id)
        with pytest.raises(InvalidTransition, match="void"):
            payments.record_payment(
                uow, inv.customer_id, "10", "check", date(2024, 1, 1), applications=[(inv.id, "10")]
            )
        with pytest.raises(InvalidTransition):
            invoices.void_invoice(uow, inv.id)
        with pytest.raises(InvalidTransition):
            payments.mark_paid(uow, inv.id)


def test_void_refused_while_payments_applied(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        inv = invoices.create_progress_invoice(uow, job_id, percent="50")
        payments.record_payment(
            uow, inv.customer_id, "100", "cash", date(2024, 1, 1), applications=[(inv.id, "100")]
        )
        with pytest.raises(InvalidTransition, match="Unapply"):
            invoices.void_invoice(uow, inv.id)
        assert invoices.get_invoice(uow, inv.id).status is InvoiceStatus.OPEN


def test_amount_and_due_date_not_editable_other_fields_are(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        inv = invoices.create_progress_invoice(uow, job_id, percent="50", today=date(2024, 5, 1))
        uow.commit()
    with progress_db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match="Void it"):
            invoices.update_invoice(uow, inv.id, amount="100")
        with pytest.raises(InvalidTransition, match="due date"):
            invoices.update_invoice(uow, inv.id, due_date=date(2024, 6, 1))
        with pytest.raises(InvalidTransition, match="due date"):
            invoices.update_invoice(uow, inv.id, terms_id=None)
        edited = invoices.update_invoice(
            uow,
            inv.id,
            expected_version=inv.version,
            memo="Phase 1",
            customer_notes="Thanks!",
            attachments=["C:/photos/a.jpg", "C:/photos/b.jpg"],
            allowed_payment_methods=["check", "ach"],
        )
        uow.commit()
    assert edited.memo == "Phase 1" and edited.customer_notes == "Thanks!"
    assert edited.attachments == ("C:/photos/a.jpg", "C:/photos/b.jpg")
    assert [m.value for m in edited.allowed_payment_methods] == ["check", "ach"]
    assert (edited.total, edited.due_date) == (inv.total, inv.due_date)
    with progress_db.uow(admin) as uow, pytest.raises(ValidationError):
        invoices.update_invoice(uow, inv.id, allowed_payment_methods=["bitcoin"])


def test_summary_paid_and_balance_due(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        a = invoices.create_progress_invoice(uow, job_id, percent="30")
        b = invoices.create_progress_invoice(uow, job_id, percent="20")
        payments.mark_paid(uow, a.id, received_on=date(2024, 1, 2))
        payments.record_payment(
            uow, b.customer_id, "50", "card", date(2024, 1, 3), applications=[(b.id, "50")]
        )
        summary = job_invoicing_summary(uow, job_id)
    assert (summary.job_total, summary.invoiced, summary.paid) == (D("1000.00"), D("500.00"), D("350.00"))
    assert (summary.remaining_to_invoice, summary.balance_due) == (D("500.00"), D("150.00"))
    assert [i.status for i in summary.invoices] == [InvoiceStatus.PAID, InvoiceStatus.OPEN]


def test_progress_requires_setting_and_refuses_after_full_invoice(db: Database, admin: Actor) -> None:
    job_id = _job(db, admin, [("1", "1000", False)])
    with db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match="turned off"):
            invoices.create_progress_invoice(uow, job_id, percent="10")
        invoices.create_invoice(uow, job_id)
        set_setting(uow, "numbering.progress", True)
        with pytest.raises(InvalidTransition, match="billed in full"):
            invoices.create_progress_invoice(uow, job_id, percent="10")


def test_full_invoice_refused_once_progress_billing_started(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", False)])
    with progress_db.uow(admin) as uow:
        invoices.create_progress_invoice(uow, job_id, percent="25")
        with pytest.raises(InvalidTransition, match=r"remaining \$750.00"):
            invoices.create_invoice(uow, job_id)


def test_tax_exempt_customer_job_total_has_no_tax(progress_db: Database, admin: Actor) -> None:
    job_id = _job(progress_db, admin, [("1", "1000", True)], tax_exempt=True)
    with progress_db.reader() as uow:
        assert job_invoicing_summary(uow, job_id).job_total == D("1000.00")
