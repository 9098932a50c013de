"""Each message handed out is recorded as a batch: the session's ticket, when, how many
requests it carries (the look-ahead's lookups too) and its size (``batches.plan_batch``)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desktop_app.db.sync_models import SyncBatch, SyncItem
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.due import now
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_look_ahead import _customers_then_invoices

_REQUEST = re.compile(r"<\w+Rq requestID=\"([^\"]+)\"")


def _batches(office: Office) -> dict[int, SyncBatch]:
    with office.db.reader() as uow:
        found = {batch.id: batch for batch in uow.session.scalars(select(SyncBatch))}
        for batch in found.values():
            uow.session.expunge(batch)
    return found


@pytest.mark.parametrize("plan_ahead", [True, False], ids=["planned ahead", "in turn"])
def test_each_message_is_recorded_as_its_batch(office: Office, plan_ahead: bool) -> None:
    _customers_then_invoices(office, 25)
    before = set(_batches(office))
    office.qb.log.clear()
    started = now()
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    assert office.sync().percent == 100
    batches = {key: batch for key, batch in _batches(office).items() if key not in before}
    messages = [request for request, _answer in office.qb.log if "<InvoiceAddRq" in request]
    assert messages and len(batches) >= len(messages)
    with office.db.reader() as uow:
        sent = {
            item.request_id: item.batch_id
            for item in uow.session.scalars(select(SyncItem).where(SyncItem.entity_type == "invoice"))
        }
    for message in messages:
        request_ids = _REQUEST.findall(message)
        (batch_id,) = {sent[rid] for rid in request_ids if rid in sent}
        batch = batches[batch_id or -1]
        # Every request it carries is counted: its items' and the look-ahead's lookups.
        assert batch.request_count == len(request_ids)
        assert batch.ticket and batch.error == "" and batch.responded_at is not None
        assert batch.created_at.tzinfo is not None and batch.created_at >= started
        assert 0 < batch.size_bytes <= len(message)
    # Some message carried lookups of numbers coming up (``probes``) beside its items.
    assert any(re.search(r'requestID="p\d+-', message) for message in messages)
