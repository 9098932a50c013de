"""A credit memo moved to another job of its customer, once it was applied in QuickBooks.

In QuickBooks the credit is applied by a $0.00 payment of the old job. Changed to apply the
credit to the new job's invoices, that payment would be refused (another Customer:Job) and
the credit's own change would wait behind it for ever. So the move waits until QuickBooks no
longer has the credit applied (the sync takes the payment off once it is unapplied here);
then the credit moves, is applied to the new job's invoice, and QuickBooks agrees.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.errors import ValidationError
from desktop_app.services import credit_applications, credit_memo_details, credit_memos
from desktop_app.services.lines import LineInput
from tests.integration.sync.conftest import Office


def _move(office: Office, credit_id: int, job_id: int) -> None:
    with office.db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        credit_memos.update_credit_memo(
            uow,
            credit_id,
            current.version,
            credit_memos.CreditMemoFields(
                customer_id=current.customer_id,
                job_id=job_id,
                reason="warranty",
                lines=(LineInput(quantity="1", item_id=office.labor(), rate="80.00"),),
            ),
        )
        uow.commit()


def test_the_move_waits_until_quickbooks_no_longer_has_the_credit_applied(office: Office) -> None:
    customer_id = office.customer("Orr, Kai")
    labor = office.labor()
    kitchen = office.finished_job(customer_id, labor, name="Kitchen")
    bath = office.finished_job(customer_id, labor, name="Bath")
    kitchen_invoice, bath_invoice = office.invoice(kitchen), office.invoice(bath)
    with office.db.uow() as uow:
        credit_id = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=kitchen,
                reason="warranty",
                lines=(LineInput(quantity="1", item_id=labor, rate="80.00"),),
            ),
        ).id
        credit_applications.apply_credit(uow, credit_id, [(kitchen_invoice, "50.00")])
        uow.commit()
    office.sync()
    assert office.alerts() == []

    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, kitchen_invoice)
        uow.commit()
    # Unapplied here, still applied there until the next sync: the move is refused, nothing changes.
    with pytest.raises(ValidationError, match=r"still applied to invoices in QuickBooks\. The next sync"):
        _move(office, credit_id, bath)
    with office.db.reader() as uow:
        assert credit_memo_details.get_credit_memo(uow, credit_id).job_id == kitchen

    office.sync()  # the $0.00 payment that applied it goes
    assert office.link("credit_application", credit_id) is None
    _move(office, credit_id, bath)
    with office.db.uow() as uow:
        credit_applications.apply_credit(uow, credit_id, [(bath_invoice, "50.00")])
        uow.commit()
    office.sync()

    assert [(a.kind, a.message) for a in office.alerts()] == []
    total, owed = office.owed(kitchen_invoice)
    assert owed == total
    total, owed = office.owed(bath_invoice)
    assert owed == total - Decimal("50.00")
