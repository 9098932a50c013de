"""Changes whose answers are lost, and credit memos whose changes cross: QuickBooks ends as
JobDesk says, and keeps what someone else changed there.

A change whose answer is lost leaves what QuickBooks holds for the fields it changed
unknown: they are sent again, even when a person put back what was there before, while a
field someone changed in QuickBooks meanwhile stays as they left it. A credit lowered after being
unapplied, or raised and applied more, goes in the order QuickBooks accepts. A void of a
credit memo that never reached QuickBooks does not wait for it forever.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.db.sync_models import Alert
from desktop_app.services import (
    credit_applications,
    credit_memo_details,
    credit_memos,
    customers,
    invoices,
    settings,
    sync_center,
    sync_queue,
)
from desktop_app.services.credit_memo_form import save_credit_memo
from desktop_app.services.lines import LineInput
from desktop_app.services.queue_states import QueueState
from qbwc_server import qbxml as q
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office, QueryRefused
from tests.integration.sync.test_credit_memo_sync import (
    _apply,
    _credit,
    _credit_in_quickbooks,
    _edit,
    _owed_in_quickbooks,
    _Recorder,
)
from tests.integration.sync.test_status_codes import _customer_fields


def _credited(office: Office, invoice_id: int) -> Decimal:
    total, balance = _owed_in_quickbooks(office, invoice_id)
    return total - balance


def _unapply(office: Office, credit_id: int, invoice_id: int, amount: str | None = None) -> None:
    with office.db.uow() as uow:
        credit_applications.unapply_credit(uow, credit_id, invoice_id, amount)
        uow.commit()


def _number(office: Office, credit_id: int) -> str:
    with office.db.reader() as uow:
        return credit_memo_details.get_credit_memo(uow, credit_id).number


def _save_lowered(
    office: Office, credit_id: int, applications: list[tuple[int, str]]
) -> credit_memo_details.CreditMemoDetail:
    """One save of the credit memo window: the credit lowered to $40.00, applied as given."""
    with office.db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit_id)
        lowered = credit_memos.CreditMemoFields(
            customer_id=current.customer_id,
            job_id=current.job_id,
            reason=current.reason.value,
            credit_date=current.credit_date,
            memo=current.memo,
            lines=(LineInput(quantity="1", item_id=office.labor(), rate="40"),),
        )
        saved = save_credit_memo(uow, credit_id, current.version, lowered, applications)
        uow.commit()
    return saved


def test_an_application_changed_back_after_a_lost_answer_reaches_quickbooks(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    _unapply(office, credit_id, invoice_id, "20.00")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks applies 30.00 now; JobDesk never heard
    assert _credited(office, invoice_id) == Decimal("30.00")
    _apply(office, credit_id, invoice_id, "20.00")  # back to 50.00 here
    office.sync()
    assert office.alerts() == []
    assert _credited(office, invoice_id) == Decimal("50.00")


def test_a_credit_memo_changed_back_after_a_lost_answer_reaches_quickbooks(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())  # 85.00
    office.sync()
    _edit(office, credit_id, (("1", "60"),))
    office.qb.lose_next_response()
    office.sync()
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("60.00")
    _edit(office, credit_id, (("1", "85"),))  # as it was before
    office.sync()
    assert office.alerts() == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("85.00")


def test_a_customer_changed_back_after_a_lost_answer_reaches_quickbooks(office: Office) -> None:
    customer_id = office.customer("Moss, Kay", mobile_phone="555-0100")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()

    def phone(number: str) -> None:
        with office.db.uow() as uow:
            detail = customers.get_customer(uow, customer_id)
            fields = customers.CustomerFields(
                display_name=detail.display_name,
                first_name=detail.first_name,
                last_name=detail.last_name,
                mobile_phone=number,
            )
            customers.update_customer(uow, customer_id, detail.version, fields)
            uow.commit()

    phone("555-0199")
    office.qb.lose_next_response()
    office.sync()
    link = office.link("customer", customer_id)
    assert link is not None
    assert office.qb.state.lists[link.qb_id].data.get("AdditionalContactRef/ContactValue") == "555-0199"
    phone("555-0100")  # what QuickBooks had before the lost change
    office.sync()
    assert office.alerts() == []
    assert office.qb.state.lists[link.qb_id].data.get("AdditionalContactRef/ContactValue") == "555-0100"


def test_a_field_changed_in_quickbooks_after_a_lost_answer_stays(office: Office) -> None:
    customer_id = office.customer("Moss, Kay", email="old@example.com")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()
    _customer_fields(office, customer_id, email="new@example.com")
    office.qb.lose_next_response()
    office.sync()  # QuickBooks has the new email; JobDesk never heard
    (theirs,) = office.qb.customers
    phone = q.CustomerFields(name="", phone="555-0199")  # someone in QuickBooks sets the phone
    office.qb_send(q.customer_mod("m", theirs.list_id, theirs.edit_sequence, phone))
    office.sync()
    assert office.alerts() == []
    (theirs,) = office.qb.customers
    assert (theirs.data.get("Phone"), theirs.data.get("Email")) == ("555-0199", "new@example.com")


def test_a_credit_unapplied_with_a_lost_answer_then_applied_again_is_applied_anew(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "50.00")
    office.sync()
    _unapply(office, credit_id, invoice_id)
    office.qb.lose_next_response()
    office.sync()  # QuickBooks deleted the $0.00 payment; JobDesk never heard
    _apply(office, credit_id, invoice_id, "10.00")
    office.sync()
    assert office.alerts() == []
    assert _credited(office, invoice_id) == Decimal("10.00")
    assert office.link("credit_application", credit_id) is not None


def test_a_credit_unapplied_then_lowered_goes_in_the_order_quickbooks_accepts(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())  # 85.00
    _apply(office, credit_id, invoice_id, "85.00")
    office.sync()
    _unapply(office, credit_id, invoice_id, "45.00")
    _edit(office, credit_id, (("1", "40"),))
    sent = _Recorder(office)
    run_session(office.engine, sent)
    order = [tag for message in sent.messages for tag in re.findall(r"<(\w+)Rq\b", message)]
    assert order.index("ReceivePaymentMod") < order.index("CreditMemoMod")
    assert office.alerts() == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("40.00")
    assert _credited(office, invoice_id) == Decimal("40.00")


def test_a_credit_raised_and_applied_more_goes_in_the_order_quickbooks_accepts(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())  # 85.00
    _apply(office, credit_id, invoice_id, "85.00")
    office.sync()
    _edit(office, credit_id, (("1", "120"),))
    _apply(office, credit_id, invoice_id, "35.00")
    sent = _Recorder(office)
    run_session(office.engine, sent)
    order = [tag for message in sent.messages for tag in re.findall(r"<(\w+)Rq\b", message)]
    assert order.index("CreditMemoMod") < order.index("ReceivePaymentMod")
    assert office.alerts() == []
    assert _credited(office, invoice_id) == Decimal("120.00")


def test_a_lowered_credit_waits_for_its_application_that_waits_for_a_new_invoice(office: Office) -> None:
    customer_id = office.customer("Kim, Hiro")
    job_id = office.finished_job(customer_id, office.labor())

    def progress_invoice() -> int:
        with office.db.uow() as uow:
            settings.set_setting(uow, "numbering.progress", True)
            made = invoices.create_progress_invoice(uow, job_id, percent="40", today=FINISHED).id
            invoices.issue_invoice(uow, made, on=FINISHED)
            uow.commit()
        return made

    first = progress_invoice()
    credit_id = _credit(office, customer_id, job_id, office.labor())  # 85.00
    _apply(office, credit_id, first, "85.00")
    office.sync()
    second = progress_invoice()  # not in QuickBooks yet: the application waits for it
    _save_lowered(office, credit_id, [(first, "20.00"), (second, "20.00")])
    sent = _Recorder(office)
    run_session(office.engine, sent)
    order = [tag for message in sent.messages for tag in re.findall(r"<(\w+)Rq\b", message)]
    assert order.index("InvoiceAdd") < order.index("ReceivePaymentMod") < order.index("CreditMemoMod")
    assert office.alerts() == []
    assert (_credited(office, first), _credited(office, second)) == (Decimal("20.00"), Decimal("20.00"))
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("40.00")


def test_one_save_may_lower_a_credit_and_what_it_applies(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())  # 85.00
    _apply(office, credit_id, invoice_id, "85.00")
    saved = _save_lowered(office, credit_id, [(invoice_id, "40.00")])
    assert saved.total == Decimal("40.00")
    assert [(a.invoice_id, a.amount) for a in saved.applications] == [(invoice_id, Decimal("40.00"))]


def _add_refused(office: Office, credit_id: int, *, meanwhile: Callable[[], None] = lambda: None) -> None:
    """The credit memo's Add goes out and QuickBooks refuses it (``meanwhile``: done while out)."""
    engine, ticket = office.engine, "refused"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    found = re.search(r'CreditMemoAddRq requestID="([^"]+)"', message)
    assert found is not None
    meanwhile()
    refused = (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs>'
        f'<CreditMemoAddRs requestID="{found.group(1)}" statusCode="3070" statusSeverity="Error" '
        'statusMessage="The string is too long."/></QBXMLMsgsRs></QBXML>'
    )
    engine.apply_response(ticket, refused)
    engine.end_session(ticket)


def _void(office: Office, credit_id: int) -> None:
    with office.db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit_id, reason="Not owed")
        uow.commit()


def test_voiding_a_credit_memo_whose_add_was_refused_closes_its_alert(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _add_refused(office, credit_id)
    (alert,) = office.alerts()
    _void(office, credit_id)
    with office.db.reader() as uow:
        closed = uow.session.get(Alert, alert.id)
        assert closed is not None and (closed.state, closed.resolution) == ("resolved", "no_longer_needed")
        # The audit trail says who closed it, and why, as for an alert closed in the sync centre.
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "sync_resolution").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.summary.startswith("No longer needed:")
        assert (entry.entity_type, entry.entity_id) == ("credit_memo", credit_id)
    office.sync()
    assert office.qb.state.credit_memos == {} and office.engine.has_work() is False


def test_a_void_waiting_for_a_refused_add_finishes_once_nothing_will_add_it(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    office.sync()
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _add_refused(office, credit_id, meanwhile=lambda: _void(office, credit_id))
    office.sync()
    (alert,) = office.alerts()
    void = next(i for i in office.items_of("credit_memo", credit_id) if i.action == "void")
    assert void.state == QueueState.QUEUED  # the Add waits for a person: so does its void
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()  # the Add: nothing to send (void); the void then has nothing to wait for
    assert office.engine.has_work() is True
    office.sync()
    states = {i.action: (i.state, i.note) for i in office.items_of("credit_memo", credit_id)}
    assert states["void"] == (QueueState.DONE, "Never reached QuickBooks: nothing there to undo.")
    assert office.qb.state.credit_memos == {}
    assert office.engine.has_work() is False


def test_a_credit_voided_while_quickbooks_applies_it_leaves_no_empty_payment(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    _apply(office, credit_id, invoice_id, "50.00")
    engine, ticket = office.engine, "applying"
    engine.start_session(ticket)
    message = engine.next_request(ticket)
    assert "ReceivePaymentAddRq" in message
    _void(office, credit_id)  # while QuickBooks applies it
    engine.apply_response(ticket, office.qb.process(message))
    engine.end_session(ticket)
    office.sync()
    assert office.alerts() == []
    assert list(office.qb.state.payments.values()) == []  # the $0.00 payment went too
    assert [c.is_void for c in office.qb.state.credit_memos.values()] == [True]
    assert _credited(office, invoice_id) == Decimal("0.00")


def test_cancelling_an_item_leaves_the_stuck_alert_that_names_it_open(office: Office) -> None:
    customer_id, job_id, _ = office.invoiced_job("Park, Jin")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    (item,) = office.items_of("credit_memo", credit_id)
    with office.db.uow() as uow:  # as the "sync is stuck" check raises it: the head of the queue
        stuck = Alert(
            sync_item_id=item.id,
            entity_type="credit_memo",
            entity_id=credit_id,
            record_label="Credit memo",
            kind="stuck",
            message="The sync is stuck.",
        )
        uow.session.add(stuck)
        uow.commit()
    _void(office, credit_id)
    assert [(a.kind, a.state) for a in office.alerts()] == [("stuck", "open")]


def _application_out_in_an_old_session(office: Office) -> tuple[int, int, str]:
    """$40.00 of a $300.00 credit applied here, its $0.00 payment handed to an old Web Connector
    session whose QuickBooks has not done it yet: (invoice, credit memo, that message)."""
    customer_id, job_id, invoice_id = office.invoiced_job("Lind, Bo")
    credit_id = _credit(office, customer_id, job_id, office.labor(), "300")
    office.sync()
    _apply(office, credit_id, invoice_id, "40.00")
    office.engine.start_session("old")
    message = office.engine.next_request("old")
    assert "ReceivePaymentAddRq" in message
    return invoice_id, credit_id, message


def test_a_late_answer_with_its_payment_is_linked_while_the_links_are_looked_at(office: Office) -> None:
    """The old session's $0.00 payment reaches QuickBooks only after the new session looked for
    it (none yet) and its look at the credit memo's links stopped at an alert. The old Web
    Connector's answer then names the payment: it is linked (its marker says it is ours), the
    alert closes, and the credit is never applied a second time."""
    invoice_id, credit_id, message = _application_out_in_an_old_session(office)
    engine = office.engine
    run_session(engine, QueryRefused(office, "CreditMemoQuery"), ticket="new")
    (item,) = office.items_of("credit_application", credit_id)
    assert (item.phase, item.state) == ("links", QueueState.ATTENTION)

    engine.apply_response("old", office.qb.process(message))  # QuickBooks does it now

    link = office.link("credit_application", credit_id)
    assert link is not None and link.qb_id == office.qb.payments[0].txn_id
    (item,) = office.items_of("credit_application", credit_id)
    assert item.state == QueueState.DONE
    assert [a.state for a in office.alerts() if a.entity_type == "credit_application"] == ["resolved"]
    office.sync()
    assert _credited(office, invoice_id) == Decimal("40.00")
    assert len(office.qb.payments) == 1


def test_a_change_saved_while_the_add_was_out_goes_after_a_late_answer_during_the_links_lookup(
    office: Office,
) -> None:
    """As above, with the credit lowered to $30.00 here while the Add was out: the late answer
    links the payment, and the change saved meanwhile still reaches QuickBooks."""
    invoice_id, credit_id, message = _application_out_in_an_old_session(office)
    engine = office.engine
    _unapply(office, credit_id, invoice_id, "10.00")
    run_session(engine, QueryRefused(office, "CreditMemoQuery"), ticket="new")
    engine.apply_response("old", office.qb.process(message))
    office.sync()
    office.sync()

    assert _credited(office, invoice_id) == Decimal("30.00")
    assert [a.state for a in office.alerts() if a.state == "open"] == []
    assert len(office.qb.payments) == 1


def test_a_change_saved_while_the_links_alert_waits_goes_after_a_late_answer(office: Office) -> None:
    """The links lookup refused (an alert), the credit lowered to $30.00 here meanwhile, then the
    old session's answer names the payment: linked, and the $30.00 still reaches QuickBooks."""
    invoice_id, credit_id, message = _application_out_in_an_old_session(office)
    engine = office.engine
    run_session(engine, QueryRefused(office, "CreditMemoQuery"), ticket="new")
    _unapply(office, credit_id, invoice_id, "10.00")
    engine.apply_response("old", office.qb.process(message))
    office.sync()

    assert _credited(office, invoice_id) == Decimal("30.00")
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert len(office.qb.payments) == 1
