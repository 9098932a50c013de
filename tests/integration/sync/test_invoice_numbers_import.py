"""Invoice numbers QuickBooks already uses are read (numbers only, with iterators) and
never handed out by JobDesk: a job number, a counter move and the check before an Add
all know them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.errors import ValidationError
from desktop_app.services import counter_reset, numbering, settings, sync_center
from qbwc_server import qbxml as q
from tests.integration.sync.conftest import FINISHED, Office


def _quickbooks_invoices(office: Office, numbers: range) -> None:
    office.qb_send(q.customer_add("c", q.CustomerFields(name="Walk-in")))
    office.qb_send(
        q.item_add(
            "i",
            q.ItemFields(
                name="Service",
                kind=q.ItemKind.SERVICE,
                price=Decimal("10"),
                income_account=q.Ref.by_name("Construction Income"),
            ),
        )
    )
    for number in numbers:
        line = q.InvoiceLineFields(item=q.Ref.by_name("Service"), amount=Decimal("10.00"))
        fields = q.InvoiceFields(
            customer=q.Ref.by_name("Walk-in"), txn_date=FINISHED, ref_number=str(number), lines=(line,)
        )
        (result,) = office.qb_send(q.invoice_add(f"n{number}", fields)).values()
        assert not result.status.is_error, result.status


def test_the_first_run_import_reads_every_invoice_number_quickbooks_uses(office: Office) -> None:
    _quickbooks_invoices(office, range(5000, 5012))
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 50)
        sync_center.start_first_run_import(uow)
        uow.commit()
    office.sync()
    requests = [rq for rq, _ in office.qb.log if "InvoiceQueryRq" in rq]
    assert requests and all("<IncludeRetElement>RefNumber</IncludeRetElement>" in rq for rq in requests)
    with office.db.reader() as uow:
        taken = numbering.quickbooks_ref_numbers_taken(uow, [str(n) for n in range(4998, 5014)])
    assert taken == frozenset(str(n) for n in range(5000, 5012))
    # The invoice counter cannot move back onto them …
    with office.db.uow() as uow, pytest.raises(ValidationError):
        counter_reset.set_next_number(uow, "invoice", 5005)
    with office.db.uow() as uow:
        change = counter_reset.set_next_number(uow, "invoice", 5012)
        uow.commit()
    # … and match numbering refuses a job number QuickBooks' invoices use.
    with office.db.uow() as uow:
        settings.set_setting(uow, "numbering.mode", "match")
        uow.commit()
    job_id = office.finished_job(office.customer(), office.labor())
    with office.db.uow() as uow, pytest.raises(ValidationError, match="5003"):
        numbering.renumber_job(uow, job_id, "5003")
    assert change.new_next.endswith("5012")


def test_a_number_quickbooks_shows_in_a_check_before_an_add_is_remembered(office: Office) -> None:
    _quickbooks_invoices(office, range(1000, 1001))  # QuickBooks already has invoice 1000
    office.invoiced_job()
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict"
    with office.db.reader() as uow:
        assert numbering.quickbooks_ref_numbers_taken(uow, ["1000"]) == frozenset({"1000"})
