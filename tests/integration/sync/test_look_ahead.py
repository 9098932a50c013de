"""Invoice numbers looked up one message ahead: the Add goes without a lookup step of its own,
and anything unusual falls back to that step, deciding exactly as it would."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from desktop_app.db.models import Invoice
from desktop_app.services import settings
from desktop_app.services.queue_states import NEEDS_ATTENTION
from qbwc_server.sync.kinds.invoice import InvoiceKind
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_grouped_lookups import _foreign_invoice, _numbers

_REQUEST = re.compile(r"<(\w+)Rq requestID=\"([^\"]+)\"")


def _requests(message: str) -> list[tuple[str, str]]:
    return _REQUEST.findall(message)


def _customers_then_invoices(office: Office, count: int, *, batch: int = 10) -> list[int]:
    """``count`` invoices whose customers and jobs are already in QuickBooks."""
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", batch)
        uow.commit()
    labor = office.labor()
    jobs = [office.finished_job(office.customer(f"Customer {n}"), labor) for n in range(count)]
    office.sync()  # customers, jobs and the item
    assert office.qb.invoices == [] and len(office.qb.customers) == 2 * count
    return [office.invoice(job_id) for job_id in jobs]


def _looked_up(message: str) -> set[str]:
    """The invoice numbers a message looks up (any InvoiceQuery by RefNumber)."""
    return {
        n.casefold()
        for query in re.findall(r"<InvoiceQueryRq .*?</InvoiceQueryRq>", message, re.S)
        for n in re.findall(r"<RefNumber>([^<]*)</RefNumber>", query)
    }


def test_invoices_looked_up_ahead_are_added_without_a_lookup_step(office: Office) -> None:
    # 40 invoices, 10 requests a message: the first message looks the first 27 up in their
    # own step (three items a request at most) and the other 13 ahead.
    ids = _customers_then_invoices(office, 40)
    office.qb.log.clear()
    office.sync()
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(_numbers(office), 1)
    assert all(office.link("invoice", n) is not None for n in ids)
    messages = [request for request, _ in office.qb.log]
    assert all(len(_requests(m)) <= 10 for m in messages)  # the batch size setting holds
    for number, message in enumerate(messages):
        added = {
            n.casefold() for n in re.findall(r"<InvoiceAdd>.*?<RefNumber>([^<]*)</RefNumber>", message, re.S)
        }
        earlier = set().union(*(_looked_up(m) for m in messages[:number]))
        assert added <= earlier, "every number is looked up before its invoice is added"
    attempts = Counter(office.items_of("invoice", n)[-1].attempts for n in ids)
    assert attempts[1] >= 10, attempts  # added straight away, without a lookup step of their own


def test_a_number_the_look_ahead_finds_stops_only_its_invoice(office: Office) -> None:
    ids = _customers_then_invoices(office, 40)
    numbers = _numbers(office)
    taken = numbers[-3]  # looked up ahead, not in the first message's own step
    _foreign_invoice(office, taken)
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict" and taken in alert.message
    (item,) = [i for n in ids for i in office.items_of("invoice", n) if i.state in NEEDS_ATTENTION]
    assert item.entity_id == ids[-3]
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(numbers, 1)


def test_an_invoice_renumbered_after_the_look_ahead_is_looked_up_again(office: Office) -> None:
    ids = _customers_then_invoices(office, 40)
    engine = office.engine
    engine.start_session("t")
    first = engine.next_request("t")
    renumbered = ids[-1]
    with office.db.reader() as uow:
        old_number = uow.session.get(Invoice, renumbered).number  # type: ignore[union-attr]
    assert any(rid.startswith("p") for _tag, rid in _requests(first)), "the first message looks ahead"
    assert old_number.casefold() in _looked_up(first)
    engine.apply_response("t", office.qb.process(first))
    with office.db.uow() as uow:
        invoice = uow.session.get(Invoice, renumbered)
        assert invoice is not None
        invoice.number = "R-77"
        uow.commit()
    _foreign_invoice(office, "R-77")  # the new number is taken in QuickBooks
    while message := engine.next_request("t"):
        if engine.apply_response("t", office.qb.process(message)) >= 100:
            break
    engine.end_session("t")
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict" and alert.entity_id == renumbered and "R-77" in alert.message
    assert [i.ref_number for i in office.qb.invoices].count("R-77") == 1


class _RefusesLookAheads:
    """QuickBooks answers every look-ahead with an error (the rest as usual)."""

    def __init__(self, office: Office) -> None:
        self.qb = office.qb
        self.refused = 0

    def process(self, request_xml: str) -> str:
        response = self.qb.process(request_xml)
        refused = re.sub(
            r'<InvoiceQueryRs requestID="(p[0-9-]+)"[^>]*?(/>|>.*?</InvoiceQueryRs>)',
            r'<InvoiceQueryRs requestID="\1" statusCode="3180" statusSeverity="Error" '
            r'statusMessage="There was an error when saving a Invoice list." />',
            response,
            flags=re.S,
        )
        self.refused += refused != response
        return refused


def test_a_refused_look_ahead_leaves_the_invoices_to_their_own_lookup(office: Office) -> None:
    ids = _customers_then_invoices(office, 40)
    numbers = _numbers(office)
    company = _RefusesLookAheads(office)
    assert run_session(office.engine, company).percent == 100
    assert company.refused >= 1
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(numbers, 1)
    assert all(office.link("invoice", n) is not None for n in ids)
    assert office.alerts() == []
    # Nothing was taken from a refused look-ahead: each invoice had its own lookup step.
    assert {office.items_of("invoice", n)[-1].attempts for n in ids} == {2}


def test_an_invoice_whose_list_record_is_added_in_the_same_message_waits_for_its_answer(
    office: Office,
) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 10)
        uow.commit()
    customer_id = office.customer("Fresh, Amy")
    job_id = office.finished_job(customer_id, office.labor())
    invoice_id = office.invoice(job_id)
    office.sync()
    adds = [
        [tag for tag, _rid in _requests(request)] for request, _ in office.qb.log if "InvoiceAddRq" in request
    ]
    (with_invoice,) = adds
    # Whatever list record it needs reached QuickBooks in an earlier message.
    assert set(with_invoice) == {"InvoiceAdd"}
    assert office.link("invoice", invoice_id) is not None


def test_a_look_ahead_answer_that_cannot_be_used_leaves_its_invoices_to_their_own_lookup(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong using a look-ahead's answer (here: taking in a number QuickBooks
    has raises) costs that look-ahead only: its invoices look their numbers up in their own
    step, the one concerned gets an alert there, the others go, and the session ends rather
    than sending the same look-ahead in every message."""
    ids = _customers_then_invoices(office, 40)
    numbers = _numbers(office)
    taken = numbers[-3]  # looked up ahead, not in the first message's own step
    _foreign_invoice(office, taken)

    def broken(self: InvoiceKind, session: Any, item: Any, records: Any) -> bool:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(InvoiceKind, "on_lookup", broken)
    report = office.sync(max_round_trips=60)
    assert report.percent == 100 and report.round_trips < 60
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.entity_id == ids[-3]
    others = [n for n in ids if n != ids[-3]]
    assert all(office.link("invoice", n) is not None for n in others)
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(numbers, 1)
