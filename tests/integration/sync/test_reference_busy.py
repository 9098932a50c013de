"""A record refused (3140) for another whose own item is re-reading it (after a 3200) waits
a minute for that check, once. When the check itself cannot go (it waits behind a record
that waits for a person), the refused record is not sent again every minute, unexplained,
for as long as nobody acts (found by review): the second time, it gets an alert that says
which record to settle first. Runs four ways: one message or one request a message,
planning in turn or ahead."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import update

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import customers, invoices, jobs, settings, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office

_FOUR_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["50 in turn", "1 in turn", "50 ahead", "1 ahead"],
)


class _Quickbooks:
    """Ann's CustomerMod: not found (deleted there). Every InvoiceAdd/Mod: 3140 naming the job."""

    def __init__(self, office: Office, ann: str, bath: str) -> None:
        self.office, self.ann, self.bath, self.invoice_adds = office, ann, bath, 0

    def process(self, message: str) -> str:
        refused: list[str] = []
        for found in re.finditer(
            r'<(CustomerModRq|InvoiceAddRq|InvoiceModRq) requestID="([^"]+)">.*?</\1>', message, re.S
        ):
            tag, request_id, whole = found.group(1), found.group(2), found.group(0)
            if tag == "CustomerModRq" and f"<ListID>{self.ann}</ListID>" in whole:
                refused.append(
                    f'<CustomerModRs requestID="{request_id}" statusCode="3120" statusSeverity="Error" '
                    f'statusMessage="Object &quot;{self.ann}&quot; specified in the request cannot be '
                    'found." />'
                )
            elif tag.startswith("Invoice"):
                self.invoice_adds += 1
                refused.append(
                    f'<{tag[:-2]}Rs requestID="{request_id}" statusCode="3140" statusSeverity="Error" '
                    f'statusMessage="There is an invalid reference to QuickBooks Customer &quot;{self.bath}'
                    '&quot; in the Invoice. QuickBooks error message: Invalid argument." />'
                )
            else:
                continue
            message = message.replace(whole, "")
        if "requestID=" not in message:
            return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{"".join(refused)}</QBXMLMsgsRs></QBXML>'
        return self.office.qb.process(message).replace("</QBXMLMsgsRs>", "".join(refused) + "</QBXMLMsgsRs>")


@_FOUR_WAYS
def test_an_invoice_is_not_sent_every_minute_for_a_job_that_waits_for_a_person(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor(), name="Bath")
    invoice_id = office.invoice(job_id, issue=False)
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id), ("job", job_id)])
        uow.commit()
    assert office.sync().percent == 100
    ann, bath = office.link("customer", customer_id), office.link("job", job_id)
    assert ann is not None and bath is not None
    # The job changed in QuickBooks (its EditSequence moves) and in JobDesk: its Mod meets 3200.
    (qb_bath,) = [c for c in office.qb.customers if c.list_id == bath.qb_id]
    office.qb_send(
        q.customer_mod("m", qb_bath.list_id, qb_bath.edit_sequence, q.CustomerFields(name="", email="b@qb"))
    )
    with office.db.uow() as uow:
        detail = jobs.get_job(uow, job_id)
        jobs.update_job(uow, job_id, detail.version, dataclasses.replace(detail.to_fields(), name="Bath 2"))
        detail_c = customers.get_customer(uow, customer_id)
        customers.update_customer(
            uow, customer_id, detail_c.version, dataclasses.replace(detail_c.to_fields(), email="ann@x.com")
        )
        invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    quickbooks = _Quickbooks(office, ann.qb_id, bath.qb_id)
    for _minute in range(6):
        run_session(office.engine, quickbooks, max_round_trips=40)
        # A minute passes for the invoice (only its own wait is over; the rest still waits).
        with office.db.uow() as uow:
            uow.session.execute(
                update(SyncItem)
                .where(SyncItem.entity_type == "invoice", SyncItem.state == "queued")
                .values(next_attempt_at=None)
            )
            uow.commit()
    open_alerts = {(a.kind, a.entity_type): a for a in office.alerts() if a.state == "open"}
    assert ("deleted_in_quickbooks", "customer") in open_alerts
    # At most a couple of tries, then it waits with an alert saying what to settle first.
    assert quickbooks.invoice_adds <= 2
    if quickbooks.invoice_adds == 2:  # (one request a message in turn: the job's change never went)
        alert = open_alerts[("reference_waits", "invoice")]
        assert "still checking Job" in alert.message and "retry" in alert.message


def test_an_item_that_waited_once_names_only_records_sent_again(office: Office) -> None:
    """Its notes hold a wait ("busy:job:…") beside the records sent again ("job:…"): the
    alert after a second refusal names the job once, and reading the notes does not fail."""
    from qbwc_server.sync import references

    _customer_id, job_id, invoice_id = office.invoiced_job()
    answer = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><InvoiceAddRs requestID="1-1" statusCode="3140" '
        'statusSeverity="Error" statusMessage="There is an invalid reference to QuickBooks Customer '
        '&quot;Smith, Ann:Kitchen&quot; in the Invoice." /></QBXMLMsgsRs></QBXML>'
    )
    (result,) = q.parse_response(answer).values()
    with office.db.uow() as uow:
        (item,) = uow.session.query(SyncItem).filter(SyncItem.entity_type == "invoice").all()
        item.readded_references = f"busy:job:{job_id},job:{job_id}"
        references._refused_again(uow.session, item, f"Invoice {invoice_id}", result)
        uow.commit()
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.kind == "reference_refused"
    assert alert.message.count("Job ") == 1 and "busy" not in alert.message
