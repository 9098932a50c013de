"""A queue row of a kind this JobDesk does not know (a newer version's, a damaged file) is
explained on its own item; it never stops the sync of everything else."""

from __future__ import annotations

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import NEEDS_ATTENTION, QueueState
from tests.integration.sync.conftest import Office


def test_an_item_of_an_unknown_kind_gets_an_alert_and_the_rest_goes(office: Office) -> None:
    with office.db.uow() as uow:
        uow.session.add(
            SyncItem(
                entity_type="widget", entity_id=7, action="upsert", phase="", state=QueueState.QUEUED, rank=25
            )
        )
        uow.commit()
    customer_id, _job_id, invoice_id = office.invoiced_job()
    report = office.sync()
    assert report.percent == 100 and not report.broken
    assert office.link("customer", customer_id) is not None
    assert office.link("invoice", invoice_id) is not None
    (item,) = office.items_of("widget", 7)
    assert item.state in NEEDS_ATTENTION
    (alert,) = office.alerts()
    assert "widget" in alert.message
    assert office.engine.has_work() is False
