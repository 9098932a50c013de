"""A record's lost Add, whose lookup QuickBooks refused (an alert), voided or deleted here and
the alert dismissed (in either order), or the dismissal undone after a newer change: the
record is looked up first and every change saved reaches QuickBooks once; a voided record
is never left live there; a found record's alert closes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from desktop_app.db.uow import Actor
from desktop_app.errors import InvalidTransition
from desktop_app.services import credit_memos, invoices, payments, sync_center, sync_queue
from desktop_app.services.invoice_edits import update_invoice
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import _credit_in_quickbooks
from tests.integration.sync.test_dismissed_while_looked_up import _dismiss_the_open_alert, _sync_until_quiet
from tests.integration.sync.test_payment_room import _paid
from tests.integration.sync.test_voided_after_dismissal import _credit_add_answer_lost
from tests.integration.sync.test_voided_while_looked_up import _add_answer_lost


def _requests_sent(office: Office) -> list[str]:
    sent: list[str] = []
    process = office.qb.process

    def recording(xml: str) -> str:
        sent.extend(tag for tag in re.findall(r"<(\w+Rq)\b", xml) if tag != "QBXMLMsgsRq")
        return process(xml)

    office.qb.process = recording  # type: ignore[method-assign]
    return sent


def _memo(office: Office, invoice_id: int, memo: str) -> None:
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        update_invoice(uow, invoice_id, memo=memo)
        sync_queue.send_records(uow, [("invoice", invoice_id)])
        uow.commit()


def _void(office: Office, invoice_id: int) -> None:
    with office.db.uow() as uow:
        invoices.void_invoice(uow, invoice_id, "billed twice")
        uow.commit()


def _open_alerts(office: Office) -> list[str]:
    return [a.message for a in office.alerts() if a.state == "open"]


def test_an_invoice_voided_then_its_lookup_dismissed_is_voided_in_quickbooks(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _void(office, invoice_id)
    _dismiss_the_open_alert(office)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.is_void
    assert _open_alerts(office) == []


def test_a_payment_deleted_then_its_lookup_dismissed_is_deleted_in_quickbooks(office: Office) -> None:
    customer_id, _job_id, invoice_id = office.invoiced_job("Page, Pat")
    office.sync()
    payment_id = _paid(office, customer_id, invoice_id, "850.00")
    office.qb.lose_next_response()
    office.sync()
    run_session(office.engine, QueryRefused(office, "ReceivePaymentQuery"))
    with office.db.uow() as uow:
        payments.delete_payment(uow, payment_id)
        uow.commit()
    _dismiss_the_open_alert(office)
    _sync_until_quiet(office)

    assert office.qb.payments == []


def test_a_credit_memo_voided_then_its_lookup_dismissed_is_voided_in_quickbooks(office: Office) -> None:
    credit_id, number = _credit_add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "CreditMemoQuery"))
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()
    _dismiss_the_open_alert(office)
    _sync_until_quiet(office)

    assert _credit_in_quickbooks(office, number).total_amount == Decimal("0.00")


def test_the_lookup_queued_again_for_a_void_and_dismissed_again_comes_back(office: Office) -> None:
    """Dismissing the lookup a void waits on cannot leave the invoice live in QuickBooks: the
    lookup is queued again; once QuickBooks answers it, the invoice is voided there."""
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    _void(office, invoice_id)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.is_void


@pytest.mark.parametrize("then", ["changed", "voided"])
def test_a_dismissal_cannot_be_undone_once_a_newer_item_took_its_work_over(office: Office, then: str) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    (alert,) = office.alerts()
    _dismiss_the_open_alert(office)
    if then == "changed":
        _memo(office, invoice_id, "Gate code 4411")
    else:
        _void(office, invoice_id)
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="now takes care of it"):
        sync_center.undo_dismiss(uow, alert.id)
    sent = _requests_sent(office)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    if then == "changed":
        assert invoice.data.get("Memo") == "Gate code 4411"
    else:
        assert invoice.is_void and "InvoiceModRq" not in sent
    assert _open_alerts(office) == []


def test_the_lookups_alert_closes_once_the_record_is_found(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _memo(office, invoice_id, "Gate code 4411")
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Gate code 4411"
    assert _open_alerts(office) == []
    (closed,) = office.alerts()
    assert closed.resolution == sync_queue.FOUND_THERE


def test_a_change_then_a_void_while_the_lookup_waits_sends_only_the_void(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    _memo(office, invoice_id, "Back gate")
    _void(office, invoice_id)
    sent = _requests_sent(office)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.is_void
    assert "InvoiceModRq" not in sent and sent.count("TxnVoidRq") == 1


def test_a_refused_lookup_says_the_record_may_be_in_quickbooks(office: Office) -> None:
    _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))

    (message,) = _open_alerts(office)
    assert "may already be in QuickBooks" in message and "was not saved" not in message
