"""A record changed here while QuickBooks' answer to its Add was lost.

The change is queued behind the Add (``claim_pending_key`` merges it into the Add's item
when that item goes back to be looked up). The lookup finds what QuickBooks saved, the
older version: it is linked, never added twice, and the change saved since goes after it
as a change of its own, never dropped.
"""

from __future__ import annotations

from desktop_app.db.uow import Actor
from desktop_app.services import sync_queue
from desktop_app.services.invoice_edits import update_invoice
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import LosingTheAnswer, Office


def test_an_invoice_changed_while_its_answer_was_lost_gets_the_change(office: Office) -> None:
    customer_id, _, _ = office.invoiced_job("Lost, Lena")
    assert office.sync().percent == 100
    second = office.invoice(office.finished_job(customer_id, office.labor(), "2", name="Porch"))
    losing = LosingTheAnswer(office, "<InvoiceAddRq")
    for _session in range(5):  # QuickBooks saved the invoice; its answer never came
        run_session(office.engine, losing)
        if losing.lost:
            break
    assert losing.lost
    with office.db.uow(Actor(name="Admin", role="admin")) as uow:
        update_invoice(uow, second, memo="Gate code 4411")
        sync_queue.send_records(uow, [("invoice", second)])
        uow.commit()
    assert office.sync().percent == 100
    assert office.sync().percent == 100
    assert len(office.qb.invoices) == 2  # found, not added twice
    link = office.link("invoice", second)
    assert link is not None
    (saved,) = [i for i in office.qb.invoices if i.txn_id == link.qb_id]
    assert saved.data.get("Memo") == "Gate code 4411"
    assert office.alerts() == []
