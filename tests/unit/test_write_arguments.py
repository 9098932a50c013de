"""The fast path's statements get the arguments SQLAlchemy would give them.

``writes.Compiled.arguments`` works out once where each argument comes from instead of
running ``construct_params`` for every row; here both are run on every statement the sync
writes that way, with the kinds of values it passes, and must agree (the timestamp a
column computes for itself aside, which differs by the microsecond).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import UpdateBase

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from qbwc_server import session_rows
from qbwc_server.sync import batches, fast_apply, in_flight, writes
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
    (batches.NEW_BATCH, {"ticket": "t-1", "created": WHEN, "requests": 50, "size": 81_234}),
    (
        session_rows.touch_statement(("request_sent_at",)),
        {"b_ticket": "t-1", "b_now": WHEN, "b_expires": WHOLE, "v_request_sent_at": WHEN},
    ),
    (session_rows.touch_statement(()), {"b_ticket": "t-1", "b_now": WHOLE, "b_expires": WHEN}),
    (
        session_rows.answer_statement(True),
        {"b_ticket": "t-1", "b_now": WHEN, "b_expires": WHEN, "v_percent": 42},
    ),
    (session_rows.answer_statement(False), {"b_ticket": "t-1", "b_now": WHOLE, "b_expires": WHOLE}),
    (batches.BATCH_REQUESTS, {"batch": 2, "requests": 51}),
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


def test_two_threads_compiling_one_statement_at_once_share_one_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both threads miss the cache and build a Compiled together (a barrier holds each until
    # the other has built its own): both must come away with the one kept, or a dropped one
    # could be freed and its id reused by another statement's (whose conversions it would
    # then be taken for).
    statement = select(SyncItem.id, SyncItem.next_attempt_at).where(SyncItem.batch_id == 7)
    barrier = threading.Barrier(2, timeout=5)

    class Overlapping(Compiled):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            barrier.wait()

    monkeypatch.setattr(writes, "Compiled", Overlapping)
    got: list[Compiled] = []
    threads = [
        threading.Thread(target=lambda: got.append(writes.compiled_for(statement, sqlite.dialect())))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 2 and got[0] is got[1]
    assert got[0] is writes.compiled_for(statement, sqlite.dialect())
    # A read's conversions are the statement's own: the timestamp is converted, the id not.
    conversions = got[0].conversions
    assert conversions is not None and conversions[0] is None and conversions[1] is not None


def test_many_rows_sharing_a_value_are_converted_as_each_alone() -> None:
    # One timestamp object for every row (a message's), a different one, None, then back:
    # each row's arguments are those SQLAlchemy makes for it alone.
    compiled = Compiled(in_flight.MARK_SENT, sqlite.dialect())
    base = {"phase": Phase.ADD, "batch": 2, "xml": "<x/>", "context": "{}"}
    rows = [
        {**base, "item_id": 1, "request": "1-1", "sent": WHEN},
        {**base, "item_id": 2, "request": "2-1", "sent": WHEN},
        {**base, "item_id": 3, "request": "3-1", "sent": WHOLE},
        {**base, "item_id": 4, "request": "4-1", "sent": None},
        {**base, "item_id": 5, "request": "5-1", "sent": WHEN},
    ]
    made = compiled.names.index("updated_at")  # (a timestamp made each run: not compared)

    def compared(arguments: tuple[Any, ...]) -> tuple[Any, ...]:
        return arguments[:made] + arguments[made + 1 :]

    expected = [compared(compiled.arguments_as_sqlalchemy_makes_them(row)) for row in rows]
    assert [compared(arguments) for arguments in compiled.arguments_many(rows)] == expected
    assert [compared(compiled.arguments(row)) for row in rows] == expected
    sent = compiled.names.index("sent") - (compiled.names.index("sent") > made)
    assert [arguments[sent] for arguments in expected][2:4] == ["2026-12-05 02:30:15.000000", None]


def test_the_rows_of_one_run_share_one_reading_of_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # updated_at is computed for each run (``utcnow``): one reading for all the rows of a
    # statement run, not one a row (read and converted 200 times). The clock is replaced by
    # one whose readings all differ (a coarse clock, as on Windows, would hide the count).
    readings = iter(datetime(2031, 1, 1, 0, 0, second, tzinfo=UTC) for second in range(60))
    monkeypatch.setattr(writes, "utcnow", lambda: next(readings))
    compiled = Compiled(in_flight.MARK_SENT, sqlite.dialect())
    base = {"phase": Phase.ADD, "batch": 2, "xml": "<x/>", "context": "{}", "sent": WHEN}
    rows = [{**base, "item_id": k, "request": f"{k}-1"} for k in range(200)]
    made = compiled.names.index("updated_at")
    first = [arguments[made] for arguments in compiled.arguments_many(rows)]
    assert first == ["2031-01-01 00:00:00.000000"] * 200  # (SQLite's text for the one reading)
    # The next run reads the clock anew.
    assert {arguments[made] for arguments in compiled.arguments_many(rows[:3])} == {
        "2031-01-01 00:00:01.000000"
    }
