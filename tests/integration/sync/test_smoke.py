from __future__ import annotations

from datetime import date
from decimal import Decimal

from desktop_app.db.models import Account, Customer, Item, Job, JobLine
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session


def test_job_and_invoice_reach_quickbooks(db):
    from desktop_app.services import invoices, sync_queue

    with db.uow() as uow:
        s = uow.session
        acct = Account(name="Construction Income", full_name="Construction Income", account_type="Income")
        s.add(acct)
        s.flush()
        c = Customer(display_name="Smith, Ann", display_name_key="smith, ann", first_name="Ann", last_name="Smith")
        s.add(c)
        s.flush()
        it = Item(kind="service", name="Labor", name_key="labor", unit_price=Decimal("85"), income_account_id=acct.id)
        s.add(it)
        s.flush()
        j = Job(number="1001", name="Kitchen", customer_id=c.id, status="finished", finished_on=date(2026, 1, 5))
        j.lines.append(JobLine(item_id=it.id, description="Labor", quantity=Decimal("10"), rate=Decimal("85"), amount=Decimal("850.00")))
        s.add(j)
        s.flush()
        sync_queue.enqueue(uow, "job", j.id)
        uow.commit()
    with db.uow() as uow:
        inv = invoices.create_invoice(uow, j.id)
        invoices.issue_invoice(uow, inv.id)
        uow.commit()
    company = QuickBooksCompany()
    engine = SyncEngine(db)
    report = run_session(engine, company)
    print(report)
    with db.reader() as uow:
        from desktop_app.db.sync_models import SyncItem, Alert
        from sqlalchemy import select
        for item in uow.session.scalars(select(SyncItem)):
            print(item.id, item.entity_type, item.action, item.state, item.phase, item.note, item.status_message)
        for a in uow.session.scalars(select(Alert)):
            print("ALERT", a.message)
    assert [c.name for c in company.customers] == ["Smith, Ann", "1001 Kitchen"]
    assert len(company.invoices) == 1
