"""First-run import from QuickBooks: iterators, resumable, matching by name."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from desktop_app.db.models import Account, Customer, Item, Job, QbLink, Terms
from desktop_app.services import sync_center
from qbwc_server.simulator import seed_company
from tests.integration.sync.conftest import Office


@pytest.fixture
def seeded(office: Office, monkeypatch: pytest.MonkeyPatch) -> Office:
    monkeypatch.setattr("qbwc_server.sync.imports.PAGE", 10)  # many pages from a small company
    summary = seed_company(office.qb, customers=35, jobs=15, items=14, seed=3)
    assert summary.customers == 35
    return office


def _start(office: Office) -> None:
    with office.db.uow() as uow:
        sync_center.start_first_run_import(uow)
        uow.commit()


def test_import_reads_everything_with_iterators_and_links_it(seeded: Office) -> None:
    office = seeded
    existing = office.customer(office.qb.customers[0].name)  # already typed into JobDesk by hand
    _start(office)
    report = office.sync()
    assert report.percent == 100
    with office.db.reader() as uow:
        customers = list(uow.session.scalars(select(Customer)))
        jobs = list(uow.session.scalars(select(Job)))
        links = list(uow.session.scalars(select(QbLink)))
        items = list(uow.session.scalars(select(Item)))
        accounts = list(uow.session.scalars(select(Account.full_name)))
        terms = list(uow.session.scalars(select(Terms.name)))
        uow.session.expunge_all()
    top_level = [c for c in office.qb.customers if c.parent_id is None]
    assert len(customers) == len(top_level)
    assert existing in {c.id for c in customers}  # matched by name and linked, not duplicated
    assert len(jobs) == len(office.qb.customers) - len(top_level)
    assert all(n == 1 for n in Counter((link.entity_type, link.qb_id) for link in links).values())
    assert {"Construction Income", "Materials Income"} <= set(accounts)
    assert "Net 30" in terms
    qb_items = [i for i in office.qb.items if i.kind in ("ItemService", "ItemNonInventory")]
    assert len(items) == len(qb_items)
    # Many pages went through an iterator.
    assert report.round_trips >= 5


def test_an_interrupted_import_resumes_in_the_next_session(seeded: Office) -> None:
    office = seeded
    _start(office)
    first = office.sync(max_round_trips=2)
    assert first.percent < 100
    with office.db.reader() as uow:
        halfway = uow.session.scalar(select(Customer.id).limit(1))
    assert halfway is not None or first.round_trips == 2
    office.sync()
    office.sync()
    with office.db.reader() as uow:
        names = list(uow.session.scalars(select(Customer.display_name)))
    assert len(names) == len(set(names)) == len([c for c in office.qb.customers if c.parent_id is None])
