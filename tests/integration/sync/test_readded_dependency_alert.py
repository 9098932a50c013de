"""QuickBooks refuses a record for another it refers to (a 3140 naming it): the sync adds that
one again, unless its own change waits for a person. Then it is left exactly as it is (its
link, its alert, its item waiting) and the refused record gets an alert saying to settle that
one first: re-adding it would decide for the person (a value typed in QuickBooks overwritten
by ours), and taking it out of "attention" left its alert open on an item that moved on.
Runs four ways: one message or one request a message, planning in turn or ahead."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from desktop_app.db.models import Customer
from desktop_app.services import customers, settings, sync_center, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office

_FOUR_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["one message", "a request a message", "one message, planned ahead", "a request a message, ahead"],
)


def _as_configured(office: Office, per_message: int, plan_ahead: bool) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()


class _RefusesCustomerMods:
    """QuickBooks refuses every CustomerMod (3170): the customer's change waits for a person."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        return re.sub(
            r'<CustomerModRs requestID="([^"]+)"[^>]*?(?:/>|>.*?</CustomerModRs>)',
            lambda found: (
                f'<CustomerModRs requestID="{found.group(1)}" statusCode="3170" statusSeverity="Error" '
                'statusMessage="There was an error when modifying a Customer." />'
            ),
            response,
            flags=re.DOTALL,
        )


class _RefusesFirstJobAdd:
    """QuickBooks refuses the first Add of a job (a CustomerAdd with a ParentRef) with a 3140
    naming its customer's ListID, as if it had lost that customer; then does all as asked."""

    def __init__(self, office: Office, customer_list_id: str) -> None:
        self.office, self.list_id, self.refused = office, customer_list_id, 0

    def process(self, message: str) -> str:
        add = re.search(
            r'<CustomerAddRq requestID="([^"]+)">(?:(?!</CustomerAddRq>).)*<ParentRef>.*?</CustomerAddRq>',
            message,
            re.S,
        )
        if add is None or self.refused:
            return self.office.qb.process(message)
        self.refused += 1
        refused = (
            f'<CustomerAddRs requestID="{add.group(1)}" statusCode="3140" statusSeverity="Error" '
            f'statusMessage="There is an invalid reference to QuickBooks Customer &quot;{self.list_id}&quot; '
            'in the Customer. QuickBooks error message: Invalid argument." />'
        )
        rest = message.replace(add.group(0), "")
        if "requestID=" not in rest:
            return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{refused}</QBXMLMsgsRs></QBXML>'
        return self.office.qb.process(rest).replace("</QBXMLMsgsRs>", refused + "</QBXMLMsgsRs>")


def _new_job_refused_for_its_customer(office: Office, customer_id: int, list_id: str) -> int:
    """A new job of the customer, invoiced; QuickBooks refuses its Add naming the customer."""
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    office.invoice(job_id)
    quickbooks = _RefusesFirstJobAdd(office, list_id)
    report = run_session(office.engine, quickbooks, max_round_trips=40)
    assert report.round_trips < 40 and quickbooks.refused == 1
    return job_id


@_FOUR_WAYS
def test_a_record_waiting_for_a_person_is_not_added_again_for_another(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    _as_configured(office, per_message, plan_ahead)
    customer_id, _job, _invoice = office.invoiced_job()
    assert office.sync().percent == 100
    link = office.link("customer", customer_id)
    assert link is not None
    # A change QuickBooks refuses: the customer's item waits for a person, with an alert.
    with office.db.uow() as uow:
        customer = uow.session.scalars(select(Customer).where(Customer.id == customer_id)).one()
        customer.email = "ann@example.com"
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    run_session(office.engine, _RefusesCustomerMods(office), max_round_trips=20)
    (waiting,) = [a for a in office.alerts() if a.state == "open"]
    assert (waiting.entity_type, waiting.entity_id) == ("customer", customer_id)
    # A new job of that customer: QuickBooks says it does not accept the customer (3140).
    job_id = _new_job_refused_for_its_customer(office, customer_id, link.qb_id)
    # The customer is left as it was: linked, waiting, its alert open. The job says why it
    # was not saved and what to do first; nothing went round.
    again = office.link("customer", customer_id)
    assert again is not None and again.qb_id == link.qb_id
    assert office.items_of("customer", customer_id)[-1].state == "attention"
    alerts = {a.id: a for a in office.alerts() if a.state == "open"}
    assert waiting.id in alerts
    (for_job,) = [a for a in alerts.values() if a.id != waiting.id]
    assert (for_job.kind, for_job.entity_type, for_job.entity_id) == ("reference_waits", "job", job_id)
    assert "Smith, Ann" in for_job.message and "Settle that one first" in for_job.message
    assert len(office.qb.customers) == 2  # the customer and its first job: nothing added
    # The person settles the customer (Retry sends its change), then retries the job.
    for alert_id in (waiting.id, for_job.id):
        with office.db.uow() as uow:
            sync_center.resolve_alert(uow, alert_id, "retry")
            uow.commit()
    assert office.sync(max_round_trips=40).percent == 100
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert all(i.state == "done" for i in office.items_of("customer", customer_id))
    assert all(i.state == "done" for i in office.items_of("job", job_id))
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    assert ann.data.get("Email") == "ann@example.com"
    assert len(office.qb.customers) == 3 and len(office.qb.invoices) == 2


@_FOUR_WAYS
def test_an_edit_conflict_is_not_settled_by_a_refusal_of_another_record(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Both sides changed the email (an alert asks which to keep); a new job of the customer is
    refused naming it. QuickBooks' email stays, and the question stays open (found by review:
    re-adding the customer sent ours over theirs, nobody having chosen)."""
    _as_configured(office, per_message, plan_ahead)
    customer_id, _job, _invoice = office.invoiced_job()
    assert office.sync().percent == 100
    link = office.link("customer", customer_id)
    assert link is not None
    (qb_customer,) = [c for c in office.qb.customers if c.parent_id is None]
    office.qb_send(
        q.customer_mod(
            "m",
            qb_customer.list_id,
            qb_customer.edit_sequence,
            q.CustomerFields(name="", email="qb@example.com"),
        )
    )
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = detail.to_fields()
        changed = fields.__class__(**{**fields.__dict__, "email": "app@example.com"})
        customers.update_customer(uow, customer_id, detail.version, changed)
        uow.commit()
    office.sync()
    (conflict,) = [a for a in office.alerts() if a.state == "open"]
    assert conflict.kind == "edit_conflict"
    _new_job_refused_for_its_customer(office, customer_id, link.qb_id)
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    assert ann.data.get("Email") == "qb@example.com"
    still = next(a for a in office.alerts() if a.id == conflict.id)
    assert (still.state, still.resolution) == ("open", "")
    # Dismissing keeps QuickBooks' email, as the conflict alert says.
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, conflict.id, "dismiss")
        uow.commit()
    (for_job,) = [a for a in office.alerts() if a.state == "open"]
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, for_job.id, "retry")
        uow.commit()
    assert office.sync(max_round_trips=40).percent == 100
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    assert ann.data.get("Email") == "qb@example.com"
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert len(office.qb.invoices) == 2


class _RefusesEveryJobAdd:
    """QuickBooks refuses every Add of a job with a 3140 naming its customer's ListID, as it
    does for a customer made inactive there (it still has it); all else as asked."""

    def __init__(self, office: Office, customer_list_id: str) -> None:
        self.inner = _RefusesFirstJobAdd(office, customer_list_id)

    def process(self, message: str) -> str:
        self.inner.refused = 0
        return self.inner.process(message)


@_FOUR_WAYS
def test_a_record_quickbooks_still_has_keeps_what_was_typed_there(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """The customer is unlinked and added again for the refused job; QuickBooks still has it,
    so the Add meets its name and the same record is linked again, with what was agreed
    before: only what changed in JobDesk goes (nothing), never every field over a phone typed
    in QuickBooks (found by review). QuickBooks refusing the job again, a person is asked."""
    _as_configured(office, per_message, plan_ahead)
    customer_id, _job, _invoice = office.invoiced_job()
    assert office.sync().percent == 100
    link = office.link("customer", customer_id)
    assert link is not None
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    office.qb_send(
        q.customer_mod("m", ann.list_id, ann.edit_sequence, q.CustomerFields(name="", phone="555-0199"))
    )
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    office.invoice(job_id)
    report = run_session(office.engine, _RefusesEveryJobAdd(office, link.qb_id), max_round_trips=40)
    assert report.round_trips < 40
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    assert ann.data.get("Phone") == "555-0199"
    again = office.link("customer", customer_id)
    assert again is not None and again.qb_id == link.qb_id
    assert again.synced_values == link.synced_values
    assert all(i.state == "done" for i in office.items_of("customer", customer_id))
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert (alert.kind, alert.entity_type, alert.entity_id) == ("reference_refused", "job", job_id)
    assert "inactive" in alert.message


def _edit_email(office: Office, customer_id: int, email: str) -> None:
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = detail.to_fields()
        customers.update_customer(uow, customer_id, detail.version, dataclasses.replace(fields, email=email))
        uow.commit()


class _RefusesJobAddsWhileThePersonEdits(_RefusesEveryJobAdd):
    """As ``_RefusesEveryJobAdd``; at the first refusal a person changes the customer's email
    in JobDesk (typing while it syncs)."""

    def __init__(self, office: Office, customer_list_id: str, customer_id: int) -> None:
        super().__init__(office, customer_list_id)
        self.office, self.customer_id, self.edited = office, customer_id, False

    def process(self, message: str) -> str:
        answer = super().process(message)
        if self.inner.refused and not self.edited:
            _edit_email(self.office, self.customer_id, "app@example.com")
            self.edited = True
        return answer


def _email_typed_in_quickbooks(office: Office) -> None:
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    office.qb_send(
        q.customer_mod("m", ann.list_id, ann.edit_sequence, q.CustomerFields(name="", email="qb@example.com"))
    )


def _quickbooks_email(office: Office) -> str | None:
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    return ann.data.get("Email")


@_FOUR_WAYS
def test_a_field_changed_on_both_sides_of_a_record_found_again_asks_a_person(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Found again by name, the record gets back the EditSequence agreed before: the change
    that follows meets 3200 and both sides are compared, as on the usual path (found by
    review: with QuickBooks' current EditSequence, ours went over theirs, nobody asked)."""
    _as_configured(office, per_message, plan_ahead)
    customer_id, _job, _invoice = office.invoiced_job()
    assert office.sync().percent == 100
    link = office.link("customer", customer_id)
    assert link is not None
    _email_typed_in_quickbooks(office)
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    office.invoice(job_id)
    quickbooks = _RefusesJobAddsWhileThePersonEdits(office, link.qb_id, customer_id)
    assert run_session(office.engine, quickbooks, max_round_trips=40).round_trips < 40
    assert quickbooks.edited
    assert _quickbooks_email(office) == "qb@example.com"
    kinds = {(a.kind, a.entity_type) for a in office.alerts() if a.state == "open"}
    assert ("edit_conflict", "customer") in kinds


@_FOUR_WAYS
def test_a_record_being_re_read_is_not_unlinked_for_another(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """The customer's change met 3200 and its re-read is queued (or out) when the new job is
    refused naming it: the customer is not unlinked under it (that was taken for a deletion
    in QuickBooks, or lost what was agreed); the job waits for it (found by review)."""
    _as_configured(office, per_message, plan_ahead)
    customer_id, _job, _invoice = office.invoiced_job()
    assert office.sync().percent == 100
    link = office.link("customer", customer_id)
    assert link is not None
    _email_typed_in_quickbooks(office)
    _edit_email(office, customer_id, "app@example.com")
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    office.invoice(job_id)
    assert (
        run_session(office.engine, _RefusesEveryJobAdd(office, link.qb_id), max_round_trips=40).round_trips
        < 40
    )
    alerts = [(a.kind, a.entity_type) for a in office.alerts() if a.state == "open"]
    assert ("deleted_in_quickbooks", "customer") not in alerts
    assert ("edit_conflict", "customer") in alerts  # the 3200's question, asked as always
    assert _quickbooks_email(office) == "qb@example.com"
    again = office.link("customer", customer_id)
    assert again is not None and again.qb_id == link.qb_id
