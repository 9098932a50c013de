"""Credit memos over real HTTP into the strict QuickBooks simulator: added and applied, then
lowered and unapplied in one save, then voided; after each sync QuickBooks holds exactly what
JobDesk holds, to the cent (``sync_compare.differences``), with no alert and nothing queued."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from desktop_app.db.models import Invoice
from desktop_app.db.uow import Database
from desktop_app.demo.generator import generate_company
from desktop_app.services import credit_memo_details, credit_memos
from desktop_app.services.credit_memo_form import save_credit_memo
from desktop_app.services.invoices import balance_of
from desktop_app.services.lines import LineInput
from desktop_app.services.sync_queue import send_everything_pending
from qbwc_server.server import EmbeddedServer
from qbwc_server.simulator import QuickBooksCompany
from tests.e2e.test_strict_quickbooks_e2e import SIZE, _alerts, _idle, connector
from tests.qbwc_fakes import set_password
from tests.sync_compare import differences


def _open_invoice(db: Database) -> tuple[int, int, int, Decimal]:
    """(customer, job, invoice, balance) of an open job invoice owing at least $100."""
    with db.reader() as uow:
        for invoice in uow.session.scalars(select(Invoice).where(Invoice.job_id.is_not(None))):
            balance = balance_of(uow, invoice)
            if invoice.status not in ("void", "draft") and balance >= Decimal("100.00"):
                assert invoice.job_id is not None
                return invoice.customer_id, invoice.job_id, invoice.id, balance
    raise AssertionError("the demo company has no open job invoice")


def _sync(db: Database, quickbooks: QuickBooksCompany) -> None:
    with EmbeddedServer(db, "localhost", 0) as server:
        report = connector(server, quickbooks).run_session()
    assert report.outcome == "done", report.summary()
    assert _alerts(db) == []
    _idle(db)
    assert differences(db, quickbooks) == []


def test_a_credit_memo_applied_changed_and_voided_over_http(db: Database) -> None:
    generate_company(db, SIZE, seed=5)
    set_password(db)
    customer_id, job_id, invoice_id, owed = _open_invoice(db)
    with db.uow() as uow:
        send_everything_pending(uow)
        credit = credit_memos.create_credit_memo(
            uow,
            credit_memos.CreditMemoFields(
                customer_id=customer_id,
                job_id=job_id,
                reason="warranty",
                memo="Warranty: & <one> visit back",
                lines=(LineInput(quantity="1", description="Warranty visit", rate="90.00", taxable=False),),
            ),
        )
        uow.commit()
    with db.uow() as uow:
        save_credit_memo(uow, credit.id, credit.version, _fields(credit), [(invoice_id, "90.00")])
        uow.commit()
    quickbooks = QuickBooksCompany()
    _sync(db, quickbooks)
    qb_invoice = next(i for i in quickbooks.invoices if i.ref_number == _number_of(db, invoice_id))
    assert quickbooks.invoice_balance(qb_invoice) == owed - Decimal("90.00")
    assert Counter(p.total for p in quickbooks.payments if p.credits) == Counter({Decimal("0.00"): 1})

    # One save lowers the credit and what it applies; QuickBooks takes both in its order.
    with db.uow() as uow:
        current = credit_memo_details.get_credit_memo(uow, credit.id)
        lowered = _fields(current, rate="40.00")
        save_credit_memo(uow, credit.id, current.version, lowered, [(invoice_id, "40.00")])
        uow.commit()
    _sync(db, quickbooks)
    assert quickbooks.invoice_balance(qb_invoice) == owed - Decimal("40.00")

    with db.uow() as uow:
        credit_memos.void_credit_memo(uow, credit.id, reason="Customer declined the visit")
        uow.commit()
    _sync(db, quickbooks)
    assert quickbooks.invoice_balance(qb_invoice) == owed
    assert [c.is_void for c in quickbooks.state.credit_memos.values()] == [True]


def _number_of(db: Database, invoice_id: int) -> str:
    with db.reader() as uow:
        invoice = uow.session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice.number


def _fields(
    credit: credit_memo_details.CreditMemoDetail, rate: str = "90.00"
) -> credit_memos.CreditMemoFields:
    return credit_memos.CreditMemoFields(
        customer_id=credit.customer_id,
        job_id=credit.job_id,
        reason=credit.reason.value,
        credit_date=credit.credit_date,
        memo=credit.memo,
        lines=(LineInput(quantity="1", description="Warranty visit", rate=rate, taxable=False),),
    )
