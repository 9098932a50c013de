"""An invoice voided here while its Add, whose answer was lost, waits to be looked up.

QuickBooks may have it: the lookup still goes, and the void after it when it is there.
When it is not there, nothing goes (a void invoice never sent is not added)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import invoices, settings
from desktop_app.services.queue_states import Phase, QueueState
from qbwc_server.sync.refusals import recover
from tests.integration.sync.conftest import FINISHED, Office


def _add_answer_lost(office: Office) -> int:
    """An issued invoice whose InvoiceAdd QuickBooks saved, its answer lost; its item then
    waits to look it up (as the next session's start leaves it, that session ending first)."""
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_job_finished", False)
        uow.commit()
    customer_id = office.customer("Kim, Hiro")
    job_id = office.finished_job(customer_id, office.labor())
    invoice_id = office.invoice(job_id, issue=False)
    assert office.sync().percent == 100  # the customer, the job and the item
    with office.db.uow() as uow:
        invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    process = office.qb.process

    def losing_the_add(xml: str) -> str:
        if "<InvoiceAddRq" in xml:
            office.qb.process = process  # type: ignore[method-assign]
            office.qb.lose_next_response()
        return process(xml)

    office.qb.process = losing_the_add  # type: ignore[method-assign]
    office.sync()
    with office.db.uow() as uow:
        item = uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "invoice")).one()
        assert (item.state, item.phase) == (QueueState.SENT, Phase.ADD)
        recover(uow.session, item, "looked up before it goes again")
        assert (item.state, item.phase) == (QueueState.QUEUED, Phase.VERIFY)
        uow.commit()
    return invoice_id


@pytest.mark.parametrize("there", [True, False], ids=["in QuickBooks", "not there after all"])
def test_an_invoice_voided_while_its_lost_add_waits_to_be_looked_up(office: Office, there: bool) -> None:
    invoice_id = _add_answer_lost(office)
    (saved,) = office.qb.invoices
    if not there:
        office.qb.state.invoices.clear()  # as if QuickBooks had not saved it
    with office.db.uow() as uow:
        invoices.void_invoice(uow, invoice_id, "billed twice")
        uow.commit()
    for _session in range(3):
        office.sync()
    assert office.alerts() == []
    if there:
        (voided,) = office.qb.invoices
        assert voided.txn_id == saved.txn_id and voided.is_void
    else:
        assert office.qb.invoices == []  # not added only to be voided
