"""Two QuickBooks server processes on one PostgreSQL queue: no item is ever sent twice.

Each "server" has its own connection pool, sync engine, Web Connector session and
simulated QuickBooks; both drain the same queue at the same time.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from desktop_app.db.open import open_database
from desktop_app.db.qbwc_models import WC_ABANDONED, WC_ACTIVE, WcSession
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, Database
from desktop_app.services import settings, sync_queue
from qbwc_server.simulator import QuickBooksCompany
from qbwc_server.status import connector_status
from qbwc_server.sync import SyncEngine
from tests.integration import service_helpers as make

pytestmark = pytest.mark.postgres

ADMIN = Actor(name="Ada Admin", role="admin")
CUSTOMERS = 120
REQUEST_ID = re.compile(r'requestID="(\d+)-\d+"')


def _open_session(db: Database, ticket: str) -> None:
    now = datetime.now(UTC)
    with db.uow() as uow:
        uow.session.add(
            WcSession(ticket=ticket, user_name="qb", state=WC_ACTIVE, expires_at=now + timedelta(minutes=30))
        )
        uow.commit()


def _queue_customers(db: Database, count: int, batch: int = 4) -> list[int]:
    with db.uow(ADMIN) as uow:
        ids = [make.customer(uow, f"Customer {n:03}").id for n in range(count)]
        settings.set_setting(uow, "sync.batch_max_requests", batch)
        sync_queue.send_records(uow, [("customer", i) for i in ids])
        uow.commit()
    return ids


def _item_ids(message: str) -> list[int]:
    return [int(found) for found in REQUEST_ID.findall(message)]


@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_two_servers_draining_one_queue_send_every_item_exactly_once(pg_url: str, plan_ahead: bool) -> None:
    setup = open_database(pg_url)
    try:
        _queue_customers(setup, CUSTOMERS)
        with setup.reader() as uow:
            queued = set(uow.session.scalars(select(SyncItem.id).where(SyncItem.state == "queued")))
        assert len(queued) >= CUSTOMERS
    finally:
        setup.dispose()
    servers = [open_database(pg_url, upgrade=False) for _ in range(2)]
    barrier = threading.Barrier(2)
    # One QuickBooks company file, answering one request message at a time.
    quickbooks = QuickBooksCompany()
    qb_lock = threading.Lock()

    def answer(message: str) -> str:
        with qb_lock:
            return quickbooks.process(message)

    def drain(db: Database, ticket: str) -> list[int]:
        engine = SyncEngine(db, plan_ahead=plan_ahead)  # as the servers run it, or in turn
        _open_session(db, ticket)
        sent: list[int] = []
        barrier.wait()
        engine.start_session(ticket)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = engine.next_request(ticket)
            if message:
                sent += _item_ids(message)
                engine.apply_response(ticket, answer(message))
                continue
            # Nothing free for us: the other server may hold the rest; look again until done.
            with db.reader() as uow:
                if not uow.session.scalar(select(SyncItem.id).where(SyncItem.state.in_(("queued", "sent")))):
                    return sent
            time.sleep(0.01)
        raise AssertionError("the queue was not drained")

    try:
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(drain, db, f"server-{n}") for n, db in enumerate(servers)]
            sent = [future.result(120) for future in futures]
        with servers[0].reader() as uow:
            states = Counter(uow.session.scalars(select(SyncItem.state)))
    finally:
        for db in servers:
            db.dispose()
    everything = sent[0] + sent[1]
    assert Counter(everything).most_common(1)[0][1] == 1, "an item was sent twice"
    assert set(everything) == queued
    assert sent[0] and sent[1], "both servers took part"
    assert states == {"done": len(queued)}


def test_a_live_session_keeps_its_items_and_a_finished_one_gives_them_back(pg_url: str) -> None:
    db = open_database(pg_url)
    try:
        _queue_customers(db, 6, batch=3)
        first, second = SyncEngine(db), SyncEngine(db)
        _open_session(db, "live")
        _open_session(db, "other")
        out = _item_ids(first.next_request("live"))
        assert len(out) == 3
        # The other server's session starts and builds a batch: it must not take back
        # the items the live session is waiting on, nor send them itself.
        second.start_session("other")
        theirs = _item_ids(second.next_request("other"))
        assert set(theirs).isdisjoint(out)
        with db.reader() as uow:
            states = {i.id: i.state for i in uow.session.scalars(select(SyncItem))}
        assert all(states[i] == "sent" for i in out + theirs)
        # The first session is over (its Web Connector went away): its items come back,
        # to be checked in QuickBooks before they are ever sent again.
        with db.uow() as uow:
            row = uow.session.scalars(select(WcSession).where(WcSession.ticket == "live")).one()
            row.state = WC_ABANDONED
            uow.commit()
        second.apply_response("other", QuickBooksCompany().process(second.next_request("other") or _empty()))
        with db.reader() as uow:
            recovered = {i.id: (i.state, i.phase) for i in uow.session.scalars(select(SyncItem))}
        assert all(recovered[i] != ("sent", "add") for i in out)
    finally:
        db.dispose()


def _empty() -> str:
    return (
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError"/></QBXML>'
    )


def test_other_apps_see_the_servers_status_and_their_sync_now_reaches_it(pg_url: str) -> None:
    server_db = open_database(pg_url)
    office_db = open_database(pg_url, upgrade=False)
    try:
        engine = SyncEngine(server_db)
        with server_db.uow() as uow:
            settings.set_setting(uow, "sync.responsive", True)
            uow.commit()
        _open_session(server_db, "t")
        engine.end_session("t")
        assert not engine.has_work()
        with office_db.uow(ADMIN) as uow:
            sync_queue.request_sync_now(uow)
            uow.commit()
        assert engine.has_work(), "Sync now pressed in another app reaches the server"
        with office_db.reader() as uow:
            status = connector_status(uow)
        assert status.last_contact is not None and status.active_sessions == 1
    finally:
        office_db.dispose()
        server_db.dispose()
