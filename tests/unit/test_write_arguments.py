"""The fast path's statements get the arguments SQLAlchemy would give them.

``writes.Compiled.arguments`` works out once where each argument comes from instead of
running ``construct_params`` for every row; here both are run on every statement the sync
writes that way, with the kinds of values it passes, and must agree (the timestamp a
column computes for itself aside, which differs by the microsecond).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import UpdateBase

from desktop_app.services.queue_states import Phase
from qbwc_server.sync import fast_apply, in_flight
from qbwc_server.sync.writes import Compiled

WHEN = datetime(2026, 12, 5, 2, 30, 15, 123_456, tzinfo=UTC)
#: A whole second: SQLite's own text for it still carries ".000000" (compared as text).
WHOLE = datetime(2026, 12, 5, 2, 30, 15, tzinfo=UTC)
ITEM = {"item_id": 7, "answered_id": "7-1", "status_code": 0, "status_message": "Status OK"}
LINK = {
    "qb_id": "80000001-1",
    "edit_sequence": "17",
    "qb_name": "Smith, Ann",
    "synced_values": '{"Name": "Smith, Ann"}',
    "synced_at": WHEN,
}
CASES: list[tuple[UpdateBase, dict[str, Any]]] = [
    (fast_apply._ITEM_DONE, {**ITEM, "done_at": WHEN, "note": "", "response_xml": "<CustomerAddRs/>"}),
    (
        fast_apply._ITEM_REQUEUED,
        {**ITEM, "phase": Phase.ADD, "key": "customer:1:upsert", "note": "adding", "response_xml": "<x/>"},
    ),
    (fast_apply._MERGE_TWIN, {"key": "invoice:3:upsert", "item_id": 9, "note": "Merged into queue item 9."}),
    (fast_apply._LINK_INSERT, {"entity_type": "customer", "entity_id": 1, **LINK}),
    (fast_apply._LINK_UPDATE, {"link_id": 4, **LINK}),
    (fast_apply._UNLINK, {"entity_type": "invoice", "entity_id": 3}),
    (in_flight.ANSWERED, {"batch": 2, "responded_at": WHEN}),
    (in_flight.ANSWERED, {"batch": 2, "responded_at": WHOLE}),
    (
        in_flight.MARK_SENT,
        {
            "item_id": 7,
            "phase": Phase.CHECK,
            "batch": 2,
            "request": "7-1",
            "xml": "<InvoiceQueryRq/>",
            "sent": WHEN,
            "context": "{}",
        },
    ),
]


@pytest.mark.parametrize(("statement", "params"), CASES, ids=lambda case: getattr(case, "table", ""))
def test_arguments_are_those_sqlalchemy_makes(statement: UpdateBase, params: dict[str, Any]) -> None:
    compiled = Compiled(statement, sqlite.dialect())
    ours = compiled.arguments(params)
    reference = compiled.arguments_as_sqlalchemy_makes_them(params)
    computed = {index for index, name in enumerate(compiled.names) if name in compiled.computed}
    assert len(ours) == len(reference) == compiled.sql.count("?")
    for index, (mine, theirs) in enumerate(zip(ours, reference, strict=True)):
        if index in computed:
            assert type(mine) is type(theirs) and mine is not None  # a timestamp, made each run
        else:
            assert mine == theirs, compiled.names[index]


def test_a_missing_value_is_an_error_not_a_null() -> None:
    compiled = Compiled(fast_apply._LINK_INSERT, sqlite.dialect())
    params = {"entity_type": "customer", "entity_id": 1, **LINK}
    del params["qb_id"]
    with pytest.raises(KeyError, match="qb_id"):
        compiled.arguments(params)
