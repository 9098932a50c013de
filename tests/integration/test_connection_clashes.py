"""Invoices of ours whose numbers QuickBooks already uses: all listed before anything is sent,
renumbered in one step by the numbering rules in force (issue 19)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry, Invoice, Job, QbLink
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import PermissionDenied
from desktop_app.services import connection_clashes as cc
from desktop_app.services import connection_numbering as cn
from desktop_app.services import invoices, numbering
from desktop_app.services.settings import set_setting
from tests.factories import make_customer, make_job
from tests.integration.service_helpers import snapshot


def _invoices(db: Database, admin: Actor, count: int) -> list[int]:
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Lopez, Ana")
        made = [invoices.create_invoice(uow, make_job(uow, customer).id).id for _ in range(count)]
        uow.commit()
    return made


def _quickbooks_has(db: Database, numbers: list[str]) -> None:
    with db.uow() as uow:
        numbering.record_quickbooks_ref_numbers(uow, numbers)
        uow.commit()


def _numbers(db: Database, ids: list[int]) -> list[str]:
    with db.reader() as uow:
        return [uow.session.get(Invoice, n).number for n in ids]  # type: ignore[union-attr]


def test_every_clash_is_listed_and_renumbered_above_quickbooks(db: Database, admin: Actor) -> None:
    ids = _invoices(db, admin, 4)
    ours = _numbers(db, ids)
    # QuickBooks already has three of them (one in another case), and many more.
    _quickbooks_has(db, [ours[0], ours[1], ours[3].lower()] + [str(n) for n in range(5000, 5100)])
    with db.reader() as uow:
        clashes = cc.invoice_clashes(uow)
    assert [c.number for c in clashes] == sorted([ours[0], ours[1], ours[3]])
    assert all(c.customer == "Lopez, Ana" for c in clashes)
    with db.uow(admin) as uow:
        cn.apply_safe_start(uow, cn.numbering_check(uow))
        report = cc.renumber_clashes(uow)
        uow.commit()
    after = _numbers(db, ids)
    assert after[2] == ours[2]  # not clashing: kept
    moved = {r.invoice_id: r for r in report.renumbered}
    assert set(moved) == {ids[0], ids[1], ids[3]}
    with db.reader() as uow:
        taken = {n.lower() for n in cn.quickbooks_invoice_numbers(uow)}
        assert cc.invoice_clashes(uow) == ()
    assert not {n.lower() for n in after} & taken
    assert all(int(moved[i].new_number) >= 5100 for i in moved)  # above QuickBooks' highest
    assert len(set(after)) == len(after)
    assert "Renumbered 3 invoices" in report.summary
    with db.reader() as uow:
        audits = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "renumber")).all()
    assert len(audits) == 3


def test_an_invoice_in_quickbooks_or_void_is_never_a_clash(db: Database, admin: Actor) -> None:
    ids = _invoices(db, admin, 2)
    ours = _numbers(db, ids)
    with db.uow(admin) as uow:
        uow.session.add(QbLink(entity_type="invoice", entity_id=ids[0], qb_id="TX-1", qb_name=ours[0]))
        invoices.void_invoice(uow, ids[1], reason="Entered twice")
        uow.commit()
    _quickbooks_has(db, ours)
    with db.reader() as uow:
        assert cc.invoice_clashes(uow) == ()


def test_numbers_that_follow_the_job_move_with_the_job(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "numbering.mode", "match")
        uow.commit()
    with db.uow(admin) as uow:
        customer = make_customer(uow, "Kim, Hiro")
        job = make_job(uow, customer, number=numbering.next_job_number(uow))
        invoice = invoices.create_invoice(uow, job.id)
        uow.commit()
        job_id, invoice_id, number = job.id, invoice.id, invoice.number
    _quickbooks_has(db, [number] + [str(n) for n in range(1000, 1200)])
    with db.uow(admin) as uow:
        cn.apply_safe_start(uow, cn.numbering_check(uow))
        report = cc.renumber_clashes(uow)
        uow.commit()
    with db.reader() as uow:
        job_number = uow.session.get(Job, job_id).number  # type: ignore[union-attr]
        new_number = uow.session.get(Invoice, invoice_id).number  # type: ignore[union-attr]
    assert new_number == job_number != number  # the invoice still matches its job
    assert int(job_number) >= 1200
    assert [r.new_number for r in report.renumbered] == [new_number]


def test_an_office_user_cannot_renumber_and_nothing_changes(
    db: Database, admin: Actor, office: Actor
) -> None:
    ids = _invoices(db, admin, 1)
    _quickbooks_has(db, _numbers(db, ids))
    before = snapshot(db)
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        cc.renumber_clashes(uow)
    assert snapshot(db) == before


def test_nothing_to_renumber_says_so(db: Database, admin: Actor) -> None:
    _invoices(db, admin, 1)
    with db.uow(admin) as uow:
        report = cc.renumber_clashes(uow)
    assert report.renumbered == () and "No invoice of ours" in report.summary
