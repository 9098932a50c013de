"""A long run of queued items that wait for a person, ahead of one that can go: whether a
session is due is asked with a bounded look at the queue, and a look that stops at its bound
must not answer "nothing to do" (no session would ever start again, and nothing would say so)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from desktop_app.db.sync_models import SyncItem
from desktop_app.services import settings, sync_queue
from desktop_app.services.queue_states import QueueState
from qbwc_server.sync import engine as engine_module
from tests.integration.sync.conftest import Office


def test_work_behind_a_long_blocked_run_still_opens_a_session(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    labor = office.labor()
    jones = office.customer("Jones, Bob")
    office.finished_job(jones, labor, "1", "Kitchen")
    office.sync()  # Jones, his job and the item are in QuickBooks
    smith = office.customer("Smith, Ann")
    blocked = [office.finished_job(smith, labor, "1", f"Porch {n}") for n in range(5)]
    behind = office.finished_job(jones, labor, "1", "Garage")  # queued after the whole run
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.responsive", False)
        sync_queue.send_records(uow, [("customer", smith), *(("job", n) for n in [*blocked, behind])])
        # Smith's Add waits for a person: her jobs wait for her.
        uow.session.execute(
            update(SyncItem)
            .where(SyncItem.entity_type == "customer", SyncItem.entity_id == smith)
            .values(state=QueueState.ATTENTION)
        )
        uow.commit()
    monkeypatch.setattr(engine_module, "SENDABLE_SCAN", 4)  # the run is longer than the look
    assert office.engine.has_work() is True
    assert office.sync().percent == 100
    assert office.link("job", behind) is not None
    assert all(office.link("job", n) is None for n in blocked)
    assert len(office.qb.customers) == 3  # Jones and his two jobs: nothing of Smith's
