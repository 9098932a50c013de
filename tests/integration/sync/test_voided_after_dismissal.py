"""A record whose Add's answer was lost, whose lookup QuickBooks refused (an alert) and whose
alert a person dismissed, then voided (an invoice) or deleted (a payment) here: the Add may
be in QuickBooks, so the void or deletion looks the record up first; found, it is voided or
deleted there too (never left live in QuickBooks); not there, nothing is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import credit_memo_details, credit_memos, invoices, payments
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync.loopback import run_session
from qbwc_server.sync.refusals import recover
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import _credit, _credit_in_quickbooks
from tests.integration.sync.test_dismissed_while_looked_up import _dismiss_the_open_alert, _sync_until_quiet
from tests.integration.sync.test_payment_room import _paid
from tests.integration.sync.test_voided_while_looked_up import _add_answer_lost


@pytest.mark.parametrize("there", [True, False], ids=["in QuickBooks", "not there after all"])
def test_an_invoice_voided_after_its_lookup_was_dismissed(office: Office, there: bool) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    (saved,) = office.qb.invoices
    if not there:
        office.qb.state.invoices.clear()  # as if QuickBooks had not saved it
    with office.db.uow() as uow:
        invoices.void_invoice(uow, invoice_id, "billed twice")
        uow.commit()
    _sync_until_quiet(office)

    assert [a for a in office.alerts() if a.state == "open"] == []
    if there:
        (voided,) = office.qb.invoices
        assert voided.txn_id == saved.txn_id and voided.is_void
    else:
        assert office.qb.invoices == []


@pytest.mark.parametrize("there", [True, False], ids=["in QuickBooks", "not there after all"])
def test_a_payment_deleted_after_its_lookup_was_dismissed(office: Office, there: bool) -> None:
    customer_id, _job_id, invoice_id = office.invoiced_job("Page, Pat")
    office.sync()
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks saves the payment; its answer never comes back
    run_session(office.engine, QueryRefused(office, "ReceivePaymentQuery"))
    _dismiss_the_open_alert(office)
    assert len(office.qb.payments) == 1
    if not there:
        office.qb.state.payments.clear()  # as if QuickBooks had not saved it
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    _sync_until_quiet(office)

    assert [a for a in office.alerts() if a.state == "open"] == []
    assert office.qb.payments == []


def _credit_add_answer_lost(office: Office) -> tuple[int, str]:
    """A credit memo QuickBooks added, its answer lost; its item then waits to look it up."""
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.qb.lose_next_response()
    office.sync()
    with office.db.uow() as uow:
        item = uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "credit_memo")).one()
        assert (item.state, item.phase) == (QueueState.SENT, Phase.ADD)
        recover(uow.session, item, "looked up before it goes again")
        uow.commit()
        number = credit_memo_details.get_credit_memo(uow, credit_id).number
    return credit_id, number


@pytest.mark.parametrize("there", [True, False], ids=["in QuickBooks", "not there after all"])
@pytest.mark.parametrize("dismissed", [False, True], ids=["waiting", "after a dismissal"])
def test_a_credit_memo_voided_while_its_lost_add_is_to_be_looked_up(
    office: Office, dismissed: bool, there: bool
) -> None:
    credit_id, number = _credit_add_answer_lost(office)
    if dismissed:
        run_session(office.engine, QueryRefused(office, "CreditMemoQuery"))
        _dismiss_the_open_alert(office)
    if not there:
        office.qb.state.credit_memos.clear()  # as if QuickBooks had not saved it
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()
    _sync_until_quiet(office)

    assert [a for a in office.alerts() if a.state == "open"] == []
    if there:
        assert _credit_in_quickbooks(office, number).total_amount == Decimal("0.00")  # voided there
    else:
        assert office.qb.state.credit_memos == {}  # not added only to be voided
