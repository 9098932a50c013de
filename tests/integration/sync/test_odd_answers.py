"""Answers QuickBooks is not documented to give, taken as data: a request left out of the
answer, an Add answered under a requestID we never sent. Nothing is added twice, nothing of
someone else's is deleted, and a request that is never answered ends in an alert rather than
going round for ever. Each runs four ways: one message or one request a message, the engine
planning in turn or ahead."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from desktop_app.db.models import QbLink
from desktop_app.services import jobs, settings, sync_center, sync_queue
from desktop_app.services.lines import LineInput
from desktop_app.services.sync_queue import label_of
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import FINISHED, Office

_FOUR_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["one message", "a request a message", "one message, planned ahead", "a request a message, ahead"],
)
EMPTY = '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs></QBXMLMsgsRs></QBXML>'


def _as_configured(office: Office, per_message: int, plan_ahead: bool) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()


class _FirstAddAnsweredUnder:
    """QuickBooks does every request; the first InvoiceAdd's answer comes back under
    ``request_id`` (one never sent; "" leaves the attribute out)."""

    def __init__(self, office: Office, request_id: str) -> None:
        self.office, self.request_id, self.done = office, request_id, False

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        found = re.search(r'<InvoiceAddRs requestID="[^"]+"', response)
        if self.done or found is None:
            return response
        self.done = True
        new = f' requestID="{self.request_id}"' if self.request_id else ""
        return response.replace(found.group(0), f"<InvoiceAddRs{new}", 1)


@_FOUR_WAYS
@pytest.mark.parametrize("request_id", ["zz-1", ""], ids=["an unknown requestID", "no requestID"])
def test_an_add_whose_answer_is_under_another_request_id_is_not_added_twice(
    office: Office, per_message: int, plan_ahead: bool, request_id: str
) -> None:
    _as_configured(office, per_message, plan_ahead)
    _c, _j, invoice_id = office.invoiced_job()
    report = run_session(office.engine, _FirstAddAnsweredUnder(office, request_id), max_round_trips=40)
    assert report.percent == 100
    (invoice,) = office.qb.invoices  # looked up before it went again: found, linked
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id
    assert office.alerts() == []


@_FOUR_WAYS
def test_an_add_answered_under_a_request_id_of_another_record_deletes_nothing(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Invoice B's answer comes back under a requestID shaped like invoice A's (A is in
    QuickBooks, linked): it is not a second copy of A, and nothing is deleted."""
    _as_configured(office, per_message, plan_ahead)
    _c, _j, first = office.invoiced_job("Smith, Ann")
    office.sync()
    (first_item,) = office.items_of("invoice", first)
    for attempt in (first_item.attempts, 99):  # an attempt A made, one it never made
        _c, _j, later = office.invoiced_job(f"Jones {attempt}, Bob")
        run_session(office.engine, _FirstAddAnsweredUnder(office, f"{first_item.id}-{attempt}"))
        office.sync()
        assert [r for r, _a in office.qb.log if "TxnDelRq" in r] == []
        link = office.link("invoice", later)
        assert link is not None and link.qb_id in {i.txn_id for i in office.qb.invoices}
    assert len(office.qb.invoices) == 3 and not any(i.is_void for i in office.qb.invoices)
    link = office.link("invoice", first)
    assert link is not None and link.qb_id == office.qb.invoices[0].txn_id


class _LeavesOut:
    """QuickBooks leaves the CustomerAdd of ``name`` out of every answer (not done), or
    answers every message with nothing at all (``name`` None)."""

    def __init__(self, office: Office, name: str | None) -> None:
        self.office, self.name = office, name

    def process(self, message: str) -> str:
        if self.name is None:
            return EMPTY
        pattern = (
            rf'<CustomerAddRq requestID="[^"]+">(?:(?!</CustomerAddRq>).)*{self.name}.*?</CustomerAddRq>'
        )
        left_out = re.search(pattern, message, re.S)
        if left_out is None:
            return self.office.qb.process(message)
        rest = message.replace(left_out.group(0), "")
        return self.office.qb.process(rest) if "requestID=" in rest else EMPTY


@_FOUR_WAYS
@pytest.mark.parametrize("left_out", ["Bad Co", None], ids=["one request", "every request"])
def test_a_request_never_answered_ends_in_an_alert_and_the_rest_goes(
    office: Office, per_message: int, plan_ahead: bool, left_out: str | None
) -> None:
    _as_configured(office, per_message, plan_ahead)
    good, bad = office.customer("Good Co"), office.customer("Bad Co")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", good), ("customer", bad)])
        uow.commit()
    report = run_session(office.engine, _LeavesOut(office, left_out), max_round_trips=40)
    assert report.percent == 100 and report.round_trips < 40
    never = [bad] if left_out else [good, bad]
    alerts = [a for a in office.alerts() if a.state == "open"]
    assert sorted((a.kind, a.entity_id) for a in alerts) == sorted(("unanswered", n) for n in never)
    assert all("never added twice" in a.message for a in alerts)
    assert [c.name for c in office.qb.customers] == ([] if left_out is None else ["Good Co"])
    assert all(i.phase == "verify" for n in never for i in office.items_of("customer", n))


class _RefusesTheCustomer:
    """QuickBooks refuses every InvoiceAdd with a 3140 naming its Customer:Job, which is there
    (say, made inactive there): by the ListID sent, by its full name, or by a name it does
    not match (``named``: "" for the ListID)."""

    def __init__(self, office: Office, named: str) -> None:
        self.office, self.named, self.refused = office, named, 0

    def process(self, message: str) -> str:
        add = re.search(r'<InvoiceAddRq requestID="([^"]+)">.*?</InvoiceAddRq>', message, re.S)
        if add is None:
            return self.office.qb.process(message)
        self.refused += 1
        sent = re.search(r"<CustomerRef>\s*<(?:ListID|FullName)>([^<]*)<", add.group(0))
        ref = self.named or (sent.group(1) if sent else "")
        refused = (
            f'<InvoiceAddRs requestID="{add.group(1)}" statusCode="3140" statusSeverity="Error" '
            f'statusMessage="There is an invalid reference to QuickBooks Customer &quot;{ref}&quot; in the '
            'Invoice. QuickBooks error message: Invalid argument." />'
        )
        rest = message.replace(add.group(0), "")
        if "requestID=" not in rest:
            return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{refused}</QBXMLMsgsRs></QBXML>'
        return self.office.qb.process(rest).replace("</QBXMLMsgsRs>", refused + "</QBXMLMsgsRs>")


@_FOUR_WAYS
@pytest.mark.parametrize(
    "named",
    ["", "Smith, Ann:1000 Kitchen", "Smith, Ann:Kitchen"],
    ids=["by ListID", "by name", "another name"],
)
@pytest.mark.parametrize("sent_again_by", ["retry", "send"])
def test_a_reference_quickbooks_keeps_refusing_ends_in_an_alert(
    office: Office, per_message: int, plan_ahead: bool, named: str, sent_again_by: str
) -> None:
    """The Customer:Job is added again (QuickBooks may have lost it) and the invoice tried
    again; refused for it once more, the invoice waits for a person instead of going round
    for ever. Sent again by a person (the alert's Retry, or Send to QuickBooks on the record),
    it starts afresh."""
    _as_configured(office, per_message, plan_ahead)
    _c, job_id, invoice_id = office.invoiced_job()
    with office.db.reader() as uow:
        label_of_job = label_of(uow.session, "job", job_id)
    quickbooks = _RefusesTheCustomer(office, named)
    for session in (1, 2):
        report = run_session(office.engine, quickbooks, max_round_trips=60)
        assert report.percent == 100 and report.round_trips < 60
        (alert,) = [a for a in office.alerts() if a.state == "open"]
        assert (alert.kind, alert.entity_type, alert.entity_id) == (
            "reference_refused",
            "invoice",
            invoice_id,
        )
        assert f"after JobDesk sent {label_of_job} to QuickBooks again" in alert.message
        assert quickbooks.refused == 2 * session  # once, then once more after the re-add
        with office.db.uow() as uow:
            if sent_again_by == "retry":
                sync_center.resolve_alert(uow, alert.id, "retry")
            else:
                sync_queue.send_records(uow, [("invoice", invoice_id)])
                sync_center.resolve_alert(uow, alert.id, "dismiss")
            uow.commit()
    assert office.qb.invoices == [] and len(office.qb.customers) == 2  # no second customer or job


class _GarblesTheAnswerAbout:
    """QuickBooks does every request, but its answer about ``name`` cannot be read: the same
    requestID twice, or a statusCode that is not a number."""

    def __init__(self, office: Office, name: str, how: str) -> None:
        self.office, self.name, self.how = office, name, how

    def process(self, message: str) -> str:
        response = self.office.qb.process(message)
        asked = re.search(rf'<(\w+)Rq requestID="([^"]+)">(?:(?!</\1Rq>).)*{self.name}', message, re.S)
        if asked is None:
            return response
        request_id = re.escape(asked.group(2))
        answer = re.search(rf'<(\w+Rs) requestID="{request_id}".*?(?:/>|</\1>)', response, re.S)
        if answer is None:
            return response
        garbled = (
            answer.group(0) * 2
            if self.how == "twice"
            else re.sub(r'statusCode="\d+"', 'statusCode="OK"', answer.group(0))
        )
        return response.replace(answer.group(0), garbled)


@pytest.mark.parametrize("how", ["twice", "code"], ids=["answered twice", "a status that is not a number"])
def test_an_answer_jobdesk_cannot_read_is_explained_as_such(office: Office, how: str) -> None:
    """The alert must not send the user to QuickBooks' dialogs: QuickBooks did its part (the
    record is there, once); it is JobDesk that could not read the answer."""
    ids = [office.customer(name) for name in ("A Co", "Bad Co", "C Co")]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in ids])
        uow.commit()
    quickbooks = _GarblesTheAnswerAbout(office, "Bad Co", how)
    for _session in range(10):
        if any(a.state == "open" for a in office.alerts()):
            break
        run_session(office.engine, quickbooks, max_round_trips=40)
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.entity_id == ids[1]
    assert "could not read QuickBooks' answer" in alert.message and "never added twice" in alert.message
    assert "dialog" not in alert.message
    assert sorted(c.name for c in office.qb.customers) == ["A Co", "Bad Co", "C Co"]


def test_an_answer_no_item_waits_for_that_cannot_be_used_costs_only_itself(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer to a request of an earlier session (or one QuickBooks made up) is kept when it
    can be; if using it fails, the message's other answers are applied and the session goes on."""
    from qbwc_server.sync import late

    def broken(*_args: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(late, "late_answer", broken)
    good, other = office.customer("Good Co"), office.customer("Other Co")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", good), ("customer", other)])
        uow.commit()
    stray = (
        '<CustomerAddRs requestID="999-1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<CustomerRet><ListID>80000099-1</ListID><EditSequence>1</EditSequence><Name>Stray</Name>"
        "<FullName>Stray</FullName></CustomerRet></CustomerAddRs>"
    )

    class _WithAStrayAnswer:
        def process(self, message: str) -> str:
            answer = office.qb.process(message)
            return answer.replace("</QBXMLMsgsRs>", stray + "</QBXMLMsgsRs>")

    report = run_session(office.engine, _WithAStrayAnswer())
    assert report.percent == 100 and not report.broken
    assert office.link("customer", good) is not None and office.link("customer", other) is not None


@_FOUR_WAYS
def test_an_invoice_whose_job_and_items_quickbooks_lost_gets_them_re_added(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """QuickBooks lost the job and eleven items an invoice names (deleted there, or an older
    backup restored): each refusal names one, which is added again, and the invoice goes,
    however many there are."""
    _as_configured(office, per_message, plan_ahead)
    customer = office.customer("Smith, Ann")
    parts = [office.item(f"Part {n}", "10") for n in range(11)]
    with office.db.uow() as uow:
        job = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer,
                name="Kitchen",
                lines=tuple(LineInput(quantity="1", item_id=part) for part in parts),
            ),
        )
        started = jobs.start_job(uow, job.id, job.version, on=FINISHED)
        jobs.finish_job(uow, job.id, started.version, on=FINISHED)
        sync_queue.send_records(uow, [("item", part) for part in parts])
        uow.commit()
    office.sync()
    lost = [("job", job.id), *(("item", part) for part in parts)]
    with office.db.uow() as uow:
        for kind, record_id in lost:
            uow.session.execute(
                update(QbLink)
                .where(QbLink.entity_type == kind, QbLink.entity_id == record_id)
                .values(qb_id=f"GONE-{kind}-{record_id}")
            )
        uow.commit()
    invoice_id = office.invoice(job.id)
    assert office.sync(max_round_trips=150).percent == 100
    (invoice,) = office.qb.invoices
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == invoice.txn_id
    assert all((office.link(kind, n) or QbLink()).qb_id.startswith("GONE") is False for kind, n in lost)
    assert [a for a in office.alerts() if a.state == "open"] == []


class _LeavesOutThePull:
    """QuickBooks leaves every ReceivePaymentQuery (the pull of payments entered there) out of
    its answer."""

    def __init__(self, office: Office) -> None:
        self.office, self.pulls = office, 0

    def process(self, message: str) -> str:
        pull = re.search(
            r'<ReceivePaymentQueryRq requestID="[^"]+".*?</ReceivePaymentQueryRq>', message, re.S
        )
        if pull is None:
            return self.office.qb.process(message)
        self.pulls += 1
        rest = message.replace(pull.group(0), "")
        return self.office.qb.process(rest) if "requestID=" in rest else EMPTY


def test_a_payment_pull_never_answered_waits_for_a_person(office: Office) -> None:
    """The pull is queued by the engine itself whenever it is due: one that waits for a person
    (unanswered three times) must stay so, not be sent again in every message for ever."""
    office.invoiced_job()
    office.sync()  # the invoice is in QuickBooks: pulling payments is due from now on
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.payment_pull_done_at", "")
        uow.commit()
    quickbooks = _LeavesOutThePull(office)
    report = run_session(office.engine, quickbooks, max_round_trips=60)
    assert report.round_trips < 60 and quickbooks.pulls == 3
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert (alert.kind, alert.entity_type) == ("unanswered", "import")
    assert "3 times" in alert.message and "“Bring in payments entered in QuickBooks”" in alert.message
    # Nothing can go until a person acts: the Web Connector's next poll opens no session
    # (QuickBooks is not opened at every poll to send nothing), and even a session sends none.
    assert office.engine.has_work() is False
    run_session(office.engine, quickbooks, max_round_trips=60)
    assert quickbooks.pulls == 3
