"""A batch's invoice-number lookups go as one InvoiceQuery; each invoice is decided on its own."""

from __future__ import annotations

from collections import Counter

from lxml import etree

from desktop_app.db.models import Invoice
from desktop_app.services import settings
from qbwc_server import qbxml as q
from qbwc_server.sync.check_groups import GROUP_MAX
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_status_codes import _foreign_invoice as _invoice_in_quickbooks


def _invoice_queries(office: Office) -> list[list[str]]:
    """The RefNumbers of every InvoiceQueryRq sent, one list per request."""
    found = []
    for request, _response in office.qb.log:
        root = etree.fromstring(request.encode())
        for query in root.iter("InvoiceQueryRq"):
            found.append([e.text or "" for e in query.findall("RefNumber")])
    return found


def _foreign_invoice(office: Office, ref: str) -> None:
    """Someone types an invoice of that number in QuickBooks (with its own customer and item)."""
    office.qb_send(
        q.item_add("l", q.ItemFields(name="Labor", income_account=q.Ref.by_name("Construction Income")))
    )
    _invoice_in_quickbooks(office, ref)
    assert any(i.ref_number == ref for i in office.qb.invoices)


def _numbers(office: Office) -> list[str]:
    with office.db.reader() as uow:
        return [i.number for i in uow.session.query(Invoice).order_by(Invoice.id)]


def _office_of(office: Office, count: int) -> list[int]:
    return [office.invoiced_job(f"Customer {n}")[2] for n in range(count)]


def test_the_numbers_of_a_batch_are_checked_in_one_request(office: Office) -> None:
    invoice_ids = _office_of(office, 5)
    office.sync()
    queries = _invoice_queries(office)
    assert queries == [_numbers(office)]  # one query, every number in it
    assert sorted(i.ref_number for i in office.qb.invoices) == sorted(_numbers(office))
    assert all(office.link("invoice", n) is not None for n in invoice_ids)
    assert office.alerts() == []


def test_a_number_quickbooks_uses_stops_only_its_own_invoice(office: Office) -> None:
    invoice_ids = _office_of(office, 4)
    numbers = _numbers(office)
    _foreign_invoice(office, numbers[2])  # someone typed it in QuickBooks
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict" and alert.entity_id == invoice_ids[2]
    assert numbers[2] in alert.message
    assert office.link("invoice", invoice_ids[2]) is None
    linked = [n for n in invoice_ids if office.link("invoice", n) is not None]
    assert linked == [invoice_ids[0], invoice_ids[1], invoice_ids[3]]
    # Exactly one invoice of each number: the foreign one and our three others.
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(numbers, 1)


def test_a_found_number_is_matched_without_regard_to_case(office: Office) -> None:
    invoice_ids = _office_of(office, 2)
    with office.db.uow() as uow:
        invoice = uow.session.get(Invoice, invoice_ids[1])
        assert invoice is not None
        invoice.number = "ab-7"
        uow.commit()
    _foreign_invoice(office, "AB-7")
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict" and alert.entity_id == invoice_ids[1]
    assert office.link("invoice", invoice_ids[0]) is not None


def test_a_group_holds_at_most_group_max_numbers(office: Office) -> None:
    _office_of(office, GROUP_MAX + 3)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 500)
        uow.commit()
    office.sync()
    sizes = sorted(len(numbers) for numbers in _invoice_queries(office))
    assert sizes == [3, GROUP_MAX]
    assert len(office.qb.invoices) == GROUP_MAX + 3


def test_lost_answers_to_a_grouped_lookup_and_its_adds_still_send_each_invoice_once(office: Office) -> None:
    _office_of(office, 4)
    for _ in range(6):
        office.qb.lose_next_response()
        office.sync()
        office.sync()
    for _ in range(3):
        office.sync()
    assert Counter(i.ref_number for i in office.qb.invoices) == dict.fromkeys(_numbers(office), 1)
    assert office.engine.has_work() is False
    assert [(a.kind, a.message) for a in office.alerts()] == []


class _LosesTheAddsAnswer:
    """QuickBooks does the first message of invoice adds, and its answer is lost."""

    def __init__(self, office: Office) -> None:
        self.qb = office.qb
        self.lost = False

    def process(self, request_xml: str) -> str:
        if not self.lost and "InvoiceAddRq" in request_xml:
            self.lost = True
            self.qb.lose_next_response()
        return self.qb.process(request_xml)


def test_a_lost_answer_to_invoice_adds_is_verified_in_one_grouped_lookup(office: Office) -> None:
    invoice_ids = _office_of(office, 3)
    company = _LosesTheAddsAnswer(office)
    assert run_session(office.engine, company).broken
    assert len(office.qb.invoices) == 3 and all(office.link("invoice", n) is None for n in invoice_ids)
    checked = len(_invoice_queries(office))
    office.sync()
    # The three are looked up together, found, and linked: none is added again.
    assert _invoice_queries(office)[checked:] == [_numbers(office)]
    assert len(office.qb.invoices) == 3
    assert all(office.link("invoice", n) is not None for n in invoice_ids)
    assert office.alerts() == [] and office.engine.has_work() is False
