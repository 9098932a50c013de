"""A credit memo and its application whose answers are lost, refused or busy, synced four
ways (one message or a request a message, planned in turn or ahead): the order of the two
follows what QuickBooks has now, and a total changed on either side goes as a person chooses.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from desktop_app.services import (
    settings,
    sync_center,
)
from qbwc_server.simulator import txns as simulated_txns
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office
from tests.integration.sync.test_credit_memo_sync import (
    _apply,
    _credit,
    _credit_in_quickbooks,
    _edit,
)
from tests.integration.sync.test_lost_answers_and_credits import _credited, _number, _unapply

_BOTH_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["one message", "a request a message", "one message, planned ahead", "a request a message, ahead"],
)


def _as_configured(office: Office, per_message: int, plan_ahead: bool) -> None:
    if plan_ahead:
        office.engine = SyncEngine(office.db, plan_ahead=True)
        assert office.engine.plan_ahead
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()


def _applied_credit(office: Office, customer: str, per_message: int, plan_ahead: bool) -> tuple[int, int]:
    """(credit id, invoice id): a credit of 85.00 applied in full to the customer's invoice, in
    QuickBooks; then the engine set to plan ahead or not, with ``per_message`` requests."""
    customer_id, job_id, invoice_id = office.invoiced_job(customer)
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "85.00")
    office.sync()
    _as_configured(office, per_message, plan_ahead)
    return credit_id, invoice_id


class _LosesFirst:
    """QuickBooks does the first request of a kind, but its answer never comes back."""

    def __init__(self, office: Office, tag: str) -> None:
        self.office, self.tag, self.lost = office, tag, False

    def process(self, message: str) -> str:
        if self.tag in message and not self.lost:
            self.lost = True
            self.office.qb.lose_next_response()
        return self.office.qb.process(message)


@_BOTH_WAYS
def test_the_order_of_a_credit_and_its_application_follows_what_quickbooks_has_now(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Raised and applied more (the application after the credit); its answer lost; then
    unapplied and lowered (the application first now). The order is worked out when the two
    go, from what QuickBooks last said, not kept from when they were queued: they must not
    wait for each other for ever, and QuickBooks must end with what JobDesk has."""
    credit_id, invoice_id = _applied_credit(office, "Alpha Homes", per_message, plan_ahead)
    _edit(office, credit_id, (("1", "100"),))
    _apply(office, credit_id, invoice_id, "15.00")
    assert run_session(office.engine, _LosesFirst(office, "ReceivePaymentModRq")).broken
    _unapply(office, credit_id, invoice_id, "60.00")
    _edit(office, credit_id, (("1", "50"),))
    for _session in range(3):
        office.sync()
    assert [a.kind for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("50.00")
    assert _credited(office, invoice_id) == Decimal("40.00")
    assert office.engine.has_work() is False


class _RefusesFirst:
    """QuickBooks refuses the first request of a kind with an error for a person (3070)."""

    def __init__(self, office: Office, tag: str) -> None:
        self.office, self.tag, self.done = office, tag, False

    def process(self, message: str) -> str:
        if f"<{self.tag}Rq " not in message or self.done:
            return self.office.qb.process(message)
        self.done = True
        found = re.search(rf'<{self.tag}Rq requestID="([^"]+)"', message)
        assert found is not None
        refused = (
            f'<{self.tag}Rs requestID="{found.group(1)}" statusCode="3070" statusSeverity="Error" '
            'statusMessage="The string is too long."/>'
        )
        if message.count("requestID=") == 1:
            return f'<?xml version="1.0"?><QBXML><QBXMLMsgsRs>{refused}</QBXMLMsgsRs></QBXML>'
        answer = self.office.qb.process(message.replace(found.group(0), f'<{self.tag}Rq requestID="x"', 1))
        return re.sub(rf'<{self.tag}Rs requestID="x".*?</{self.tag}Rs>', refused, answer, flags=re.S)


@_BOTH_WAYS
def test_a_lowered_credit_waits_while_its_application_needs_a_person(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """One alert, for the one thing to fix: the lowered credit does not go (to be refused
    too) while the change of where it is applied waits for a person; it goes after."""
    credit_id, invoice_id = _applied_credit(office, "Lind, Bo", per_message, plan_ahead)
    _unapply(office, credit_id, invoice_id, "45.00")
    _edit(office, credit_id, (("1", "40"),))
    run_session(office.engine, _RefusesFirst(office, "ReceivePaymentMod"))
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.entity_type == "credit_application"
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("85.00")
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("40.00")
    assert _credited(office, invoice_id) == Decimal("40.00")


class _BusyOnFirst:
    """QuickBooks' request processor refuses the first message holding a request of a kind
    (an hresult that is not a parse error): it may have done it, or not."""

    hresult = "0x80040408"

    def __init__(self, office: Office, tag: str) -> None:
        self.office, self.tag, self.done = office, tag, False

    def process(self, message: str) -> str:
        if self.tag in message and not self.done:
            self.done = True
            error = RuntimeError("QuickBooks is busy")
            error.hresult = self.hresult  # type: ignore[attr-defined]
            raise error
        return self.office.qb.process(message)


@pytest.mark.parametrize("lost", ["answer lost", "message refused"])
@_BOTH_WAYS
def test_a_credit_whose_total_a_lost_answer_left_unknown_is_read_before_it_is_ordered(
    office: Office, per_message: int, plan_ahead: bool, lost: str
) -> None:
    """Raised to 120 and that Mod's answer lost (QuickBooks did it, or may have): its total
    in QuickBooks is unknown. Then unapplied and lowered: which goes first depends on that
    total, so it is read back before either goes, and QuickBooks ends with what JobDesk has
    (it was refused for ever, with an alert no choice of which could fix)."""
    credit_id, invoice_id = _applied_credit(office, "Alpha Homes", per_message, plan_ahead)
    _edit(office, credit_id, (("1", "120"),))
    losing = (
        _LosesFirst(office, "CreditMemoModRq")
        if lost == "answer lost"
        else _BusyOnFirst(office, "CreditMemoModRq")
    )
    run_session(office.engine, losing)
    _unapply(office, credit_id, invoice_id, "55.00")
    _edit(office, credit_id, (("1", "50"),))
    for _session in range(3):
        office.sync()
    assert [a.kind for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("50.00")
    assert _credited(office, invoice_id) == Decimal("30.00")
    assert office.engine.has_work() is False


@_BOTH_WAYS
def test_a_credit_memo_found_after_its_add_was_lost_gets_the_changes_made_since(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Its Add reached QuickBooks but the answer was lost; it was then lowered here. Found by
    the lookup that follows, it is linked and then brought up to date (the change made
    meanwhile had merged into the Add's item and was lost)."""
    customer_id, job_id, invoice_id = office.invoiced_job("Alpha Homes")
    office.sync()
    _as_configured(office, per_message, plan_ahead)
    credit_id = _credit(office, customer_id, job_id, office.labor())
    _apply(office, credit_id, invoice_id, "85.00")
    assert run_session(office.engine, _LosesFirst(office, "CreditMemoAddRq")).broken
    _unapply(office, credit_id, invoice_id, "55.00")
    _edit(office, credit_id, (("1", "50"),))
    for _session in range(2):
        office.sync()
    assert [a.kind for a in office.alerts() if a.state == "open"] == []
    assert len(office.qb.state.credit_memos) == 1
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("50.00")
    assert _credited(office, invoice_id) == Decimal("30.00")


def _credit_in_sync(office: Office, per_message: int, plan_ahead: bool) -> int:
    """An 85.00 credit applied to nothing, in QuickBooks; then the engine configured."""
    customer_id, job_id, _invoice_id = office.invoiced_job("Alpha Homes")
    credit_id = _credit(office, customer_id, job_id, office.labor())
    office.sync()
    _as_configured(office, per_message, plan_ahead)
    return credit_id


def _clash_then_retry(office: Office, credit_id: int, *, theirs: str, ours: str) -> None:
    """The sync raises one edit-conflict alert naming both totals, QuickBooks' kept; a person
    retries it (to send ours, as it says): ours goes, and no alert is left."""
    office.sync()
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.kind == "edit_conflict" and theirs in alert.message and ours in alert.message
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal(theirs)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal(ours)


def _total_changed_in_quickbooks(office: Office, credit_id: int, amount: str) -> None:
    """Someone in QuickBooks changes the credit memo's (single) line to ``amount``."""
    link = office.link("credit_memo", credit_id)
    assert link is not None
    memo = office.qb.state.credit_memos[link.qb_id]
    memo.lines[0].amount = Decimal(amount)
    memo.lines[0].rate, memo.lines[0].quantity = Decimal(amount), Decimal(1)
    simulated_txns.compute_totals(office.qb.core, memo)
    memo.time_modified, memo.edit_sequence = office.qb.core.tick(), office.qb.core.stamp()


@_BOTH_WAYS
def test_a_credit_changed_on_both_sides_after_a_lost_answer_goes_as_the_person_chooses(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """Raised to 120 and the answer lost; then set to 99 in QuickBooks and lowered to 50 here:
    a clash, rightly an alert. Retrying it (to send ours, as the alert says) sends ours,
    instead of re-reading and raising the same alert for ever."""
    credit_id = _credit_in_sync(office, per_message, plan_ahead)
    _edit(office, credit_id, (("1", "120"),))
    run_session(office.engine, _LosesFirst(office, "CreditMemoModRq"))
    _total_changed_in_quickbooks(office, credit_id, "99")
    _edit(office, credit_id, (("1", "50"),))
    _clash_then_retry(office, credit_id, theirs="99.00", ours="50.00")
    assert office.engine.has_work() is False


@_BOTH_WAYS
def test_a_credit_total_changed_only_in_quickbooks_is_not_overwritten_by_a_change_here(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """A credit memo's Mod replaces every line: sending a change made here (its memo) would
    overwrite the total someone set in QuickBooks. After the 3200 that change meets, the
    re-read finds it: an alert lets a person choose (retry sends ours)."""
    credit_id = _credit_in_sync(office, per_message, plan_ahead)
    _total_changed_in_quickbooks(office, credit_id, "99")
    _edit(office, credit_id, (("1", "85"),), memo="Changed here: the memo only")
    _clash_then_retry(office, credit_id, theirs="99.00", ours="85.00")


@_BOTH_WAYS
def test_a_credit_changed_only_here_after_a_3200_goes_without_an_alert(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """The same 3200 when QuickBooks changed nothing the Mod carries (only its EditSequence
    moved): ours goes, with no alert."""
    credit_id = _credit_in_sync(office, per_message, plan_ahead)
    link = office.link("credit_memo", credit_id)
    assert link is not None
    memo = office.qb.state.credit_memos[link.qb_id]
    memo.edit_sequence = office.qb.core.stamp()  # touched in QuickBooks, nothing changed
    _edit(office, credit_id, (("1", "50"),), memo="Changed here too")
    office.sync()
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("50.00")


@pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (1, True)],
    ids=["one message", "a request a message", "a request a message, planned ahead"],
)
def test_a_credit_lowered_once_unapplied_waits_for_the_application_answer(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """QuickBooks refuses the application's change first (someone edited its $0.00 payment
    there): the lowered credit memo must not have gone meanwhile, in the same message or in
    one planned ahead, or QuickBooks refuses it too and a person has to step in."""
    credit_id, invoice_id = _applied_credit(office, "Lind, Bo", per_message, plan_ahead)
    _unapply(office, credit_id, invoice_id, "45.00")
    _edit(office, credit_id, (("1", "40"),))
    (zero,) = [p for p in office.qb.payments if p.total == Decimal("0.00")]
    zero.edit_sequence = str(int(zero.edit_sequence) + 7)  # touched in QuickBooks
    assert office.sync().percent == 100
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("40.00")
    assert _credited(office, invoice_id) == Decimal("40.00")


@pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (1, True)],
    ids=["one message", "a request a message", "a request a message, planned ahead"],
)
def test_a_credit_raised_then_applied_more_is_applied_after_its_own_answer(
    office: Office, per_message: int, plan_ahead: bool
) -> None:
    """The mirror order: QuickBooks refuses the credit memo's raise first (someone edited it
    there); applying more of it must wait for that answer, or QuickBooks refuses the
    application too (above the credit's total there) and a person has to step in."""
    credit_id, invoice_id = _applied_credit(office, "Alpha Homes", per_message, plan_ahead)
    _edit(office, credit_id, (("1", "100"),))
    _apply(office, credit_id, invoice_id, "15.00")
    (memo,) = office.qb.state.credit_memos.values()
    memo.edit_sequence = str(int(memo.edit_sequence) + 7)  # touched in QuickBooks
    assert office.sync().percent == 100
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert _credit_in_quickbooks(office, _number(office, credit_id)).total_amount == Decimal("100.00")
    assert _credited(office, invoice_id) == Decimal("100.00")
