"""An invoice sent on purpose with a number QuickBooks already uses ("Send anyway"): when its
answer is lost, or it comes back to its first step, the lookup of its number that follows must
tell ours from the one that was there, and never stop it (or the invoices after it) again."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from desktop_app.services import settings, sync_center
from qbwc_server.simulator import ResponseLostError
from qbwc_server.sync import SyncEngine
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office

FULL_NAME = "Smith, Ann:1000 Kitchen"


def _sent_anyway(office: Office) -> int:
    """Invoice 1000 of JobDesk, for the job that QuickBooks' own invoice 1000 (typed there, for
    another amount) is also for; the person chose "Send anyway"; nothing sent yet."""
    job_id = office.job_in_quickbooks()
    office.typed_in_quickbooks(FULL_NAME, "1000", "120.00")
    invoice_id = office.invoice(job_id)
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict" and alert.state == "open"
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "send_anyway")
        uow.commit()
    return invoice_id


class _InvoiceAddLost:
    """The first message with an InvoiceAdd: QuickBooks does it and the answer is lost
    (``reaches``), or it never reaches QuickBooks at all."""

    def __init__(self, office: Office, *, reaches: bool) -> None:
        self.office, self.reaches, self.done = office, reaches, False

    def process(self, message: str) -> str:
        if "InvoiceAddRq" in message and not self.done:
            self.done = True
            if not self.reaches:
                raise ResponseLostError("The connection dropped before QuickBooks got the message.")
            self.office.qb.lose_next_response()
        return self.office.qb.process(message)


def _theirs_and_ours(office: Office) -> tuple[str, str]:
    assert len(office.qb.invoices) == 2
    return _theirs_and_ours_of(office, "1000")


def _theirs_and_ours_of(office: Office, number: str) -> tuple[str, str]:
    theirs, ours = (i for i in office.qb.invoices if i.ref_number == number)  # oldest first
    assert theirs.subtotal == Decimal("120.00") and ours.subtotal != theirs.subtotal
    return theirs.txn_id, ours.txn_id


def test_a_lost_answer_links_ours_not_the_invoice_of_the_same_number_already_there(
    office: Office,
) -> None:
    invoice_id = _sent_anyway(office)
    assert run_session(office.engine, _InvoiceAddLost(office, reaches=True)).broken
    assert office.sync().percent == 100  # looked up: found there, not added again
    _theirs, ours = _theirs_and_ours(office)
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == ours
    assert [a.kind for a in office.alerts()] == ["number_conflict"]  # the one resolved before


def test_an_add_that_never_reached_quickbooks_goes_again_without_asking_again(office: Office) -> None:
    invoice_id = _sent_anyway(office)
    assert run_session(office.engine, _InvoiceAddLost(office, reaches=False)).broken
    assert len(office.qb.invoices) == 1  # only theirs
    assert office.sync().percent == 100  # looked up: only theirs, so ours is added
    _theirs, ours = _theirs_and_ours(office)
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == ours
    # The person's choice stands: no second number conflict.
    assert [a.kind for a in office.alerts()] == ["number_conflict"]


class _AddRefusedOnce:
    """QuickBooks refuses the first InvoiceAdd with ``code`` (nothing saved); the rest of the
    message is done as usual."""

    def __init__(self, office: Office, code: int, text: str) -> None:
        self.office, self.code, self.text, self.done = office, code, text, False

    def process(self, message: str) -> str:
        add = re.search(r'<InvoiceAddRq requestID="([^"]+)">.*?</InvoiceAddRq>', message, re.S)
        if add is None or self.done:
            return self.office.qb.process(message)
        self.done = True
        refused = (
            f'<InvoiceAddRs requestID="{add.group(1)}" statusCode="{self.code}" '
            f'statusSeverity="Error" statusMessage="{self.text}" />'
        )
        rest = message.replace(add.group(0), "")
        if "requestID=" not in rest:
            return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{refused}</QBXMLMsgsRs></QBXML>'
        return self.office.qb.process(rest).replace("</QBXMLMsgsRs>", refused + "</QBXMLMsgsRs>")


def _as_configured(office: Office, per_message: int, plan_ahead: bool) -> None:
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", per_message)
        uow.commit()


_FOUR_WAYS = pytest.mark.parametrize(
    ("per_message", "plan_ahead"),
    [(50, False), (1, False), (50, True), (1, True)],
    ids=["one message", "a request a message", "one message, planned ahead", "a request a message, ahead"],
)


@_FOUR_WAYS
@pytest.mark.parametrize("retried_by", ["a person", "the engine"])
def test_an_invoice_sent_anyway_back_at_its_first_step_is_added_once_and_holds_up_nothing(
    office: Office, per_message: int, plan_ahead: bool, retried_by: str
) -> None:
    """Sent anyway, refused, then back at its first step: a person's Retry after a plain
    refusal, or the engine's own after a reference QuickBooks did not know yet (3140). Its
    number is looked up again (one message ahead, with the numbers queued after it, or in a
    step of its own): the invoice it was sent next to does not stop it, and the session ends
    with every invoice in QuickBooks once."""
    _as_configured(office, per_message, plan_ahead)
    invoice_id = _sent_anyway(office)
    if retried_by == "a person":
        refused = _AddRefusedOnce(office, 3000, "The given object ID in the field list is invalid.")
        run_session(office.engine, refused)
        (error,) = [a for a in office.alerts() if a.state == "open"]
        with office.db.uow() as uow:
            sync_center.resolve_alert(uow, error.id, "retry")
            uow.commit()
    later = [office.invoiced_job(name)[2] for name in ("Jones, Bob", "Brown, Cy")]
    if retried_by == "the engine":
        missing = _AddRefusedOnce(office, 3140, "There is an invalid reference to a QuickBooks object.")
        report = run_session(office.engine, missing, max_round_trips=40)
    else:
        report = run_session(office.engine, office.qb, max_round_trips=40)
    assert report.percent == 100 and report.round_trips < 40
    _theirs, ours = _theirs_and_ours_of(office, "1000")
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == ours
    assert all(office.link("invoice", other) is not None for other in later)
    assert sorted(i.ref_number or "" for i in office.qb.invoices) == ["1000", "1000", "1001", "1002"]
    assert [a.kind for a in office.alerts() if a.kind == "number_conflict"] == ["number_conflict"]
