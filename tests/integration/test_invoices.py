from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import DomainEvent, Invoice, QbLink
from desktop_app.db.uow import Actor, Database
from desktop_app.domain.status import InvoiceKind, InvoiceStatus
from desktop_app.errors import InvalidTransition, NotFound, ValidationError
from desktop_app.services import invoices, payments
from desktop_app.services.invoice_queries import job_invoicing_summary, list_invoices
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_item, make_job

D = Decimal


def _events(db: Database, entity_id: int) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.session.scalars(
                select(DomainEvent.name)
                .where(DomainEvent.entity_type == "invoice", DomainEvent.entity_id == entity_id)
                .order_by(DomainEvent.id)
            )
        )


def test_full_invoice_copies_lines_and_taxes_half_up(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "tax.default_rate", "8.25")
        item = make_item(uow, "Labor")
        customer = make_customer(uow, "Ann Smith", bill_street="9 Elm St")
        # taxable 10.00 × 8.25% = 0.825 → 0.83 (half-up at the invoice level)
        job = make_job(uow, customer, [("1", "10", True), ("2.5", "40", False)], finished_on=date(2024, 3, 1))
        job.lines[0].item_id = item.id
        inv = invoices.create_invoice(uow, job.id, memo="Thanks", today=date(2024, 3, 4))
        uow.commit()
    assert inv.kind is InvoiceKind.STANDARD and inv.status is InvoiceStatus.OPEN
    assert (inv.subtotal, inv.tax, inv.total, inv.balance) == (
        D("110.00"),
        D("0.83"),
        D("110.83"),
        D("110.83"),
    )
    assert [(line.amount, line.taxable, line.job_id) for line in inv.lines] == [
        (D("10.00"), True, job.id),
        (D("100.00"), False, job.id),
    ]
    assert inv.lines[0].item_id == item.id
    assert inv.bill_name == "Ann Smith" and inv.bill_address[0] == "9 Elm St"
    assert inv.customer_name == "Ann Smith" and inv.job_number == job.number
    assert inv.service_date == date(2024, 3, 1)
    assert _events(db, inv.id) == ["invoice.created"]


def test_tax_exempt_customer_pays_no_tax(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "tax.default_rate", "8.25")
        job = make_job(uow, make_customer(uow, tax_exempt=True), [("1", "100", True)])
        inv = invoices.create_invoice(uow, job.id)
    assert (inv.tax, inv.tax_rate, inv.total) == (D("0.00"), D("0"), D("100.00"))


def test_second_full_invoice_refused_and_nothing_saved(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow))
        invoices.create_invoice(uow, job.id)
        uow.commit()
    with db.uow(admin) as uow:
        with pytest.raises(InvalidTransition, match="already has invoice"):
            invoices.create_invoice(uow, job.id)
        with pytest.raises(NotFound):
            invoices.create_invoice(uow, 9999)
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_cancelled_or_empty_job_refused(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        cancelled = make_job(uow, customer, status="cancelled")
        empty = make_job(uow, customer, [])
        with pytest.raises(InvalidTransition, match="cancelled"):
            invoices.create_invoice(uow, cancelled.id)
        with pytest.raises(ValidationError, match="no lines"):
            invoices.create_invoice(uow, empty.id)
        with pytest.raises(ValidationError, match="job total is zero"):
            invoices.create_deposit_invoice(uow, empty.id, amount="10")


def test_deposit_credited_to_main_invoice_when_issued(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), [("1", "1000", False)])
        deposit = invoices.create_deposit_invoice(uow, job.id, percent="30")
        payments.mark_paid(uow, deposit.id, received_on=date(2024, 1, 5))
        main = invoices.create_invoice(uow, job.id)
        assert main.balance == D("1000.00")  # not credited until issued
        issued = invoices.issue_invoice(uow, main.id, on=date(2024, 2, 1))
        summary = job_invoicing_summary(uow, job.id)
        uow.commit()
    assert deposit.total == D("300.00") and deposit.kind is InvoiceKind.DEPOSIT
    assert (issued.total, issued.deposit_credit, issued.balance) == (D("1000.00"), D("300.00"), D("700.00"))
    with db.reader() as uow:
        assert invoices.get_invoice(uow, deposit.id).credited_to_invoice_id == main.id
    assert (summary.invoiced, summary.paid, summary.balance_due, summary.remaining_to_invoice) == (
        D("1000.00"),
        D("300.00"),
        D("700.00"),
        D("0.00"),
    )
    with db.uow(admin) as uow:
        # The credited deposit is locked to the main invoice.
        with pytest.raises(InvalidTransition, match="credited"):
            invoices.void_invoice(uow, deposit.id)
        pay_id = invoices.get_invoice(uow, deposit.id).id
        with pytest.raises(InvalidTransition, match="credited"):
            payments.unapply_payment(uow, _payment_of(uow, pay_id), deposit.id)
        # Voiding the main invoice releases the deposit.
        invoices.void_invoice(uow, main.id)
        assert invoices.get_invoice(uow, deposit.id).credited_to_invoice_id is None


def _payment_of(uow: object, invoice_id: int) -> int:
    from desktop_app.db.models import PaymentApplication

    session = uow.session  # type: ignore[attr-defined]
    return int(
        session.scalar(
            select(PaymentApplication.payment_id).where(PaymentApplication.invoice_id == invoice_id)
        )
    )


def test_deposit_covering_whole_invoice_marks_it_paid(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), [("1", "500", False)])
        deposit = invoices.create_deposit_invoice(uow, job.id, percent="100")
        payments.mark_paid(uow, deposit.id)
        main = invoices.create_invoice(uow, job.id)
        issued = invoices.issue_invoice(uow, main.id)
    assert issued.status is InvoiceStatus.PAID and issued.balance == 0


def test_unpaid_deposit_not_credited(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), [("1", "500", False)])
        deposit = invoices.create_deposit_invoice(uow, job.id, amount="100")
        main = invoices.create_invoice(uow, job.id)
        issued = invoices.issue_invoice(uow, main.id)
        assert issued.deposit_credit == 0
        assert invoices.get_invoice(uow, deposit.id).credited_to_invoice_id is None


def test_issue_records_event_and_resend_keeps_date(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        job = make_job(uow, make_customer(uow), finished_on=date(2024, 3, 1))
        inv = invoices.create_invoice(uow, job.id)
        first = invoices.issue_invoice(uow, inv.id, on=date(2024, 3, 10))
        again = invoices.issue_invoice(uow, inv.id, on=date(2024, 3, 20))
        uow.commit()
    assert first.invoice_date == date(2024, 3, 10) and again.invoice_date == date(2024, 3, 10)
    assert again.issued_at == first.issued_at and again.sent_at is not None
    assert _events(db, inv.id) == ["invoice.created", "invoice.issued", "invoice.issued"]


def test_events_for_paid_and_void(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        a = invoices.create_invoice(uow, make_job(uow, customer).id)
        b = invoices.create_invoice(uow, make_job(uow, customer).id)
        payments.mark_paid(uow, a.id)
        invoices.void_invoice(uow, b.id, "duplicate")
        invoices.update_invoice(uow, a.id, memo="note")
        uow.commit()
    assert _events(db, a.id) == ["invoice.created", "invoice.paid", "invoice.updated"]
    assert _events(db, b.id) == ["invoice.created", "invoice.voided"]
    with db.reader() as uow:
        voided = invoices.get_invoice(uow, b.id)
    assert voided.void_reason == "duplicate" and voided.voided_at is not None


def test_multi_job_invoice_same_customer(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.mode", "match")
        customer = make_customer(uow)
        j1 = make_job(uow, customer, [("1", "100", True)])
        j2 = make_job(uow, customer, [("2", "50", False), ("1", "5", False)])
        inv = invoices.create_multi_job_invoice(uow, customer.id, [j1.id, j2.id])
        summary = job_invoicing_summary(uow, j2.id)
        uow.commit()
    assert inv.job_id is None and inv.job_number is None
    assert [line.job_id for line in inv.lines] == [j1.id, j2.id, j2.id]
    assert inv.total == D("205.00")
    assert inv.number not in (j1.number, j2.number)
    assert summary.invoiced == D("105.00")
    with db.reader() as uow:
        page = list_invoices(uow, job_id=j2.id)
    assert [r.id for r in page.rows] == [inv.id]


def test_multi_job_invoice_locks_jobs_in_id_order_and_bills_them_in_the_chosen_order(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked: list[int] = []
    real = invoices._billable_job

    def spy(uow: Any, job_id: int) -> Any:
        locked.append(job_id)
        return real(uow, job_id)

    monkeypatch.setattr(invoices, "_billable_job", spy)
    with db.uow(admin) as uow:
        customer = make_customer(uow)
        j1 = make_job(uow, customer, [("1", "100", True)])
        j2 = make_job(uow, customer, [("2", "50", False)])
        j3 = make_job(uow, customer, [("3", "10", False)])
        inv = invoices.create_multi_job_invoice(uow, customer.id, [j3.id, j1.id, j2.id])
        uow.commit()
    # Always the same order of row locks: two users cannot deadlock on the same jobs.
    assert locked == sorted(locked) == [j1.id, j2.id, j3.id]
    assert [line.job_id for line in inv.lines] == [j3.id, j1.id, j2.id]


def test_multi_job_invoice_refused_across_customers(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        ann = make_customer(uow, "Ann")
        bob = make_customer(uow, "Bob")
        j1 = make_job(uow, ann)
        j2 = make_job(uow, bob)
        with pytest.raises(ValidationError, match="another customer") as err:
            invoices.create_multi_job_invoice(uow, ann.id, [j1.id, j2.id])
        assert err.value.field == "job_ids"
        with pytest.raises(ValidationError, match="at least two"):
            invoices.create_multi_job_invoice(uow, ann.id, [j1.id, j1.id])
        invoices.create_invoice(uow, j1.id)
        j3 = make_job(uow, ann)
        with pytest.raises(InvalidTransition, match="already has its own invoice"):
            invoices.create_multi_job_invoice(uow, ann.id, [j1.id, j3.id])
        uow.commit()
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_standard_invoice_edits(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        inv = invoices.create_invoice(uow, make_job(uow, make_customer(uow)).id, today=date(2024, 1, 1))
        with pytest.raises(ValidationError, match="comes from its lines"):
            invoices.update_invoice(uow, inv.id, amount="5")
        changed = invoices.update_invoice(uow, inv.id, due_date=date(2024, 2, 1))
        assert changed.due_date == date(2024, 2, 1)
        with pytest.raises(ValidationError, match="before the invoice date"):
            invoices.update_invoice(uow, inv.id, due_date=date(2023, 12, 1))
        with pytest.raises(ValidationError, match="most it can hold is 4,095"):
            invoices.update_invoice(uow, inv.id, memo="x" * 5000)


def test_list_invoices_search_filter_sort_page(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        ann = make_customer(uow, "Ann Smith")
        bob = make_customer(uow, "Bob Jones")
        ids = []
        for customer, amount in ((ann, "300"), (bob, "100"), (ann, "200"), (bob, "50")):
            ids.append(invoices.create_invoice(uow, make_job(uow, customer, [("1", amount, False)]).id).id)
        payments.record_payment(uow, ann.id, "120", "cash", date(2024, 1, 1), applications=[(ids[0], "120")])
        payments.mark_paid(uow, ids[3])
        uow.session.add(QbLink(entity_type="invoice", entity_id=ids[1], qb_id="T1"))
        uow.commit()
    with db.reader() as uow:
        page = list_invoices(uow, sort="balance", descending=True, limit=2)
        assert page.total == 4 and [r.id for r in page.rows] == [ids[2], ids[0]]
        assert page.rows[1].balance == D("180.00") and page.rows[1].total == D("300.00")
        assert list_invoices(uow, sort="balance", descending=True, offset=3, limit=2).rows[0].balance == D(
            "0.00"
        )
        assert {r.id for r in list_invoices(uow, search="smith").rows} == {ids[0], ids[2]}
        assert [r.id for r in list_invoices(uow, status="paid").rows] == [ids[3]]
        assert list_invoices(uow, customer_id=bob.id).total == 2
        assert [r.in_quickbooks for r in list_invoices(uow).rows] == [False, True, False, False]
        assert list_invoices(uow, search="100%").total == 0
        with pytest.raises(ValidationError):
            list_invoices(uow, sort="nope")
        with pytest.raises(ValidationError):
            list_invoices(uow, status="weird")


def test_list_sorts_numbers_naturally(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.invoice_start", 998)
        customer = make_customer(uow)
        for _ in range(3):
            invoices.create_invoice(uow, make_job(uow, customer).id)
        assert [r.number for r in list_invoices(uow).rows] == ["998", "999", "1000"]


def test_a_job_billed_on_a_multi_job_invoice_cannot_be_billed_again(db: Database) -> None:
    """The 100 % rule holds across invoices of several jobs too."""
    from desktop_app.services import customers, jobs, settings
    from desktop_app.services.lines import LineInput

    with db.uow() as uow:
        settings.set_setting(uow, "numbering.progress", True)
        customer = customers.create_customer(uow, customers.CustomerFields(display_name="Multi, Mo"))
        ids = []
        for name in ("Porch", "Gate"):
            job = jobs.create_job(
                uow,
                jobs.JobFields(
                    customer_id=customer.id, name=name,
                    lines=(LineInput(quantity="1", description=name, rate="100"),),
                ),
            )  # fmt: skip
            ids.append(job.id)
        shared = invoices.create_multi_job_invoice(uow, customer.id, ids, today=date(2026, 3, 1))
        uow.commit()
    for make in (
        lambda uow: invoices.create_invoice(uow, ids[0]),
        lambda uow: invoices.create_progress_invoice(uow, ids[0], percent=10),
        lambda uow: invoices.create_multi_job_invoice(uow, customer.id, ids),
    ):
        with db.uow() as uow, pytest.raises(InvalidTransition, match=shared.number):
            make(uow)
    with db.uow() as uow:
        invoices.void_invoice(uow, shared.id, reason="split per job")
        assert invoices.create_progress_invoice(uow, ids[0], percent=10).total == Decimal("10.00")
        uow.commit()
