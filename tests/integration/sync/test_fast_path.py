"""The fast path for common answers writes exactly what the general path writes.

``fast_apply`` handles most answers with a few statements (on SQLite, on the driver's
own connection); ``apply.apply_result`` stays the reference. The same office is synced
three ways and every queue item and link is compared, column by column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import IntegrityError

from desktop_app.db.models import Customer, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services import customers, invoices, payments, settings, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import apply as apply_module
from qbwc_server.sync import fast_apply, writes
from tests.integration.sync.conftest import FINISHED, Office

ITEM_COLUMNS = (
    "entity_type",
    "entity_id",
    "action",
    "state",
    "phase",
    "pending_key",
    "attempts",
    "request_id",
    "request_xml",
    "response_xml",
    "status_code",
    "status_message",
    "note",
    "depends_on",
    "next_attempt_at",
)
LINK_COLUMNS = ("entity_type", "entity_id", "qb_id", "edit_sequence", "qb_name", "synced_values")


def _busy_office(office: Office) -> None:
    """Customers, jobs, invoices, a renamed customer, a void, a payment made and deleted."""
    ids = [office.invoiced_job(f"Customer {n}", quantity=str(n + 1)) for n in range(4)]
    with office.db.uow() as uow:
        paid = payments.mark_paid(uow, ids[0][2], received_on=FINISHED, reference="1042")
        uow.commit()
    office.sync()
    with office.db.uow() as uow:
        invoices.void_invoice(uow, ids[1][2], reason="Wrong job")
        payments.delete_payment(uow, paid.id)
        detail = customers.get_customer(uow, ids[2][0])
        fields = detail.to_fields()
        renamed = fields.__class__(**{**fields.__dict__, "display_name": "Renamed Customer"})
        customers.update_customer(uow, ids[2][0], detail.version, renamed)
        sync_queue.send_everything_pending(uow)
        uow.commit()
    office.sync()
    office.sync()


def _rows(office: Office) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with office.db.reader() as uow:
        items = [
            tuple(getattr(i, c) for c in ITEM_COLUMNS)
            for i in uow.session.scalars(select(SyncItem).order_by(SyncItem.id))
        ]
        links = [
            tuple(getattr(link, c) for c in LINK_COLUMNS)
            for link in uow.session.scalars(select(QbLink).order_by(QbLink.entity_type, QbLink.entity_id))
        ]
    return items, links


def test_the_fast_path_writes_what_the_general_path_writes(
    fresh_office: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    general = fresh_office("general")
    with monkeypatch.context() as patch:
        patch.setattr("qbwc_server.sync.answers.prepare_fast", lambda *args: None)
        _busy_office(general)
    through_session = fresh_office("session")
    with monkeypatch.context() as patch:
        patch.setattr("qbwc_server.sync.fast_apply.writes_for", writes.SessionWrites)
        _busy_office(through_session)
    one_by_one = fresh_office("one_by_one")
    together: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr("qbwc_server.sync.answers.write_many", lambda session, fasts: fasts)
        _busy_office(one_by_one)
    on_sqlite = fresh_office("sqlite")
    real_write_many = fast_apply.write_many

    def counted(session: Any, fasts: list[fast_apply.Fast]) -> list[fast_apply.Fast]:
        left = real_write_many(session, fasts)
        together.append(len(fasts) - len(left))
        return left

    with monkeypatch.context() as patch:
        patch.setattr("qbwc_server.sync.answers.write_many", counted)
        _busy_office(on_sqlite)

    expected = _rows(general)
    assert len(expected[0]) > 15 and len(expected[1]) > 10  # the scenario did sync
    assert {row[3] for row in expected[0]} == {"done"}
    assert _rows(through_session) == expected
    assert _rows(one_by_one) == expected
    assert _rows(on_sqlite) == expected
    assert max(together) >= 2  # answers were written together there
    # And QuickBooks ended the same: one voided invoice, no payment.
    for office in (general, through_session, one_by_one, on_sqlite):
        assert sorted(i.is_void for i in office.qb.invoices) == [False, False, False, True]
        assert office.qb.payments == []


def test_common_answers_never_reach_the_general_path(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = apply_module.apply_result

    def spy(session: Any, item: SyncItem, *args: Any) -> None:
        calls.append(f"{item.entity_type}:{item.phase}")
        real(session, item, *args)

    monkeypatch.setattr("qbwc_server.sync.answers.apply_one", spy)
    for n in range(3):
        office.invoiced_job(f"Customer {n}")
    office.sync()
    assert len(office.qb.invoices) == 3
    # Imports (the payment pull at the end of the session) always take the general path.
    assert [call for call in calls if not call.startswith("import:")] == []


@pytest.mark.parametrize(
    ("meanwhile", "expected"),
    [
        # Another server applied this very answer.
        ({"state": "done", "note": "other"}, ("done", "other", "-1")),
        # Another server recovered the item and sent it again, as attempt 2.
        ({"request_id": "resent"}, ("sent", "", "-2")),
    ],
)
def test_an_answer_is_left_alone_when_another_process_dealt_with_the_item(
    office: Office, meanwhile: dict[str, str], expected: tuple[str, str, str]
) -> None:
    customer_id = office.customer("Smith, Ann")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.engine.start_session("race")
    results = q.parse_response(office.qb.process(office.engine.next_request("race")))
    (_, result), *_ = results.items()
    with office.db.pinned() as uow:
        item = uow.session.scalar(select(SyncItem).where(SyncItem.entity_id == customer_id))
        assert item is not None and item.state == "sent"
        uow.session.commit()
        changes = {k: (f"{item.id}-2" if v == "resent" else v) for k, v in meanwhile.items()}
        with office.db.uow() as other:
            other.session.execute(update(SyncItem).where(SyncItem.id == item.id).values(**changes))
            other.commit()
        assert fast_apply.apply_fast(uow.session, item, result, {}, "") is True
    (stored,) = office.items_of("customer", customer_id)
    assert (stored.state, stored.note, stored.request_id) == (
        expected[0],
        expected[1],
        f"{stored.id}{expected[2]}",
    )
    assert office.link("customer", customer_id) is None


def test_sqlite_writes_convert_values_as_sqlalchemy_does(office: Office) -> None:
    if office.db.engine.dialect.name != "sqlite":
        pytest.skip("the driver-level writes exist only on SQLite")
    office.customer("Smith, Ann")
    when = datetime(2026, 11, 22, 3, 4, 5, 600_000, tzinfo=UTC)
    with office.db.pinned() as uow:
        writer = writes.writes_for(uow.session)
        assert isinstance(writer, writes.SqliteWrites)
        fields = {"qb_id": "80000001-1", "edit_sequence": "17", "qb_name": "Smith", "synced_values": "{}"}
        writer.run(
            fast_apply._LINK_INSERT, {"entity_type": "customer", "entity_id": 1, **fields, "synced_at": when}
        )
        writer.commit()
        # The same QuickBooks id twice: SQLAlchemy's own error, and nothing left half done.
        second = writes.writes_for(uow.session)
        with pytest.raises(IntegrityError):
            second.run(
                fast_apply._LINK_INSERT,
                {"entity_type": "customer", "entity_id": 2, **fields, "synced_at": when},
            )
        second.commit()
    link = office.link("customer", 1)
    assert link is not None and link.synced_at == when and link.qb_id == "80000001-1"
    assert office.link("customer", 2) is None


def test_a_session_in_a_transaction_writes_through_the_session(office: Office) -> None:
    with office.db.pinned() as uow:
        uow.session.scalar(select(SyncItem.id).limit(1))  # the session has begun
        assert isinstance(writes.writes_for(uow.session), writes.SessionWrites)
    with office.db.uow() as uow:  # not on a connection of its own
        assert isinstance(writes.writes_for(uow.session), writes.SessionWrites)


@pytest.mark.parametrize("sane_count", [True, False])
def test_session_writes_count_the_rows_many_rows_touched(
    office: Office, monkeypatch: pytest.MonkeyPatch, sane_count: bool
) -> None:
    """A lot's check compares rows touched with answers: the count must be the whole lot's,
    from the driver's executemany or, where a driver cannot count that, row by row."""
    ids = [office.customer(f"Customer {n}") for n in range(3)]
    with office.db.pinned() as uow:
        dialect = uow.session.connection().dialect
        monkeypatch.setattr(dialect, "supports_sane_multi_rowcount", sane_count)
        writer = writes.SessionWrites(uow.session)
        noted = update(Customer).where(Customer.id == bindparam("record")).values(notes=bindparam("text"))
        rows = [{"record": n, "text": f"note {n}"} for n in [*ids, 999_999]]
        assert writer.run_many(noted, rows) == 3
        writer.rollback()  # the savepoint goes, and with it every row it touched
        uow.commit()
    with office.db.reader() as uow:
        assert uow.session.scalars(select(Customer.notes).where(Customer.id.in_(ids))).all() == ["", "", ""]


def test_an_import_answer_and_adds_in_one_batch_are_all_applied(office: Office) -> None:
    """After an import's answer (the general path), the adds' answers take the fast path."""
    ids = [office.customer(f"Customer {n}") for n in range(3)]
    with office.db.uow() as uow:
        sync_queue.enqueue_in(uow.session, "import", None, "import_terms")
        sync_queue.send_records(uow, [("customer", n) for n in ids])
        uow.commit()
    office.engine.start_session("mixed")
    message = office.engine.next_request("mixed")
    assert "StandardTermsQueryRq" in message and message.count("<CustomerAddRq ") == 3
    assert office.engine.apply_response("mixed", office.qb.process(message)) == 100
    assert all(office.link("customer", n) is not None for n in ids)
    assert {i.state for n in ids for i in office.items_of("customer", n)} == {"done"}


def test_writes_given_up_through_the_session_leave_its_records_loaded(office: Office) -> None:
    customer_id = office.customer("Smith, Ann")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    with office.db.pinned() as uow:
        item = uow.session.scalar(select(SyncItem).where(SyncItem.entity_id == customer_id))
        assert item is not None
        writer = writes.writes_for(uow.session)  # a transaction is open: through the session
        assert isinstance(writer, writes.SessionWrites)
        writer.run(
            fast_apply._MERGE_TWIN, {"key": item.pending_key, "item_id": item.id + 1000, "note": "merged"}
        )
        writer.rollback()
        assert not inspect(item).expired  # the prefetched records stay (no reload one by one)
        assert item.state == "queued"
    (stored,) = office.items_of("customer", customer_id)
    assert (stored.state, stored.note) == ("queued", "")


def _three_customers_answered(office: Office, ticket: str) -> tuple[list[int], str]:
    """Three customers sent in one message, and QuickBooks' answer (not applied yet)."""
    ids = [office.customer(f"Customer {n}") for n in range(3)]
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in ids])
        uow.commit()
    office.engine.start_session(ticket)
    return ids, office.qb.process(office.engine.next_request(ticket))


def test_answers_written_together_fall_back_one_by_one_when_another_process_took_one(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, response = _three_customers_answered(office, "race")
    real_prepare = fast_apply.prepare_fast
    left_over: list[int] = []
    real_write_many = fast_apply.write_many

    def taken_meanwhile(session: Any, item: SyncItem, *args: Any) -> fast_apply.Fast | None:
        if item.entity_id == ids[1]:
            # Another server applies this answer after the items were read (the row, not
            # this session's copy, changes: as seen from here).
            session.execute(
                update(SyncItem)
                .where(SyncItem.id == item.id)
                .values(state="done", note="other")
                .execution_options(synchronize_session=False)
            )
        return real_prepare(session, item, *args)

    def counted(session: Any, fasts: list[fast_apply.Fast]) -> list[fast_apply.Fast]:
        left = real_write_many(session, fasts)
        left_over.append(len(left))
        return left

    monkeypatch.setattr("qbwc_server.sync.answers.prepare_fast", taken_meanwhile)
    monkeypatch.setattr("qbwc_server.sync.answers.write_many", counted)
    office.engine.apply_response("race", response)
    assert left_over == [3]  # one of them could not be written together: all went one by one
    for n in (ids[0], ids[2]):
        (item,) = office.items_of("customer", n)
        assert item.state == "done" and office.link("customer", n) is not None
    (taken,) = office.items_of("customer", ids[1])
    assert (taken.state, taken.note) == ("done", "other")
    assert office.link("customer", ids[1]) is None  # its answer was left to the other server


def test_an_answer_that_fails_alone_costs_only_itself(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, response = _three_customers_answered(office, "alone")
    real_write_one = fast_apply.write_one

    def fails_for_the_second(session: Any, fast: fast_apply.Fast) -> bool:
        if fast.item.entity_id == ids[1]:
            raise RuntimeError("disk says no")
        return real_write_one(session, fast)

    # Written one by one (as when a lot cannot go together), the second one failing.
    monkeypatch.setattr("qbwc_server.sync.answers.write_many", lambda session, fasts: fasts)
    monkeypatch.setattr("qbwc_server.sync.answers.write_one", fails_for_the_second)
    office.engine.apply_response("alone", response)
    for n in (ids[0], ids[2]):
        (item,) = office.items_of("customer", n)
        assert item.state == "done" and office.link("customer", n) is not None
    (failed,) = office.items_of("customer", ids[1])
    assert failed.state == "attention" and office.link("customer", ids[1]) is None
    (alert,) = office.alerts()
    assert alert.sync_item_id == failed.id and "disk says no" in alert.message


def test_lookups_that_find_nothing_are_written_together(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Below the look-ahead's batch size, each new invoice looks its number up in a step.
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 8)
        uow.commit()
    for n in range(4):
        office.invoiced_job(f"Customer {n}")
    together: list[int] = []
    real_write_many = fast_apply.write_many

    def counted(session: Any, fasts: list[fast_apply.Fast]) -> list[fast_apply.Fast]:
        left = real_write_many(session, fasts)
        if not left:
            together.append(sum(fast.item_statement is fast_apply._ITEM_REQUEUED for fast in fasts))
        return left

    monkeypatch.setattr("qbwc_server.sync.answers.write_many", counted)
    office.sync()
    assert len(office.qb.invoices) == 4
    # The four "not found" answers (each invoice's Add goes next) went in one lot.
    assert 4 in together, together


def test_objects_learn_what_was_written_without_being_changed(office: Office) -> None:
    """``learn`` keeps the session's objects true to their rows: the values are there, the
    objects are not dirty (the commit that follows writes nothing), and an attribute never
    loaded is loaded by the value written."""
    customer_id = office.customer("Learning Co")
    with office.db.uow() as uow:
        sync_queue.enqueue_in(uow.session, "customer", customer_id)
        uow.commit()
    with office.db.uow() as uow:
        item = uow.session.scalars(
            select(SyncItem).where(SyncItem.entity_type == "customer", SyncItem.entity_id == customer_id)
        ).one()
        uow.session.expire(item, ["note"])
        fast_apply._remember(item, {"note": "learnt", "state": "done", "status_code": 0})
        state = inspect(item)
        assert (item.note, item.state, item.status_code) == ("learnt", "done", 0)
        assert not state.modified and not uow.session.dirty and "note" not in state.expired_attributes
        uow.commit()
    with office.db.reader() as uow:  # nothing was written by learning it, not even at the commit
        row = uow.session.execute(select(SyncItem.note, SyncItem.state).where(SyncItem.id == item.id)).one()
    assert tuple(row) != ("learnt", "done")
