"""An invoice sent on purpose with a number QuickBooks already uses ("Send anyway"), whose
answer is then lost: the lookup that follows must tell ours from the one that was there."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.services import sync_center
from qbwc_server.simulator import ResponseLostError
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
    theirs, ours = office.qb.invoices  # oldest first
    assert theirs.ref_number == ours.ref_number == "1000"
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
