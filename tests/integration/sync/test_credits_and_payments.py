"""A payment taken off an invoice and a credit applied to it instead, in one sync.

QuickBooks applies a credit only up to what the invoice still owes there: the payment's
change (deleted, or unapplied) must reach it first, whatever reached QuickBooks before.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.services import payments
from tests.integration.sync.conftest import FINISHED, Office
from tests.integration.sync.test_credit_memo_sync import _apply, _credit


@pytest.mark.parametrize("credit_first", [False, True], ids=["credit new", "credit in QuickBooks"])
@pytest.mark.parametrize("how", ["deleted", "unapplied"])
def test_a_credit_takes_the_place_of_a_payment_taken_off_the_invoice(
    office: Office, how: str, credit_first: bool
) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Page, Pat")  # 850.00
    with office.db.uow() as uow:
        payment = payments.record_payment(
            uow, customer_id, "850.00", "check", FINISHED, applications=[(invoice_id, "850.00")]
        )
        uow.commit()
    credit_id = _credit(office, customer_id, job_id, office.labor(), "850") if credit_first else 0
    assert office.sync().percent == 100
    with office.db.uow() as uow:
        if how == "deleted":
            payments.delete_payment(uow, payment.id)
        else:
            payments.unapply_payment(uow, payment.id, invoice_id)
        uow.commit()
    if not credit_first:
        credit_id = _credit(office, customer_id, job_id, office.labor(), "850")
    _apply(office, credit_id, invoice_id, "850.00")
    assert office.sync().percent == 100
    assert office.alerts() == []
    (invoice,) = office.qb.invoices
    assert office.qb.invoice_balance(invoice) == Decimal("0.00")
    left = [a.amount for p in office.qb.payments for a in p.applications]
    assert left == []
