"""A small office and a simulated QuickBooks company, for the sync engine's rule tests."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.db.models import Account, QbLink
from desktop_app.db.open import open_database
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.db.uow import Database
from desktop_app.services import (
    credit_applications,
    credit_memos,
    customers,
    invoices,
    items,
    jobs,
    settings,
    sync_queue,
)
from desktop_app.services.lines import LineInput
from qbwc_server import qbxml as q
from qbwc_server.simulator import QuickBooksCompany, add_sales_tax_item
from qbwc_server.simulator.company import ResponseLostError
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import LoopbackReport, run_session
from tests.qbxml_schema import QbxmlSchema, load_schema

FINISHED = date(2026, 3, 2)


@dataclass
class Office:
    """The app's database, the engine and a simulated QuickBooks company, wired together."""

    db: Database
    qb: QuickBooksCompany
    engine: SyncEngine

    def sync(self, **kwargs: Any) -> LoopbackReport:
        return run_session(self.engine, self.qb, **kwargs)

    def customer(self, name: str = "Smith, Ann", **fields: Any) -> int:
        with self.db.uow() as uow:
            detail = customers.create_customer(
                uow,
                customers.CustomerFields(display_name=name, first_name="Ann", last_name="Smith", **fields),
            )
            uow.commit()
        return detail.id

    def item(self, name: str = "Labor", price: str = "85", *, taxable: bool = False) -> int:
        with self.db.uow() as uow:
            detail = items.create_item(uow, items.ItemFields(name=name, unit_price=price, taxable=taxable))
            uow.commit()
        return detail.id

    def finished_job(
        self, customer_id: int, item_id: int, quantity: str = "10", name: str = "Kitchen"
    ) -> int:
        with self.db.uow() as uow:
            job = jobs.create_job(
                uow,
                jobs.JobFields(
                    customer_id=customer_id, name=name, lines=(LineInput(quantity=quantity, item_id=item_id),)
                ),
            )
            started = jobs.start_job(uow, job.id, job.version, on=FINISHED)
            jobs.finish_job(uow, job.id, started.version, on=FINISHED)
            uow.commit()
        return job.id

    def invoice(self, job_id: int, *, issue: bool = True) -> int:
        with self.db.uow() as uow:
            detail = invoices.create_invoice(uow, job_id, today=FINISHED)
            if issue:
                invoices.issue_invoice(uow, detail.id, on=FINISHED)
            uow.commit()
        return detail.id

    def invoiced_job(self, customer: str = "Smith, Ann", quantity: str = "10") -> tuple[int, int, int]:
        """(customer id, job id, invoice id) of a finished, invoiced, issued job."""
        customer_id = self.customer(customer)
        item_id = self.labor()
        job_id = self.finished_job(customer_id, item_id, quantity)
        return customer_id, job_id, self.invoice(job_id)

    def queued_customers(self, count: int, *, batch: int) -> list[int]:
        """``count`` customers sent to QuickBooks in batches of ``batch`` requests."""
        ids = [self.customer(f"Customer {n}") for n in range(count)]
        with self.db.uow() as uow:
            settings.set_setting(uow, "sync.batch_max_requests", batch)
            sync_queue.send_records(uow, [("customer", n) for n in ids])
            uow.commit()
        return ids

    def labor(self) -> int:
        with self.db.reader() as uow:
            found = items.list_items(uow, search="Labor")
        return found.rows[0].id if found.rows else self.item()

    def link(self, entity_type: str, entity_id: int) -> QbLink | None:
        with self.db.reader() as uow:
            link = uow.session.scalar(
                select(QbLink).where(QbLink.entity_type == entity_type, QbLink.entity_id == entity_id)
            )
            if link is not None:
                uow.session.expunge(link)
            return link

    def alerts(self) -> list[Alert]:
        with self.db.reader() as uow:
            found = list(uow.session.scalars(select(Alert).order_by(Alert.id)))
            uow.session.expunge_all()
            return found

    def items_of(self, entity_type: str, entity_id: int) -> list[SyncItem]:
        with self.db.reader() as uow:
            found = list(
                uow.session.scalars(
                    select(SyncItem)
                    .where(SyncItem.entity_type == entity_type, SyncItem.entity_id == entity_id)
                    .order_by(SyncItem.id)
                )
            )
            uow.session.expunge_all()
            return found

    def count(self, model: Any, *where: Any) -> int:
        with self.db.reader() as uow:
            return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def qb_send(self, *requests: q.Request) -> dict[str, q.Result]:
        """Someone working in QuickBooks directly (not through JobDesk)."""
        return q.parse_response(self.qb.process(q.build_message(list(requests))))

    def qb_invoice(self, ref_number: str) -> Any:
        return next(i for i in self.qb.invoices if i.ref_number == ref_number)

    def applied_credit(self, customer_id: int, job_id: int, invoice_id: int) -> int:
        """A warranty credit memo of $80.00 (one labor line) for the job, $50.00 of it applied to
        the invoice; its id."""
        with self.db.uow() as uow:
            credit_id = credit_memos.create_credit_memo(
                uow,
                credit_memos.CreditMemoFields(
                    customer_id=customer_id,
                    job_id=job_id,
                    reason="warranty",
                    lines=(LineInput(quantity="1", item_id=self.labor(), rate="80.00"),),
                ),
            ).id
            credit_applications.apply_credit(uow, credit_id, [(invoice_id, "50.00")])
            uow.commit()
        return credit_id

    def owed(self, invoice_id: int) -> tuple[Decimal, Decimal | None]:
        """Our invoice's total, and what QuickBooks says is still owed on it (its BalanceRemaining)."""
        link = self.link("invoice", invoice_id)
        assert link is not None, "the invoice is not in QuickBooks"
        (result,) = self.qb_send(q.txn_query("InvoiceQueryRq", "i", txn_ids=[link.qb_id])).values()
        with self.db.reader() as uow:
            total = invoices.get_invoice(uow, invoice_id).total
        return total, result.records[0].balance_remaining

    def job_in_quickbooks(self) -> int:
        """A finished job (Smith, Ann:1000 Kitchen) and its customer, synced; QuickBooks
        has the Labor item of its own (not sent by JobDesk)."""
        self.qb_send(
            q.item_add("l", q.ItemFields(name="Labor", income_account=q.Ref.by_name("Construction Income")))
        )
        customer_id = self.customer()
        with self.db.uow() as uow:
            sync_queue.send_records(uow, [("customer", customer_id)])
            uow.commit()
        self.sync()
        job_id = self.finished_job(customer_id, self.labor())
        self.sync()
        return job_id

    def payment_in_quickbooks(self, ref_number: str, amount: str = "10.00") -> q.PaymentFields:
        """A payment someone enters in QuickBooks against its first invoice (not yet sent)."""
        invoice = self.qb.invoices[0]
        return q.PaymentFields(
            customer=q.Ref.by_id(invoice.customer_id),
            txn_date=FINISHED,
            ref_number=ref_number,
            total_amount=Decimal(amount),
            applications=(q.AppliedPayment(invoice.txn_id, Decimal(amount)),),
        )

    def typed_in_quickbooks(self, customer: str, ref_number: str, amount: str) -> None:
        """An invoice someone typed in QuickBooks directly: one Labor line."""
        self.qb_send(
            q.invoice_add(
                "i",
                q.InvoiceFields(
                    customer=q.Ref.by_name(customer),
                    ref_number=ref_number,
                    lines=(q.InvoiceLineFields(item=q.Ref.by_name("Labor"), amount=Decimal(amount)),),
                ),
            )
        )


class LosingTheAnswer:
    """QuickBooks saving the first message holding ``marker``, whose answer is then lost (once)."""

    def __init__(self, office: Office, marker: str) -> None:
        self.office, self.marker, self.lost = office, marker, False

    def process(self, request_xml: str) -> str:
        answer = self.office.qb.process(request_xml)
        if not self.lost and self.marker in request_xml:
            self.lost = True
            raise ResponseLostError("The QuickBooks response was lost on the way back.")
        return answer


class QueryRefused:
    """QuickBooks refuses every ``<tag>`` query (3250, a feature turned off: an error JobDesk
    cannot get past alone), answering the rest of each message as ever."""

    def __init__(self, office: Office, tag: str) -> None:
        self.qb = office.qb
        self.tag = tag

    def process(self, message: str) -> str:
        tag = self.tag
        refused = (
            f'<{tag}Rs requestID="\\1" statusCode="3250" statusSeverity="Error" '
            'statusMessage="This feature is not enabled or not available in this version of QuickBooks." />'
        )
        answer = re.sub(rf'<{tag}Rs requestID="([^"]+)"[^>]*/>', refused, self.qb.process(message))
        return re.sub(rf'<{tag}Rs requestID="([^"]+)"[^>]*>.*?</{tag}Rs>', refused, answer, flags=re.S)


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def make_office(db: Database) -> Office:
    schema = load_schema("13.0")
    validator = QbxmlSchema(schema, "13.0") if schema is not None else None
    with db.uow() as uow:
        uow.session.add(
            Account(name="Construction Income", full_name="Construction Income", account_type="Income")
        )
        uow.session.flush()
        account_id = uow.session.scalar(select(Account.id).where(Account.full_name == "Construction Income"))
        settings.set_setting(uow, "accounts.default_income_account_id", int(account_id or 0))
        settings.set_setting(uow, "tax.default_rate", Decimal("8.25"))
        settings.set_setting(uow, "tax.item_name", "State Tax")
        uow.commit()
    # Strict (the default rules) and bare, plus the sales-tax item the office's settings name:
    # these tests are about the engine's rules, not about creating sales-tax items.
    quickbooks = QuickBooksCompany(validator=validator)
    add_sales_tax_item(quickbooks, "State Tax", "8.25")
    # CI runs these tests a second time with the engine planning ahead, as the server runs it.
    plan_ahead = os.environ.get("JOBDESK_SYNC_PLAN_AHEAD") == "1"
    return Office(db=db, qb=quickbooks, engine=SyncEngine(db, plan_ahead=plan_ahead))


@pytest.fixture
def fresh_office(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A factory of offices, each on its own fresh SQLite file (whatever database the run uses)."""
    template: Path = request.getfixturevalue("_sqlite_template")
    opened = []

    def make(name: str) -> Office:
        target = tmp_path / f"{name}.sqlite"
        shutil.copyfile(template, target)
        db = open_database(f"sqlite:///{target}")
        opened.append(db)
        return make_office(db)

    yield make
    for db in opened:
        db.dispose()
