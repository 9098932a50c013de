"""A credit applied in a QuickBooks that answers a credit-only payment "thin".

Intuit's SDK guide: a ReceivePaymentAdd that only sets credits may make no transaction,
only links between the credit memo and the invoices, and its answer may carry no record.
The simulator answers so with ``credit_links_only``. The credit is then applied there, once:
the item is done (never sent again, which would apply it twice), and what the SDK cannot do
afterwards (change or take back what it applied) is explained, never sent half-right.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from desktop_app.errors import InvalidTransition, PermissionDenied, ValidationError
from desktop_app.services import (
    credit_applications,
    credit_memo_details,
    credit_memos,
    invoice_edits,
    invoices,
    sync_center,
)
from desktop_app.services.credit_sync import LINKS_ONLY
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from qbwc_server.simulator import ResponseLostError
from qbwc_server.sync.decisions import LINKED_ONLY_NOTE
from qbwc_server.sync.loopback import run_session
from tests.conftest import OFFICE
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import _apply, _credit, _edit


def _credit_applied(office: Office) -> tuple[int, int, int, int]:
    """(customer, job, invoice, credit memo of $80.00 with $50.00 applied to the invoice)."""
    office.qb.credit_links_only = True
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = office.applied_credit(customer_id, job_id, invoice_id)
    return customer_id, job_id, invoice_id, credit_id


def _lose_next_request(office: Office) -> None:
    """The next message never reaches QuickBooks (the connection broke on the way there)."""
    company = office.qb
    real = company.process

    def lost(request_xml: str) -> str:
        company.process = real  # type: ignore[method-assign]
        raise ResponseLostError("The message never reached QuickBooks.")

    company.process = lost  # type: ignore[method-assign]


def _payment_requests(office: Office) -> list[str]:
    return [
        tag
        for request, _answer in office.qb.log
        for tag in ("ReceivePaymentAddRq", "ReceivePaymentModRq", "TxnDelRq")
        if f"<{tag}" in request
    ]


def test_a_thin_answer_applies_the_credit_once_and_the_item_is_done(office: Office) -> None:
    _customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()

    assert office.alerts() == []
    link = office.link("credit_application", credit_id)
    credit_link = office.link("credit_memo", credit_id)
    assert link is not None and credit_link is not None
    assert link.qb_id == LINKS_ONLY + credit_link.qb_id
    assert office.qb.payments == []  # QuickBooks made no payment: only links
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("50.00")
    done = [
        item.note
        for item in office.items_of("credit_application", credit_id)
        if item.state == QueueState.DONE
    ]
    assert done == [LINKED_ONLY_NOTE]
    # Never sent again (it would apply the credit a second time): nothing is left to send.
    office.sync()
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("50.00")


def test_taking_it_back_is_explained_and_nothing_half_right_is_sent(office: Office) -> None:
    _customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "20.00")
        uow.commit()
    office.sync()

    (alert,) = office.alerts()
    with office.db.reader() as uow:
        number = invoices.get_invoice(uow, invoice_id).number
    assert "the QuickBooks SDK cannot change what it applied" in alert.message
    assert f"$30.00 on invoice {number}" in alert.message
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]  # no Mod, no delete
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("50.00")


def test_voiding_it_frees_the_invoice_in_quickbooks_without_a_payment_to_delete(office: Office) -> None:
    _customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Entered twice")
        uow.commit()
    office.sync()

    assert office.alerts() == []
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    total, owed = office.owed(invoice_id)
    assert owed == total
    # The invoice changed after: QuickBooks' balance is checked against ours, the credit no
    # longer counted (voiding it there freed what it applied), so no difference is reported.
    with office.db.uow() as uow:
        invoice_edits.update_invoice(uow, invoice_id, memo="After the void")
        uow.commit()
    office.sync()
    assert office.alerts() == []


def test_it_cannot_move_to_another_job_and_the_message_says_what_to_do(office: Office) -> None:
    customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()
    other_job = office.finished_job(customer_id, office.labor(), name="Bath")
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id)
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        with pytest.raises(ValidationError, match="Void this credit memo and make a new one"):
            credit_memos.update_credit_memo(
                uow,
                credit_id,
                current.version,
                credit_memos.CreditMemoFields(
                    customer_id=customer_id,
                    job_id=other_job,
                    reason="warranty",
                    lines=(LineInput(quantity="1", item_id=office.labor(), rate="80.00"),),
                ),
            )


def test_a_lost_thin_answer_does_not_apply_the_credit_a_second_time(office: Office) -> None:
    """The answer to the credit-only payment is lost: JobDesk looks for its payment, finds none
    (QuickBooks made only links), and must not conclude that nothing happened: the credit memo's
    links in QuickBooks say it is applied. $40.00 of $80.00 applied: a second application would
    fit, so only JobDesk can keep it from being made."""
    office.qb.credit_links_only = True
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "80.00")
    office.sync()  # the credit memo is in QuickBooks, applied to nothing yet
    _apply(office, credit_id, invoice_id, "40.00")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks applies it; JobDesk never hears
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("40.00")

    office.sync()
    office.sync()

    assert office.alerts() == []
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("40.00")  # applied once, not twice
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    link = office.link("credit_application", credit_id)
    credit_link = office.link("credit_memo", credit_id)
    assert link is not None and credit_link is not None
    assert link.qb_id == LINKS_ONLY + credit_link.qb_id
    (item,) = office.items_of("credit_application", credit_id)
    assert item.state == QueueState.DONE


def test_a_lost_answer_whose_request_never_arrived_applies_the_credit_once(office: Office) -> None:
    """The message was lost before QuickBooks saw it: the credit memo has no links there, so
    the credit is applied after the lookup, once."""
    office.qb.credit_links_only = True
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "80.00")
    office.sync()
    _apply(office, credit_id, invoice_id, "40.00")
    _lose_next_request(office)
    office.sync()
    total, owed = office.owed(invoice_id)
    assert owed == total  # QuickBooks never had it

    office.sync()
    office.sync()

    assert office.alerts() == []
    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("40.00")
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    (item,) = office.items_of("credit_application", credit_id)
    assert item.state == QueueState.DONE


def test_a_change_made_in_quickbooks_by_hand_is_recorded_and_not_asked_for_again(office: Office) -> None:
    _customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "20.00")
        uow.commit()
    office.sync()
    (alert,) = office.alerts()
    assert (alert.kind, alert.resolutions) == ("by_hand", "done_there,retry,dismiss")
    assert "then press Done in QuickBooks here" in alert.message

    # Only an admin says QuickBooks has it (the person made it so there, as the alert said).
    with office.db.uow(OFFICE) as uow, pytest.raises(PermissionDenied):
        sync_center.resolve_alert(uow, alert.id, "done_there")
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "done_there")
        uow.commit()

    assert [(a.state, a.resolution) for a in office.alerts()] == [("resolved", "done_there")]
    office.sync()  # compared with the record as it is: they agree, nothing is sent
    states = [item.state for item in office.items_of("credit_application", credit_id)]
    assert states == [QueueState.DONE, QueueState.DONE]
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    # The credit memo changed in another way: where it applies is as QuickBooks has it now.
    _edit(office, credit_id, (("1", "80.00"),), memo="Goodwill, agreed by phone")
    office.sync()
    assert [a.state for a in office.alerts()] == ["resolved"]
    assert _payment_requests(office) == ["ReceivePaymentAddRq"]
    # A further change of where it applies is asked for again, from what QuickBooks has now.
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "10.00")
        uow.commit()
    office.sync()
    (again,) = [a for a in office.alerts() if a.state == "open"]
    assert again.kind == "by_hand" and "$20.00 on invoice" in again.message


def _applied_by_hand_in_quickbooks(
    office: Office, job_id: int, invoice_id: int, credit_id: int, amount: str
) -> None:
    """Someone in QuickBooks applies some of the credit to the invoice themselves."""
    invoice_link, credit_link, job_link = (
        office.link("invoice", invoice_id),
        office.link("credit_memo", credit_id),
        office.link("job", job_id),
    )
    assert invoice_link is not None and credit_link is not None and job_link is not None
    applied = q.CreditToInvoice(invoice_link.qb_id, (q.AppliedCredit(credit_link.qb_id, Decimal(amount)),))
    fields = q.CreditApplicationFields(customer=q.Ref.by_id(job_link.qb_id), applications=(applied,))
    (result,) = office.qb_send(q.credit_application_add("by-hand", fields)).values()
    assert not result.status.is_error


def _jobdesk_applications(office: Office) -> int:
    """ReceivePaymentAdds JobDesk sent (not the person's own in QuickBooks)."""
    return sum(
        1
        for request, _answer in office.qb.log
        if "<ReceivePaymentAddRq" in request and "by-hand" not in request
    )


def _resolve_the_open_alert(office: Office, resolution: str) -> None:
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, resolution)
        uow.commit()


def _partly_applied_there(office: Office) -> tuple[int, int]:
    """A $300.00 credit, $20.00 of it applied in QuickBooks by a person, then $40.00 applied
    here: (invoice, credit memo)."""
    office.qb.credit_links_only = True
    customer_id, job_id, invoice_id = office.invoiced_job("Lopez, Ana")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "300.00")
    office.sync()
    _applied_by_hand_in_quickbooks(office, job_id, invoice_id, credit_id, "20.00")
    _apply(office, credit_id, invoice_id, "40.00")
    return invoice_id, credit_id


def test_links_that_do_not_tell_whose_they_are_wait_for_a_person_who_says_done(office: Office) -> None:
    """The lost Add reached QuickBooks, but a person applied some of the same credit to the same
    invoice there: $60.00 of links, not the $40.00 sent. JobDesk cannot tell, so it asks, and
    never applies it again on a guess."""
    invoice_id, credit_id = _partly_applied_there(office)
    office.qb.lose_next_response()
    office.sync()
    office.sync()
    office.sync()

    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("60.00")  # not $100.00
    assert _jobdesk_applications(office) == 1
    (alert,) = office.alerts()
    # No Dismiss: left unsettled, a later edit would add the application again.
    assert (alert.kind, alert.resolutions) == ("by_hand", "done_there,send_anyway")
    assert "shows $60.00 of it applied to invoice" in alert.message
    assert "where JobDesk's application was $40.00" in alert.message
    with office.db.uow() as uow:  # the person finds JobDesk's $40.00 there
        sync_center.resolve_alert(uow, alert.id, "done_there")
        uow.commit()
    link = office.link("credit_application", credit_id)
    credit_link = office.link("credit_memo", credit_id)
    assert link is not None and credit_link is not None
    assert link.qb_id == LINKS_ONLY + credit_link.qb_id
    office.sync()
    assert _jobdesk_applications(office) == 1
    assert [a.state for a in office.alerts()] == ["resolved"]


def test_links_that_do_not_tell_whose_they_are_then_send_anyway_applies_it_once(office: Office) -> None:
    """The same, but JobDesk's Add never reached QuickBooks ($20.00 of links, the person's): the
    person says so (Send anyway) and it is applied, once."""
    invoice_id, credit_id = _partly_applied_there(office)
    _lose_next_request(office)
    office.sync()
    office.sync()
    (alert,) = office.alerts()
    assert "shows $20.00 of it applied to invoice" in alert.message
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "send_anyway")
        uow.commit()
    office.sync()

    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("60.00")
    assert _jobdesk_applications(office) == 1  # the first never reached QuickBooks
    assert office.link("credit_application", credit_id) is not None
    office.sync()
    assert _jobdesk_applications(office) == 1


def test_an_alert_the_credit_no_longer_needs_closes_and_cannot_be_recorded_after(office: Office) -> None:
    """Changed back here before anyone acted on it, the change the alert asked for is no longer
    wanted: the next sync closes it, and "Done in QuickBooks" cannot record stale values."""
    _customer_id, _job_id, invoice_id, credit_id = _credit_applied(office)
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "20.00")
        uow.commit()
    office.sync()
    (alert,) = office.alerts()
    _apply(office, credit_id, invoice_id, "20.00")  # back to $50.00, as QuickBooks has it
    office.sync()

    assert [(a.state, a.resolution) for a in office.alerts()] == [("resolved", "no_longer_needed")]
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="already closed"):
        sync_center.resolve_alert(uow, alert.id, "done_there")
    link = office.link("credit_application", credit_id)
    assert link is not None and json.loads(link.synced_values) == {str(invoice_id): "50.00"}


def test_done_in_quickbooks_after_a_lost_answer_asks_for_the_change_saved_since(
    office: Office,
) -> None:
    """Lowered to $30.00 here while its $40.00 Add was out (the answer lost): once a person says
    JobDesk's $40.00 is in QuickBooks, the change saved meanwhile is asked for, not dropped."""
    invoice_id, credit_id = _partly_applied_there(office)
    engine = office.engine
    engine.start_session("old")
    message = engine.next_request("old")
    assert "ReceivePaymentAddRq" in message
    office.qb.process(message)  # QuickBooks applies the $40.00; the answer never comes back
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "10.00")
        uow.commit()
    office.sync()
    office.sync()
    _resolve_the_open_alert(office, "done_there")
    office.sync()

    (asked,) = [a for a in office.alerts() if a.state == "open"]
    assert asked.kind == "by_hand" and "apply $30.00 on invoice" in asked.message
    assert _jobdesk_applications(office) == 1


@pytest.mark.parametrize("refused", ["ReceivePaymentQuery", "CreditMemoQuery"])
def test_dismissed_while_to_be_looked_up_a_later_edit_looks_first_and_never_applies_it_twice(
    office: Office, refused: str
) -> None:
    """Its Add's answer lost, its lookup refused by QuickBooks (an alert), the alert dismissed:
    the credit memo's next edit queues its application again, and that one looks first."""
    invoice_id, credit_id = _partly_applied_there(office)
    office.qb.lose_next_response()
    office.sync()  # QuickBooks applies JobDesk's $40.00; the answer never comes back
    run_session(office.engine, QueryRefused(office, refused))
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert "dismiss" in alert.resolutions.split(",")
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "dismiss")
        uow.commit()
    _edit(office, credit_id, (("1", "300.00"),), memo="Typo fixed")
    office.sync()
    office.sync()

    total, owed = office.owed(invoice_id)
    assert owed == total - Decimal("60.00")  # the person's $20.00 and JobDesk's $40.00, once
    assert _jobdesk_applications(office) == 1


def test_a_change_saved_while_the_unclear_alert_waits_is_asked_for_after_done(office: Office) -> None:
    """Lowered to $30.00 here while the alert about its lost $40.00 waited: after Done in
    QuickBooks (JobDesk's $40.00 is there), the $30.00 is asked for, not dropped."""
    invoice_id, credit_id = _partly_applied_there(office)
    office.qb.lose_next_response()
    office.sync()
    office.sync()
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, "10.00")
        uow.commit()
    office.sync()  # looked up again: still unclear
    _resolve_the_open_alert(office, "done_there")
    office.sync()

    (asked,) = [a for a in office.alerts() if a.state == "open"]
    assert asked.kind == "by_hand" and "apply $30.00 on invoice" in asked.message
    assert _jobdesk_applications(office) == 1
