"""The first sync into a strict, bare QuickBooks Desktop, over real HTTP, and the faults
that stop the peer products: one bad request, a lost answer, a second Web Connector, an
answer that is not what the engine expects. QuickBooks here is the strict simulator
(rules read from Intuit's files when present), with no sales-tax item of its own."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.models import Invoice
from desktop_app.db.sync_models import Alert
from desktop_app.db.uow import Database
from desktop_app.demo.generator import CompanySize, generate_company
from desktop_app.services import customers, invoices, items, jobs, payments, settings
from desktop_app.services.lines import LineInput
from desktop_app.services.sync_queue import queue_counts, send_everything_pending
from qbwc_server.server import EmbeddedServer
from qbwc_server.simulator import QuickBooksCompany, RequestProcessorError
from qbwc_server.simulator.webconnector import WebConnector
from tests.qbwc_fakes import PASSWORD, USER, set_password
from tests.sync_compare import differences

SIZE = CompanySize(customers=8, jobs=10, items=6, invoices=12, payments=8)
DAY = date(2026, 3, 2)
#: Customers an office really has: every character XML and QuickBooks make hard.
HARD_NAMES = (
    ("Smith & Sons <Plumbing>", "", ""),
    ('O\'Brien "Patch" Repairs', "Pavel", "O'Brien"),
    ("Gonçalves, Zoë", "Zoë", "Gonçalves"),
    ("Café 🍰 Müller", "", ""),
    ("Núñez-Ibáñez Renovations, Inc.", "Iñigo", "Núñez"),
)
#: As long as a job name may be (41, QuickBooks' limit for a name).
LONG_JOB = "Kitchen remodel - cabinets & <backsplash>!"[:41]


def _hard_customers(db: Database) -> list[int]:
    """Customers with mobile numbers and hard names, each with a taxed, invoiced job."""
    made = []
    with db.uow() as uow:
        paint = items.create_item(
            uow,
            items.ItemFields(
                kind="material", name="Paint & Primer", unit_price=Decimal("41.35"), taxable=True
            ),
        )
        for n, (display, first, last) in enumerate(HARD_NAMES):
            customer = customers.create_customer(
                uow,
                customers.CustomerFields(
                    display_name=display,
                    first_name=first,
                    last_name=last,
                    mobile_phone=f"(916) 555-01{n:02d}",
                    email=f"office{n}@example.com",
                    bill_street=f"{n + 1} Rue de l'Église",
                    bill_city="Sacramento",
                    bill_state="CA",
                    bill_zip="95814",
                ),
            )
            name = LONG_JOB if n == 0 else f"Repaint “{display[:10]}”"
            job = jobs.create_job(
                uow,
                jobs.JobFields(
                    customer_id=customer.id,
                    name=name,
                    lines=(LineInput(quantity=f"{n + 3}.5", item_id=paint.id),),
                ),
            )
            started = jobs.start_job(uow, job.id, job.version, on=DAY)
            jobs.finish_job(uow, job.id, started.version, on=DAY)
            invoice = invoices.create_invoice(uow, job.id, today=DAY)
            invoices.issue_invoice(uow, invoice.id, on=DAY)
            made.append(customer.id)
        uow.commit()
    return made


@pytest.fixture
def office(db: Database) -> Database:
    generate_company(db, SIZE, seed=3)
    _hard_customers(db)
    set_password(db)
    with db.uow() as uow:
        assert send_everything_pending(uow) > 0
        uow.commit()
    return db


def connector(server: EmbeddedServer, quickbooks: object) -> WebConnector:
    return WebConnector(server.url, USER, PASSWORD, quickbooks, company_file=QuickBooksCompany().file_path)  # type: ignore[arg-type]


def _alerts(db: Database) -> list[Alert]:
    with db.reader() as uow:
        found = list(uow.session.scalars(select(Alert).where(Alert.state == "open")))
        uow.session.expunge_all()
        return found


def _no_duplicates(quickbooks: QuickBooksCompany) -> None:
    names = Counter(quickbooks.full_name(c) for c in quickbooks.customers)
    assert all(n == 1 for n in names.values()), names
    numbers = Counter(i.ref_number for i in quickbooks.invoices if not i.is_void)
    assert all(n == 1 for n in numbers.values()), numbers


def _idle(db: Database) -> None:
    with db.reader() as uow:
        counts = queue_counts(uow)
    assert set(counts) <= {"done", "cancelled"}, counts


def test_the_demo_company_with_hard_names_syncs_into_a_bare_strict_quickbooks(office: Database) -> None:
    quickbooks = QuickBooksCompany()
    assert quickbooks.find_list("ItemSalesTax", "State Tax") is None  # a bare company
    with EmbeddedServer(office, "localhost", 0) as server:
        report = connector(server, quickbooks).run_session()
        assert report.outcome == "done", report.summary()
        assert _alerts(office) == []
        _idle(office)
        _no_duplicates(quickbooks)
        assert differences(office, quickbooks) == []  # every record, every total to the cent
        with office.reader() as uow:
            ours = {i.number: i.total - i.deposit_credit for i in uow.session.scalars(select(Invoice))}
        assert {i.ref_number: i.total for i in quickbooks.invoices} == {
            n: t for n, t in ours.items() if n in {i.ref_number for i in quickbooks.invoices}
        }
        # The hard names arrived exactly as typed, and mobiles where QuickBooks Desktop keeps them.
        for display, _, _ in HARD_NAMES:
            found = quickbooks.find_list("Customer", display)
            assert found is not None, display
            assert found.data.get("AdditionalContactRef/ContactName") == "Mobile"
            assert found.data.get("AdditionalContactRef/ContactValue", "").startswith("(916) 555-01")
        assert connector(server, quickbooks).run_session().outcome == "none"


class RefusesOne:
    """QuickBooks whose request processor cannot parse any message holding ``marker``."""

    def __init__(self, company: QuickBooksCompany, marker: str) -> None:
        self.company, self.marker, self.refused = company, marker, 0
        self.file_path = company.file_path

    def process(self, request_xml: str) -> str:
        if self.marker in request_xml and "HostQueryRq" not in request_xml:
            self.refused += 1
            raise RequestProcessorError(f"holds {self.marker}")
        return self.company.process(request_xml)


def test_a_message_with_one_bad_request_lets_the_rest_arrive_and_alerts_once(office: Database) -> None:
    quickbooks = QuickBooksCompany()
    bad = "Gonçalves, Zoë"
    with EmbeddedServer(office, "localhost", 0) as server:
        report = connector(server, RefusesOne(quickbooks, f"<Name>{bad}</Name>")).run_session()
        assert report.outcome == "done", report.summary()
        assert -1 not in report.percents  # the session never failed
    (alert,) = [a for a in _alerts(office) if a.kind == "message_refused"]
    assert bad in alert.record_label and "0x80040400" in alert.qb_message
    assert quickbooks.find_list("Customer", bad) is None
    assert quickbooks.find_list("Customer", "Café 🍰 Müller") is not None
    # Everything not waiting on the bad customer arrived: the others' invoices are all there.
    _no_duplicates(quickbooks)
    with office.reader() as uow:
        waiting = set(queue_counts(uow)) - {"done", "cancelled"}
    assert waiting <= {"attention", "queued"}


class DiesAfter:
    """The Web Connector's PC stops after QuickBooks processed message ``n`` (no answer sent)."""

    class Died(BaseException):
        pass

    def __init__(self, company: QuickBooksCompany, n: int) -> None:
        self.company, self.n, self.seen = company, n, 0
        self.file_path = company.file_path

    def process(self, request_xml: str) -> str:
        response = self.company.process(request_xml)
        if "HostQueryRq" not in request_xml:
            self.seen += 1
            if self.seen == self.n:
                raise DiesAfter.Died
        return response


def _small_batches(db: Database) -> None:
    with db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 7)
        uow.commit()


def test_the_answer_to_message_2_lost_and_a_new_session_at_once(office: Database) -> None:
    _small_batches(office)
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(office, "localhost", 0) as server:
        with pytest.raises(DiesAfter.Died):
            connector(server, DiesAfter(quickbooks, 2)).run_session()
        report = connector(server, quickbooks).run_session()  # at once: never "busy"
        assert report.outcome == "done", report.summary()
        assert connector(server, quickbooks).run_session().outcome == "none"
    _idle(office)
    _no_duplicates(quickbooks)
    assert differences(office, quickbooks) == []


def test_a_second_web_connector_starting_mid_session_makes_no_duplicate(office: Database) -> None:
    _small_batches(office)
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(office, "localhost", 0) as server:

        class SecondStartsMidway:
            """On its 2nd message, another Web Connector runs a whole session first; then this
            message reaches QuickBooks and its answer comes back to the server."""

            file_path = quickbooks.file_path
            seen = 0

            def process(self, request_xml: str) -> str:
                if "HostQueryRq" not in request_xml:
                    self.seen += 1
                    if self.seen == 2:
                        second = connector(server, quickbooks).run_session()
                        assert second.outcome == "done", second.summary()
                return quickbooks.process(request_xml)

        first = connector(server, SecondStartsMidway()).run_session()
        assert "newer Web Connector session took over" in first.last_error
        connector(server, quickbooks).run_session()  # the next poll tidies up, if anything is left
        assert connector(server, quickbooks).run_session().outcome == "none"
    _idle(office)
    _no_duplicates(quickbooks)
    assert differences(office, quickbooks) == []


class Info3210ForPayments:
    """Answers the first payment Add of each message as seen in the wild: 3210, Info, no record."""

    def __init__(self, company: QuickBooksCompany) -> None:
        self.company = company
        self.file_path = company.file_path
        self.rewritten = 0

    def process(self, request_xml: str) -> str:
        response, count = re.subn(
            r'<ReceivePaymentAddRs requestID="([^"]+)"[^>]*>.*?</ReceivePaymentAddRs>',
            r'<ReceivePaymentAddRs requestID="\1" statusCode="3210" statusSeverity="Info" '
            r'statusMessage="The amount is more than the balance."/>',
            self.company.process(request_xml),
            count=1,
            flags=re.S,
        )
        self.rewritten += count
        return response


def test_a_3210_with_info_severity_is_an_alert_and_the_session_goes_on(office: Database) -> None:
    with office.uow() as uow:
        some_invoice = next(
            i
            for i in uow.session.scalars(select(Invoice).where(Invoice.status != "void"))
            if invoices.balance_of(uow, i) > 1
        )
        payments.record_payment(
            uow, some_invoice.customer_id, "1.00", "check", DAY, applications=[(some_invoice.id, "1.00")]
        )
        uow.commit()
    quickbooks = QuickBooksCompany()
    with EmbeddedServer(office, "localhost", 0) as server:
        answers = Info3210ForPayments(quickbooks)
        report = connector(server, answers).run_session()
        assert report.outcome == "done", report.summary()
    alerts = _alerts(office)
    assert answers.rewritten >= 1 and len(alerts) == answers.rewritten
    assert all(a.status_code == 3210 and a.entity_type == "payment" for a in alerts)
    _no_duplicates(quickbooks)
