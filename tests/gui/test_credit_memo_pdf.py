"""The invoice PDF shows each credit memo applied ("Credit CM-… applied −$x") and the balance after."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_app.domain.money import format_money
from desktop_app.services.credit_memo_details import AppliedCredit
from desktop_app.services.invoice_print import printable_invoice
from desktop_app.ui.context import AppContext
from desktop_app.ui.printing import write_pdf
from tests.gui.invoice_samples import invoice
from tests.gui.pdf_text import read_pdf


@pytest.fixture(autouse=True)
def _qt(qapp: object) -> None:
    """QPdfWriter and fonts need the application object."""


def test_each_credit_is_a_row_of_the_totals_and_the_balance_counts_it(tmp_path: Path) -> None:
    base = invoice(3)
    credit = AppliedCredit(
        credit_memo_id=4, number="CM-1001", credit_date=date(2026, 3, 12), amount=Decimal("120.00")
    )
    detail = replace(
        base.invoice, credits_applied=credit.amount, balance=base.invoice.balance - credit.amount
    )
    doc = replace(base, invoice=detail, credits=(credit,))
    (page,) = read_pdf(write_pdf(doc, tmp_path / "credited.pdf", "letter"))
    label = page.one("Credit CM-1001 applied")
    amounts = [v for v in page.find(format_money(-credit.amount)) if abs(v.middle - label.middle) <= 1.0]
    assert len(amounts) == 1
    balance = page.one("Balance due")
    assert balance.top > label.top
    values = [v for v in page.find(format_money(detail.balance)) if abs(v.middle - balance.middle) <= 1.0]
    assert len(values) == 1


def test_a_credit_applied_through_the_services_reaches_the_printed_invoice(
    qtbot: object, ctx: AppContext
) -> None:
    from desktop_app.services import credit_applications, credit_memos, invoices
    from desktop_app.services.lines import LineInput
    from tests.gui.helpers import make_customer, make_job

    customer = make_customer(ctx)
    job = make_job(ctx, customer.id, "1000")
    bill = ctx.write(invoices.create_invoice, job.id)
    credit = ctx.write(
        credit_memos.create_credit_memo,
        credit_memos.CreditMemoFields(
            customer_id=customer.id,
            job_id=job.id,
            reason="discount",
            lines=(LineInput(quantity="1", description="Loyalty discount", rate="75"),),
        ),
    )
    ctx.write(credit_applications.apply_credit, credit.id, [(bill.id, "75")])
    doc = ctx.read(printable_invoice, bill.id)
    assert [(c.number, c.amount) for c in doc.credits] == [(credit.number, Decimal("75.00"))]
    assert doc.invoice.balance == Decimal("925.00")
