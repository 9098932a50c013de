"""A session taken over while the invoice's Add is out (QuickBooks saved it; its answer held
back), then that old session's answer arriving late: a change, void or rename of the record
saved before or after the take-over reaches QuickBooks once the answer is kept; nothing is
added twice, dropped, or left live after a void."""

from __future__ import annotations

import pytest

from desktop_app.services import invoices, settings
from tests.integration.sync.conftest import FINISHED, Office
from tests.integration.sync.test_changed_while_looked_up import _memo
from tests.integration.sync.test_dismissed_while_looked_up import _sync_until_quiet
from tests.integration.sync.test_renamed_while_looked_up import _names, _rename_customer


def _add_out(office: Office) -> tuple[int, int, str]:
    """(customer id, invoice id, QuickBooks' answer to the InvoiceAdd, held back) with the
    InvoiceAdd out in session "old" and saved by QuickBooks."""
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.on_job_finished", False)
        uow.commit()
    customer_id = office.customer("Kim, Hiro")
    invoice_id = office.invoice(office.finished_job(customer_id, office.labor()), issue=False)
    office.sync()  # the customer, the job and the item
    with office.db.uow() as uow:
        invoices.issue_invoice(uow, invoice_id, on=FINISHED)
        uow.commit()
    engine = office.engine
    engine.start_session("old")
    while "<InvoiceAddRq" not in (message := engine.next_request("old")):
        engine.apply_response("old", office.qb.process(message))
    return customer_id, invoice_id, office.qb.process(message)


@pytest.mark.parametrize("when", ["after the take-over", "while the Add was out"])
@pytest.mark.parametrize("what", ["change", "void", "rename"])
def test_what_was_saved_meanwhile_goes_once_the_late_answer_is_kept(
    office: Office, what: str, when: str
) -> None:
    customer_id, invoice_id, answer = _add_out(office)

    def meanwhile() -> None:
        if what == "change":
            _memo(office, invoice_id, "Changed meanwhile")
        elif what == "void":
            with office.db.uow() as uow:
                invoices.void_invoice(uow, invoice_id, "billed twice")
                uow.commit()
        else:
            _rename_customer(office, customer_id, "Kim, Hiroshi")

    if when == "while the Add was out":
        meanwhile()
    office.engine.start_session("new")  # a newer Web Connector session takes over
    if when == "after the take-over":
        meanwhile()
    office.engine.apply_response("old", answer, late=True)
    _sync_until_quiet(office)

    (invoice,) = office.qb.invoices  # never added twice
    assert office.link("invoice", invoice_id) is not None
    if what == "change":
        assert invoice.data.get("Memo") == "Changed meanwhile"
    elif what == "void":
        assert invoice.is_void
    else:
        assert "Kim, Hiroshi" in _names(office) and "Kim, Hiro" not in _names(office)
    assert [a for a in office.alerts() if a.state == "open"] == []
