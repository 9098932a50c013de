"""A record's lost Add, whose lookup QuickBooks refused (an alert), voided or deleted here and
the alert dismissed (in either order), or the dismissal undone after a newer change: the
record is looked up first and every change saved reaches QuickBooks once; a voided record
is never left live there; a found record's alert closes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.errors import InvalidTransition
from desktop_app.services import credit_memos, invoices, payments, sync_center, sync_queue
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_changed_while_looked_up import _memo, _requests_sent
from tests.integration.sync.test_credit_memo_sync import _credit_in_quickbooks
from tests.integration.sync.test_dismissed_while_looked_up import (
    _dismiss_the_open_alert,
    _payment_lookup_refused,
    _sync_until_quiet,
)
from tests.integration.sync.test_voided_after_dismissal import _credit_add_answer_lost
from tests.integration.sync.test_voided_while_looked_up import _add_answer_lost


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
    payment_id, _invoice_id = _payment_lookup_refused(office)
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


def test_the_lookup_made_for_a_void_after_a_dismissal_says_dismissing_it_gives_the_void_up(
    office: Office,
) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    _dismiss_the_open_alert(office)
    _void(office, invoice_id)  # looked up first again (the Add may be there)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    (message,) = _open_alerts(office)
    assert "dismissing the alert gives that up too" in message
    _dismiss_the_open_alert(office)
    _sync_until_quiet(office)

    assert _open_alerts(office) == []
    (void,) = [i for i in office.items_of("invoice", invoice_id) if i.action == "void"]
    assert void.state == "cancelled" and "dismissed the lookup it waited on" in void.note


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


@pytest.mark.parametrize("there", [True, False], ids=["found", "not there after all"])
def test_the_refused_lookups_alert_closes_when_a_change_asks_again(office: Office, there: bool) -> None:
    invoice_id = _add_answer_lost(office)
    run_session(office.engine, QueryRefused(office, "InvoiceQuery"))
    if not there:
        office.qb.state.invoices.clear()  # as if QuickBooks had not saved it
    _memo(office, invoice_id, "Gate code 4411")
    (closed,) = office.alerts()
    assert closed.state == "resolved" and closed.resolution == sync_queue.ASKED_AGAIN
    sent = _requests_sent(office)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.data.get("Memo") == "Gate code 4411"
    assert sent.count("InvoiceAddRq") == (0 if there else 1)
    assert _open_alerts(office) == []


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


def test_a_void_is_given_up_when_the_lookup_made_again_for_it_is_dismissed_too(office: Office) -> None:
    """QuickBooks refuses every lookup: the void's lookup is made again once, by itself; its
    alert says that dismissing it gives the void up, and dismissed, nothing more is asked."""
    invoice_id = _add_answer_lost(office)
    refusing = QueryRefused(office, "InvoiceQuery")
    run_session(office.engine, refusing)
    _void(office, invoice_id)
    _dismiss_the_open_alert(office)
    run_session(office.engine, refusing)  # the lookup made again for the void: refused again
    (message,) = _open_alerts(office)
    assert "dismissing the alert gives that up too" in message
    _dismiss_the_open_alert(office)
    for _session in range(3):
        run_session(office.engine, refusing)

    assert _open_alerts(office) == []
    assert not office.engine._anything_sendable()
    (void,) = [i for i in office.items_of("invoice", invoice_id) if i.action == "void"]
    assert void.state == "cancelled" and "dismissed the lookup it waited on" in void.note
    (invoice,) = office.qb.invoices
    assert not invoice.is_void  # left as it is there: the person was told to void it by hand


def test_undoing_the_dismissal_that_gave_a_void_up_brings_the_void_back(office: Office) -> None:
    invoice_id = _add_answer_lost(office)
    refusing = QueryRefused(office, "InvoiceQuery")
    run_session(office.engine, refusing)
    _dismiss_the_open_alert(office)
    _void(office, invoice_id)
    run_session(office.engine, refusing)  # the lookup made for the void: refused
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    _dismiss_the_open_alert(office)  # gives the void up, as its alert said
    with office.db.uow() as uow:
        sync_center.undo_dismiss(uow, alert.id)
        uow.commit()
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices
    assert invoice.is_void  # found, then voided there too
    assert _open_alerts(office) == []
