"""``reads``: the small reads around every message give what the session would give."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from desktop_app.db.models import Job, QbLink, Setting
from desktop_app.db.qbwc_models import WcSession
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, Database
from desktop_app.services import setting_specs
from desktop_app.services.queue_states import QueueState
from desktop_app.services.sync_queue import enqueue
from qbwc_server import mapping as m
from qbwc_server.sync import ahead, due, in_flight, planner, prefetch, reads
from tests.integration import service_helpers as make


def test_the_same_rows_as_the_session_and_what_is_not_flushed_yet(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        for name in ("Ann", "Bob", "Cy"):
            enqueue(uow, "customer", make.customer(uow, name).id)
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        items = list(session.scalars(select(SyncItem).order_by(SyncItem.id)))
        assert len(items) >= 3
        # Changed in the session, not flushed: a read sees it, as the session's own would.
        items[0].state, items[0].batch_id = QueueState.SENT, None
        items[1].isolation = "half-1"
        out = sorted(reads.rows(session, planner._OUT))
        assert out == [(items[0].entity_type, items[0].entity_id)]
        assert out == sorted(tuple(row) for row in session.execute(planner._OUT))
        assert reads.first(session, planner._ANY_ISOLATED) == (items[1].id,)
        assert reads.first(session, in_flight._ANY_SENT, {"keep": -1}) == (items[0].id,)
        assert due.any_due(session) is True
        with session.no_autoflush:
            items[2].state = QueueState.SENT  # not flushed inside no_autoflush: not seen yet
            assert len(reads.rows(session, planner._OUT)) == 1
        assert len(reads.rows(session, planner._OUT)) == 2


def test_columns_sqlalchemy_converts_read_as_the_session_gives_them(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        bob = make.customer(uow, "Bob")
        enqueue(uow, "customer", bob.id)
        make.job(uow, bob.id, scheduled_start=date(2026, 12, 7))
        uow.commit()
    with db.uow(admin) as uow:
        for item in uow.session.scalars(select(SyncItem)):
            item.next_attempt_at = datetime(2026, 12, 6, 12, 0, 0, 250000, tzinfo=UTC)
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        # A timestamp of ours (aware, UTC), a timestamp left empty, a flag, a plain date
        # (text SQLite's own type converts), beside plain columns.
        for statement in (
            select(SyncItem.id, SyncItem.created_at, SyncItem.next_attempt_at, SyncItem.done_at),
            select(WcSession.ticket, WcSession.expires_at, WcSession.hello_done),
            select(Job.id, Job.scheduled_start, Job.started_on),
        ):
            expected = [tuple(row) for row in session.execute(statement)]
            assert reads.rows(session, statement) == expected
            with db.engine.connect() as connection:
                assert reads.rows_on(connection, statement) == expected
        read = reads.first(session, select(SyncItem.next_attempt_at, SyncItem.created_at))
        assert read is not None
        assert read[0] == datetime(2026, 12, 6, 12, 0, 0, 250000, tzinfo=UTC)
        assert read[1].tzinfo is not None
        assert reads.first(session, select(Job.scheduled_start)) == (date(2026, 12, 7),)


def test_a_session_row_s_flags_and_times_read_as_the_session_gives_them(db: Database, admin: Actor) -> None:
    expires = datetime(2026, 12, 6, 12, 30, 0, tzinfo=UTC)
    with db.uow(admin) as uow:
        uow.session.add(
            WcSession(
                ticket="t-1",
                user_name="qb",
                state="active",
                expires_at=expires,
                hello_done=True,
                hello_pending=False,
            )
        )
        uow.commit()
    statement = select(WcSession.state, WcSession.expires_at, WcSession.hello_done, WcSession.hello_pending)
    with db.engine.connect() as connection:
        found = reads.rows_on(connection, statement)
    assert found == [("active", expires, True, False)]
    assert type(found[0][2]) is bool


def test_nothing_found_when_the_queue_is_empty(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        assert due.any_due(uow.session) is False
        assert reads.first(uow.session, planner._ANY_ISOLATED) is None
        assert reads.rows(uow.session, planner._OUT) == []


def test_which_records_are_linked_and_their_links_loaded_once(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        ids = [make.customer(uow, name).id for name in ("Ann", "Bob", "Cy")]
        uow.session.add(QbLink(entity_type="customer", entity_id=ids[1], qb_id="80-1", synced_at=due.now()))
        uow.session.add(QbLink(entity_type="job", entity_id=ids[0], qb_id="80-2", synced_at=due.now()))
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        found = reads.linked(session, "customer", ids)
        if session.connection().dialect.name == "sqlite":
            assert found == {ids[1]}
        else:  # (elsewhere every record is "maybe": the links' own read says)
            assert found == set(ids)
        assert reads.linked(session, "customer", []) == set()
        # Not flushed yet: seen, as the session's own read would see it.
        session.add(QbLink(entity_type="customer", entity_id=ids[2], qb_id="80-3", synced_at=due.now()))
        assert ids[2] in reads.linked(session, "customer", ids)
        prefetch.prefetch_answered(session, [SyncItem(entity_type="customer", entity_id=i) for i in ids])
        assert m.link_of(session, "customer", ids[0]) is None
        link = m.link_of(session, "customer", ids[1])
        assert link is not None and link.qb_id == "80-1"


def test_an_item_due_at_a_whole_second_is_due_then(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timestamps are compared as SQLite's text: the read's own must carry ".000000" too.
    when = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
    with db.uow(admin) as uow:
        enqueue(uow, "customer", make.customer(uow, "Ann").id)
        uow.commit()
    with db.uow(admin) as uow:
        for item in uow.session.scalars(select(SyncItem)):
            item.next_attempt_at = when
        uow.commit()
    with db.uow(admin) as uow:
        monkeypatch.setattr(due, "now", lambda: when)
        assert uow.session.scalar(due._ANY_DUE, {"now": when}) is not None
        assert due.any_due(uow.session) is True


def test_settings_changed_and_not_flushed_read_as_changed(db: Database, admin: Actor) -> None:
    with db.uow(admin) as uow:
        uow.session.add(Setting(key="review.flag", value="a"))
        uow.commit()
    with db.uow(admin) as uow:
        session = uow.session
        row = session.get(Setting, "review.flag")
        assert row is not None
        with session.no_autoflush:
            row.value = "b"
            assert setting_specs.session_values(session)["review.flag"] == "b"


def test_what_an_item_was_before_it_is_marked_sent_reads_as_the_session_gives_it(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = datetime(2026, 12, 6, 9, 30, 15, 120000, tzinfo=UTC)
    with db.uow(admin) as uow:
        for name in ("Ann", "Bob", "Cy", "Di", "Ed", "Flo", "Gus"):
            enqueue(uow, "customer", make.customer(uow, name).id)
        uow.commit()
    with db.uow(admin) as uow:
        items = list(uow.session.scalars(select(SyncItem).order_by(SyncItem.id)))
        # Two sent before (a lookup after a lost answer puts such an item back as it was).
        for item, request in ((items[1], "r-1"), (items[3], "r-3")):
            item.sent_at, item.request_id, item.attempts = sent, request, 2
            item.request_xml, item.response_xml, item.sent_context = "<Rq/>", "<Rs/>", '{"values": {}}'
        uow.commit()
    # Two statements for seven items: four, then three read by a statement of four.
    monkeypatch.setattr(ahead, "CAPTURE_CHUNK", 4)
    with db.uow(admin) as uow:
        planned = {item.id: f"p-{item.id}" for item in items}
        captured = sorted(ahead.capture(uow.session, planned), key=lambda one: one.item_id)
        expected = []
        for item in uow.session.scalars(select(SyncItem).order_by(SyncItem.id)):
            expected.append(
                ahead.Before(
                    item.id,
                    f"p-{item.id}",
                    item.phase,
                    item.attempts,
                    item.note,
                    item.batch_id,
                    item.request_id,
                    item.request_xml,
                    item.response_xml,
                    item.sent_at,
                    item.sent_context,
                )
            )
    assert captured == expected and len(captured) == 7
    assert captured[1].sent_at == sent and captured[0].sent_at is None
