"""A record QuickBooks no longer has (a 3140 naming it) is added again by the sync. When its
own queue item was waiting for a person, the alert that asked the person is closed with it
and says why: it never stays open on an item the sync moved on (issue 18's "engine-queued
dependencies leave attention with their alert open"). Runs planning in turn and ahead."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desktop_app.db.models import Customer
from desktop_app.services import sync_queue
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office


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


@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_a_record_added_again_closes_the_alert_its_item_waited_on(office: Office, plan_ahead: bool) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
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
    assert office.items_of("customer", customer_id)[-1].state == "attention"
    # A new job of that customer: QuickBooks says it no longer has the customer (3140).
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    office.invoice(job_id)
    quickbooks = _RefusesFirstJobAdd(office, link.qb_id)
    report = run_session(office.engine, quickbooks, max_round_trips=40)
    assert report.percent == 100 and quickbooks.refused == 1
    # The customer was sent again (found under its name and linked), so was its change,
    # and the alert that waited for a person is closed, saying why.
    alerts = office.alerts()
    assert [a for a in alerts if a.state == "open"] == []
    (closed,) = [a for a in alerts if a.id == waiting.id]
    assert (closed.state, closed.resolution, closed.resolved_by) == ("resolved", "readded", "QuickBooks sync")
    assert "adding it again" in closed.tried
    assert all(i.state == "done" for i in office.items_of("customer", customer_id))
    assert [c.name for c in office.qb.customers if c.parent_id is None] == ["Smith, Ann"]
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    assert ann.data.get("Email") == "ann@example.com"  # the change that waited went too
    assert len(office.qb.invoices) == 2
