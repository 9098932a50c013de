"""How records map to qbXML, as the reference products map them."""

from __future__ import annotations

from datetime import date

from lxml import etree

from desktop_app.db.models import Customer, Invoice, Job
from desktop_app.services import customers, invoices, jobs, locations, terms
from desktop_app.services.lines import LineInput
from qbwc_server import mapping as m
from tests.integration.sync.conftest import FINISHED, Office


def _xml(element: etree._Element) -> etree._Element:
    return element


def test_customer_phones_and_address_map_to_quickbooks_fields(office: Office) -> None:
    with office.db.uow() as uow:
        detail = customers.create_customer(
            uow,
            customers.CustomerFields(
                display_name="Lee, Bo", first_name="Bo", last_name="Lee", company="Lee LLC",
                mobile_phone="916-555-0001", home_phone="916-555-0002", work_phone="916-555-0003",
                email="bo@example.com", notes="Dog in yard", bill_street="1 Elm St", bill_unit="Apt 2",
                bill_city="Reno", bill_state="NV", bill_zip="89501", tax_exempt=True,
            ),
        )  # fmt: skip
        values = m.customer_values(uow.session.get(Customer, detail.id))  # type: ignore[arg-type]
    assert values["Mobile"] == "916-555-0001"
    assert values["Phone"] == "916-555-0002"  # home is the primary phone
    assert values["AltPhone"] == "916-555-0003"  # work is the alternate phone
    assert (values["BillAddress/Addr1"], values["BillAddress/Addr2"]) == ("1 Elm St", "Apt 2")
    assert values["SalesTaxCodeRef/FullName"] == "Non"
    assert values["Notes"] == "Dog in yard" and values["CompanyName"] == "Lee LLC"


def test_a_job_is_a_sub_customer_named_by_number_and_name(office: Office) -> None:
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor(), name="Deck")
    with office.db.reader() as uow:
        job = uow.session.get(Job, job_id)
        assert job is not None
        values = m.job_values(uow.session, job)
        assert m.job_full_name(uow.session, job) == "Smith, Ann:1000 Deck"
    assert values["Name"] == "1000 Deck" and values["ParentRef/FullName"] == "Smith, Ann"
    assert values["JobStatus"] == "Closed" and values["JobEndDate"] == FINISHED.isoformat()


def test_invoice_ship_address_terms_and_generic_item(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        location = locations.add_location(
            uow,
            customer_id,
            locations.LocationFields(name="Cabin", street="9 Pine Rd", city="Truckee", state="CA"),
        )
        job = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer_id, name="Roof", location_id=location.id,
                lines=(LineInput(quantity="1", description="Haul away", rate="120"),),
            ),
        )  # fmt: skip
        started = jobs.start_job(uow, job.id, job.version, on=FINISHED)
        jobs.finish_job(uow, job.id, started.version, on=FINISHED)
        net30 = next(t for t in terms.list_terms(uow) if t.name == "Net 30")
        fixed = next(t for t in terms.list_terms(uow) if t.name == "Fixed date")
        with_terms = invoices.create_invoice(uow, job.id, terms_id=net30.id, today=FINISHED)
        uow.commit()
    with office.db.reader() as uow:
        invoice = uow.session.get(Invoice, with_terms.id)
        assert invoice is not None
        fields = m.invoice_fields(uow.session, invoice).fields
    assert fields.ship_address is not None and fields.ship_address.addr1 == "9 Pine Rd"
    assert fields.terms is not None and fields.terms.full_name == "Net 30"
    assert fields.lines[0].item is not None and fields.lines[0].item.full_name == m.GENERIC_ITEM
    assert fields.customer.full_name == "Smith, Ann:1000 Roof"
    with office.db.uow() as uow:
        invoices.void_invoice(uow, with_terms.id, reason="redo")
        uow.commit()
    office.customer("Other, Ola")
    with office.db.uow() as uow:
        job2 = jobs.create_job(
            uow,
            jobs.JobFields(
                customer_id=customer_id, name="Shed", lines=(LineInput(quantity="1", item_id=office.labor()),)
            ),
        )
        fixed_invoice = invoices.create_invoice(
            uow, job2.id, terms_id=fixed.id, due_date=date(2026, 9, 1), today=FINISHED
        )
        uow.commit()
    with office.db.reader() as uow:
        invoice = uow.session.get(Invoice, fixed_invoice.id)
        assert invoice is not None
        fields = m.invoice_fields(uow.session, invoice).fields
    # A fixed date (or start/completion of work) is not a QuickBooks term: only the due date goes.
    assert fields.terms is None and fields.due_date == date(2026, 9, 1)
