"""The first-run import through the engine, answered by hand-written qbXML: every list is
kept, and a near match (ours `O'Brien, Pavel` beside QuickBooks' `OBrien, Pavel`) becomes a
proposal instead of a second JobDesk customer."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import Customer, Item, Job, QbLink
from desktop_app.db.uow import Database
from desktop_app.services import qb_matching, sync_center
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.factories import make_customer

#: What this hand-written QuickBooks company holds, per query: the …Ret elements.
ANSWERS = {
    "CustomerQueryRq": (
        "<CustomerRet><ListID>C-1</ListID><EditSequence>7</EditSequence><Name>OBrien, Pavel</Name>"
        "<FullName>OBrien, Pavel</FullName><IsActive>true</IsActive>"
        "<FirstName>Pavel</FirstName></CustomerRet>"
        "<CustomerRet><ListID>C-2</ListID><EditSequence>3</EditSequence><Name>Attic</Name>"
        "<FullName>OBrien, Pavel:Attic</FullName><IsActive>true</IsActive>"
        "<ParentRef><ListID>C-1</ListID><FullName>OBrien, Pavel</FullName></ParentRef></CustomerRet>"
        "<CustomerRet><ListID>C-3</ListID><EditSequence>1</EditSequence><Name>Lee, Dana</Name>"
        "<FullName>Lee, Dana</FullName><IsActive>true</IsActive></CustomerRet>"
    ),
    "ItemQueryRq": (
        "<ItemServiceRet><ListID>I-1</ListID><EditSequence>1</EditSequence><Name>Labor</Name>"
        "<FullName>Labor</FullName><IsActive>true</IsActive><SalesOrPurchase><Price>85.00</Price>"
        "</SalesOrPurchase></ItemServiceRet>"
        "<ItemInventoryRet><ListID>I-2</ListID><EditSequence>1</EditSequence><Name>Breaker 20A</Name>"
        "<FullName>Breaker 20A</FullName><IsActive>true</IsActive><SalesPrice>12.50</SalesPrice>"
        "</ItemInventoryRet>"
        "<ItemGroupRet><ListID>I-3</ListID><EditSequence>1</EditSequence><Name>Panel kit</Name>"
        "<IsActive>true</IsActive></ItemGroupRet>"
    ),
    "VendorQueryRq": (
        "<VendorRet><ListID>V-1</ListID><EditSequence>1</EditSequence><Name>Kim, Hiro</Name>"
        "<IsActive>true</IsActive></VendorRet>"
    ),
    "EmployeeQueryRq": (
        "<EmployeeRet><ListID>E-1</ListID><EditSequence>1</EditSequence><Name>Sam Ortiz</Name>"
        "<IsActive>true</IsActive></EmployeeRet>"
    ),
    "PaymentMethodQueryRq": (
        "<PaymentMethodRet><ListID>P-1</ListID><EditSequence>1</EditSequence><Name>Check</Name>"
        "<IsActive>true</IsActive><PaymentMethodType>Check</PaymentMethodType></PaymentMethodRet>"
    ),
    "SalesTaxCodeQueryRq": (
        "<SalesTaxCodeRet><ListID>S-1</ListID><EditSequence>1</EditSequence><Name>Tax</Name>"
        "<IsActive>true</IsActive><IsTaxable>true</IsTaxable></SalesTaxCodeRet>"
    ),
}


@dataclass
class HandWritten:
    """A QuickBooks that answers every query from ``ANSWERS`` (nothing else: status 1)."""

    requests: list[etree._Element] = field(default_factory=list)

    def process(self, message: str) -> str:
        root = etree.fromstring(message.encode())
        parts = []
        for request in root.iter():
            tag = str(request.tag)
            if not tag.endswith("Rq") or tag == "QBXMLMsgsRq":
                continue
            self.requests.append(request)
            body = ANSWERS.get(tag, "")
            attrs = f'requestID="{request.get("requestID")}" statusSeverity="Info"'
            attrs += (
                ' statusCode="0" statusMessage="Status OK"'
                if body
                else ' statusCode="1" statusMessage="none"'
            )
            if request.get("iterator"):
                attrs += ' iteratorRemainingCount="0" iteratorID="{it-1}"'
            rs = tag[:-2] + "Rs"
            parts.append(f"<{rs} {attrs}>{body}</{rs}>")
        return (
            '<?xml version="1.0"?><QBXML><QBXMLMsgsRs onError="continueOnError">'
            + "".join(parts)
            + "</QBXMLMsgsRs></QBXML>"
        )


def _import(db: Database, company: HandWritten) -> None:
    with db.uow() as uow:
        sync_center.start_first_run_import(uow)
        uow.commit()
    report = run_session(SyncEngine(db), company)
    assert report.percent == 100


def test_the_obrien_case_is_a_proposal_not_a_second_customer(db: Database) -> None:
    with db.uow() as uow:
        ours = make_customer(uow, "O'Brien, Pavel")  # typed into JobDesk, not yet in QuickBooks
        hiro = make_customer(uow, "Kim, Hiro")  # a name QuickBooks uses for a vendor
        uow.commit()
    company = HandWritten()
    _import(db, company)
    with db.reader() as uow:
        session = uow.session
        customers = sorted(session.scalars(select(Customer.display_name)))
        links = {(link.entity_type, link.qb_id) for link in session.scalars(select(QbLink))}
        kept = {
            (row.kind, row.list_id): row.record_type for row in session.scalars(select(QuickBooksListRecord))
        }
        jobs = list(session.scalars(select(Job.id)))
        items = sorted(session.scalars(select(Item.name)))
        proposals = qb_matching.list_proposals(uow)
    # No second O'Brien: QuickBooks' is held for a person; its job waits with it.
    assert customers == ["Kim, Hiro", "Lee, Dana", "O'Brien, Pavel"]
    assert ("customer", "C-1") not in links and jobs == []
    assert ("customer", "C-3") in links and ("item", "I-1") in links
    assert {(p.entity_id, p.reason, p.qb_name) for p in proposals} == {
        (ours.id, "spelling", "OBrien, Pavel"),
        (hiro.id, "name_taken", "Kim, Hiro"),
    }
    # Everything read is kept, items of every type (only services and materials are ours).
    assert kept[("item", "I-2")] == "ItemInventory" and kept[("item", "I-3")] == "ItemGroup"
    assert {
        ("vendor", "V-1"),
        ("employee", "E-1"),
        ("payment_method", "P-1"),
        ("sales_tax_code", "S-1"),
    } <= set(kept)
    assert ("job", "C-2") in kept
    assert items == ["Labor"]
    # Names only, and iterators only where QuickBooks has them.
    by_tag = {str(r.tag): r for r in company.requests}
    for tag in ("VendorQueryRq", "EmployeeQueryRq", "OtherNameQueryRq"):
        assert [e.text for e in by_tag[tag].findall("IncludeRetElement")] == [
            "ListID",
            "EditSequence",
            "Name",
            "IsActive",
        ]
    assert by_tag["VendorQueryRq"].get("iterator") == "Start"
    assert by_tag["ItemQueryRq"].get("iterator") == "Start"
    for tag in ("EmployeeQueryRq", "OtherNameQueryRq", "PaymentMethodQueryRq", "SalesTaxCodeQueryRq"):
        assert by_tag[tag].get("iterator") is None

    # Decided "link": ours is QuickBooks' record, and the job that waited comes in under ours.
    (obrien,) = [p for p in proposals if p.entity_id == ours.id]
    with db.uow() as uow:
        qb_matching.decide(uow, obrien.id, "link")
        uow.commit()
    with db.reader() as uow:
        assert uow.session.scalar(select(Job.customer_id)) == ours.id

    # Reading QuickBooks again: nothing new to ask, nothing duplicated.
    _import(db, HandWritten())
    with db.reader() as uow:
        assert len(list(uow.session.scalars(select(MatchProposal)))) == 2
        assert len(list(uow.session.scalars(select(Customer)))) == 3
        assert len(list(uow.session.scalars(select(Job)))) == 1


def test_every_near_match_planted_in_an_office_company_is_proposed_and_exact_ones_linked(
    db: Database,
) -> None:
    from desktop_app.domain.qb_names import job_qb_name
    from qbwc_server.simulator import OfficeSize, OurNames, QuickBooksCompany, Reason, seed_office
    from tests.factories import make_item, make_job

    with db.uow() as uow:
        names = [
            f"{last}, {first}" for last, first in (("O'Brien", "Pavel"), ("Kim", "Hiro"), ("Lee", "Ana"))
        ]
        names += [f"Customer {n:02}" for n in range(12)]
        ours_customers = [make_customer(uow, name) for name in names]
        ours_jobs = [
            make_job(uow, c, number=str(1010 + i), name="Panel upgrade") for i, c in enumerate(ours_customers)
        ]
        for name in ("Labor", "Drywall", "Trip charge", "Wire 12/2"):
            make_item(uow, name, kind="material" if name.startswith("W") else "service")
        uow.commit()
        our_names = OurNames(
            customers=tuple(names),
            jobs=tuple(
                (c.display_name, job_qb_name(j.number, j.name))
                for c, j in zip(ours_customers, ours_jobs, strict=True)
            ),
            items=(
                ("Labor", "service"),
                ("Drywall", "service"),
                ("Trip charge", "service"),
                ("Wire 12/2", "material"),
            ),
        )
    company = QuickBooksCompany()
    size = OfficeSize(customers=60, jobs=30, items=20, invoices=20, vendors=4, employees=3, other_names=2)
    manifest = seed_office(company, our_names, size)
    with db.uow() as uow:
        sync_center.start_first_run_import(uow)
        uow.commit()
    assert run_session(SyncEngine(db), company).percent == 100
    with db.reader() as uow:
        proposed = {(p.entity_type, p.qb_full_name) for p in qb_matching.list_proposals(uow)}
        display = list(uow.session.scalars(select(Customer.display_name)))
        kept = len(list(uow.session.scalars(select(QuickBooksListRecord.id))))
    planted = {c.reason for c in manifest.collisions}
    assert {Reason.EXACT, Reason.PUNCTUATION, Reason.CASE, Reason.VENDOR, Reason.ITEM_TYPE} <= planted
    for collision in manifest.collisions:
        if collision.reason is Reason.EXACT:
            assert (collision.record, collision.quickbooks) not in proposed
        else:
            assert (collision.record, collision.quickbooks) in proposed, collision
    assert len(display) == len({name.casefold() for name in display})  # no second record of a name
    assert kept >= manifest.customers + manifest.jobs + manifest.vendors + manifest.employees
