"""A credit memo moved to another job of its customer, once it was applied in QuickBooks.

In QuickBooks the credit is applied by a $0.00 payment of the old job. Changed to apply the
credit to the new job's invoices, that payment would be refused (another Customer:Job) and
the credit's own change would wait behind it for ever. So the move waits until QuickBooks no
longer has the credit applied (the sync takes the payment off once it is unapplied here);
then the credit moves, is applied to the new job's invoice, and QuickBooks agrees.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import QbLink
from desktop_app.errors import ValidationError
from desktop_app.services import credit_applications, credit_memo_details, credit_memos
from desktop_app.services.credit_memo_form import save_credit_memo
from desktop_app.services.credit_sync import WHOSE
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office, QueryRefused


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


def _applied_credit(office: Office, *, sync: bool = True) -> tuple[int, int, int, int, int]:
    """(customer, kitchen job, bath job, kitchen invoice, credit of $80.00 applying $50.00 there),
    synced unless told not to."""
    customer_id = office.customer("Orr, Kai")
    labor = office.labor()
    kitchen = office.finished_job(customer_id, labor, name="Kitchen")
    bath = office.finished_job(customer_id, labor, name="Bath")
    kitchen_invoice = office.invoice(kitchen)
    credit_id = office.applied_credit(customer_id, kitchen, kitchen_invoice)
    if sync:
        office.sync()
    return customer_id, kitchen, bath, kitchen_invoice, credit_id


def test_the_move_waits_until_quickbooks_no_longer_has_the_credit_applied(office: Office) -> None:
    _customer_id, kitchen, bath, kitchen_invoice, credit_id = _applied_credit(office)
    bath_invoice = office.invoice(bath)
    assert office.alerts() == []

    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, kitchen_invoice)
        uow.commit()
    # Unapplied here, still applied there until the next sync: the move is refused, nothing changes.
    with pytest.raises(
        ValidationError,
        match=r"still applied to invoices in QuickBooks\. Save it unapplied on its own job first",
    ):
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


def test_unapplying_and_moving_in_one_save_is_refused_with_advice_that_works(office: Office) -> None:
    customer_id, kitchen, bath, kitchen_invoice, credit_id = _applied_credit(office)

    def save(job_id: int) -> None:
        with office.db.uow() as uow:
            opened = credit_memo_details.get_credit_memo(uow, credit_id)
            fields = credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="warranty",
                lines=(LineInput(quantity="1", item_id=office.labor(), rate="80.00"),),
            )
            save_credit_memo(uow, credit_id, opened.version, fields, [(kitchen_invoice, "0")])
            uow.commit()

    with pytest.raises(ValidationError, match="Save it unapplied on its own job first") as refused:
        save(bath)
    assert "let the next sync take it off there" in str(refused.value)
    save(kitchen)  # as the message says: unapplied, on its own job
    office.sync()
    save(bath)  # then the move
    with office.db.reader() as uow:
        assert credit_memo_details.get_credit_memo(uow, credit_id).job_id == bath
    office.sync()
    assert office.alerts() == []


def test_a_credit_memo_linked_before_its_job_was_kept_still_moves_first(office: Office) -> None:
    _customer_id, _kitchen, bath, kitchen_invoice, credit_id = _applied_credit(office)
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, kitchen_invoice)
        uow.commit()
    office.sync()
    with office.db.uow() as uow:  # a link written by a JobDesk that did not keep whose credit it is
        link = uow.session.scalar(
            select(QbLink).where(QbLink.entity_type == "credit_memo", QbLink.entity_id == credit_id)
        )
        assert link is not None
        synced = json.loads(link.synced_values)
        del synced[WHOSE]
        link.synced_values = json.dumps(synced)
        uow.commit()
    bath_invoice = office.invoice(bath)
    _move(office, credit_id, bath)
    with office.db.uow() as uow:
        credit_applications.apply_credit(uow, credit_id, [(bath_invoice, "50.00")])
        uow.commit()
    office.sync()

    assert office.alerts() == []
    total, owed = office.owed(bath_invoice)
    assert owed == total - Decimal("50.00")


class _BusyAfterTheApplication:
    """QuickBooks does the message holding the credit's application, then the Web Connector
    reports a busy hresult: JobDesk cannot tell whether it was done, and looks it up."""

    def __init__(self, office: Office) -> None:
        self.qb = office.qb
        self.done = False

    def process(self, message: str) -> str:
        answer = self.qb.process(message)
        if not self.done and "<ReceivePaymentAddRq" in message:
            self.done = True
            busy = RuntimeError("QuickBooks is busy")
            busy.hresult = "0x80040408"  # type: ignore[attr-defined]  # (how the loopback reads it)
            raise busy
        return answer


def test_no_move_while_an_application_whose_answer_was_lost_is_still_to_be_looked_up(
    office: Office,
) -> None:
    _customer_id, _kitchen, bath, kitchen_invoice, credit_id = _applied_credit(office, sync=False)
    busy = _BusyAfterTheApplication(office)
    run_session(office.engine, busy)
    assert busy.done and office.link("credit_application", credit_id) is None
    assert [item.phase for item in office.items_of("credit_application", credit_id)] == [Phase.VERIFY]
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, kitchen_invoice)
        uow.commit()
    with pytest.raises(ValidationError, match="still applied to invoices in QuickBooks"):
        _move(office, credit_id, bath)


def test_the_move_refused_while_the_lookup_waits_for_a_person_says_to_answer_its_alert(
    office: Office,
) -> None:
    """Unapplied here after a lost answer, the credit's lookup in QuickBooks then stops at an
    alert: the next sync does nothing for it until a person answers that alert, so the move's
    refusal says so (not "let the next sync take it off")."""
    _customer_id, _kitchen, bath, kitchen_invoice, credit_id = _applied_credit(office, sync=False)
    run_session(office.engine, _BusyAfterTheApplication(office))
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, kitchen_invoice)
        uow.commit()
    run_session(office.engine, QueryRefused(office, "ReceivePaymentQuery"))
    # (The unapplication, saved while the lookup was to go, is noted as merged into its item.)
    (item,) = [i for i in office.items_of("credit_application", credit_id) if i.state != QueueState.CANCELLED]
    assert (item.phase, item.state) == (Phase.VERIFY, QueueState.ATTENTION)
    (alert,) = [a for a in office.alerts() if a.entity_type == "credit_application"]
    assert alert.state == "open"
    with pytest.raises(ValidationError, match="its alert in the Sync centre needs an answer first"):
        _move(office, credit_id, bath)
