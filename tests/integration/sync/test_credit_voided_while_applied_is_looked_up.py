"""A credit memo voided while the $0.00 payment applying it, whose answer was lost, is to be
looked up (waiting, or its lookup dismissed): the payment may be in QuickBooks, so it is
looked up first; found, it is deleted before the credit memo is voided, as a linked one is.
Nothing applying a void credit is left in QuickBooks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import credit_memos
from qbwc_server.sync.loopback import run_session
from qbwc_server.sync.refusals import recover
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import _apply, _credit
from tests.integration.sync.test_dismissed_while_looked_up import _dismiss_the_open_alert, _sync_until_quiet


def _applied_answer_lost(office: Office) -> int:
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "300.00")
    office.sync()
    _apply(office, credit_id, invoice_id, "40.00")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks saves the $0.00 payment applying $40.00; its answer is lost
    with office.db.uow() as uow:
        item = uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "credit_application")).one()
        recover(uow.session, item, "looked up before it goes again")
        uow.commit()
    assert len(office.qb.payments) == 1
    return credit_id


@pytest.mark.parametrize("dismissed", [False, True], ids=["waiting", "after a dismissal"])
def test_the_payment_applying_a_voided_credit_is_deleted_once_found(office: Office, dismissed: bool) -> None:
    credit_id = _applied_answer_lost(office)
    if dismissed:
        run_session(office.engine, QueryRefused(office, "ReceivePaymentQuery"))
        _dismiss_the_open_alert(office)
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()
    _sync_until_quiet(office)

    assert office.qb.payments == []
    assert [a for a in office.alerts() if a.state == "open"] == []


def test_a_refused_lookup_of_the_payment_says_what_dismissing_it_leaves_in_quickbooks(office: Office) -> None:
    credit_id = _applied_answer_lost(office)
    refusing = QueryRefused(office, "ReceivePaymentQuery")
    run_session(office.engine, refusing)
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()
    run_session(office.engine, refusing)

    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert "the void goes without deleting the $0.00 payment" in alert.message
