"""The pull of payments entered in QuickBooks asks only for what changed since the last pull
("read up to", in QuickBooks' clock). A pull's iterator holds the payments there when it
started, while its later pages show changes made since: the mark must never pass a payment
entered in QuickBooks while a long pull was being read (found by review). Runs planning in
turn and ahead."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.db.models import Payment
from desktop_app.services import settings, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office


class _Clock:
    """Our clock, moved on with QuickBooks' (a long pull takes as long on both PCs)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


class _WorkInQuickBooksDuringThePull:
    """Before QuickBooks answers the pull's second page, someone enters a payment there; the
    pull being long, ``minutes`` later a payment on a page not yet read is changed; our clock
    moves ``ours`` minutes meanwhile (as much, unless it is set back)."""

    def __init__(
        self, office: Office, clock: _Clock, fields, later_txn: str, minutes: int, ours: int
    ) -> None:  # type: ignore[no-untyped-def]
        self.office, self.clock, self.fields, self.later_txn = office, clock, fields, later_txn
        self.minutes, self.ours, self.done = minutes, ours, False

    def process(self, message: str) -> str:
        if not self.done and re.search(r'<ReceivePaymentQueryRq[^>]*iterator="Continue"', message):
            self.done = True
            self.office.qb_send(q.receive_payment_add("new", self.fields("7777")))
            self.office.qb.core.advance(timedelta(minutes=self.minutes))
            self.clock.at += timedelta(minutes=self.ours)
            (current,) = [p for p in self.office.qb.payments if p.txn_id == self.later_txn]
            self.office.qb_send(
                q.receive_payment_mod("m", self.later_txn, current.edit_sequence, self.fields("5503"))
            )
        return self.office.qb.process(message)


def _quickbooks_payments(office: Office) -> list[str]:
    with office.db.reader() as uow:
        found = uow.session.query(Payment.reference).filter(Payment.origin == "quickbooks")
        return sorted(reference for (reference,) in found)


@pytest.mark.parametrize(
    ("minutes", "ours"),
    [(10, 10), (1, 1), (90, 90), (10, 10 - 60)],
    ids=["10 minutes", "1 minute", "an hour and a half", "10 minutes, our clock set back an hour"],
)
@pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])
def test_a_payment_entered_during_a_long_pull_is_brought_in_by_the_next(
    office: Office, plan_ahead: bool, minutes: int, ours: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qbwc_server.sync.imports.PAGE", 2)
    clock = _Clock()
    monkeypatch.setattr("qbwc_server.sync.imports.now", clock)
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    office.invoiced_job()
    office.sync()
    fields = office.payment_in_quickbooks

    added = office.qb_send(*(q.receive_payment_add(f"p{n}", fields(f"55{n:02}")) for n in range(4)))
    last = added["p3"].record
    assert last is not None and last.txn_id
    with office.db.uow() as uow:
        sync_queue.request_sync_now(uow)
        uow.commit()
    quickbooks = _WorkInQuickBooksDuringThePull(office, clock, fields, last.txn_id, minutes, ours)
    assert run_session(office.engine, quickbooks, max_round_trips=40).percent == 100
    assert quickbooks.done
    assert _quickbooks_payments(office) == ["5500", "5501", "5502", "5503"]  # 7777 was not in it
    # The next pull, a minute later on both PCs: the payment entered during the first comes in.
    office.qb.core.advance(timedelta(minutes=1))
    clock.at += timedelta(minutes=1)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.payment_pull_done_at", "")
        sync_queue.request_sync_now(uow)
        uow.commit()
    assert office.sync(max_round_trips=40).percent == 100
    assert _quickbooks_payments(office) == ["5500", "5501", "5502", "5503", "7777"]
