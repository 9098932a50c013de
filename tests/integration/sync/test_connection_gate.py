"""Connecting to a company: nothing of ours reaches QuickBooks before Send, and a record a
QuickBooks record may be (an undecided match) waits for a person, with what needs it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor
from desktop_app.errors import InvalidTransition, PermissionDenied
from desktop_app.services import connection, settings, sync_queue
from desktop_app.services.queue_states import QueueState
from qbwc_server.sync.planner import MATCH_NOTE
from tests.integration.sync.conftest import Office

OFFICE_USER = Actor(name="Olly Office", role="office")


def _bind(office: Office) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "qbwc.bound_company_name", "Rock Castle Construction")
        uow.commit()


def _start(office: Office) -> connection.ConnectionState:
    with office.db.uow() as uow:
        state = connection.start_connection(uow)
        uow.commit()
    return state


def _send(office: Office, *ids: int) -> None:
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", n) for n in ids])
        uow.commit()


def _propose(office: Office, customer_id: int) -> int:
    """A QuickBooks customer that may be ours (as the matching step leaves it)."""
    with office.db.uow() as uow:
        record = QuickBooksListRecord(
            kind="customer",
            list_id="80000099-1",
            name="OBrien, Pavel",
            full_name="OBrien, Pavel",
            match_key="brien o pavel",
        )
        uow.session.add(record)
        uow.session.flush()
        proposal = MatchProposal(
            entity_type="customer", entity_id=customer_id, qb_record_id=record.id, reason="spelling"
        )
        uow.session.add(proposal)
        uow.commit()
        return proposal.id


def _decide(office: Office, proposal_id: int) -> None:
    with office.db.uow() as uow:
        proposal = uow.session.get(MatchProposal, proposal_id)
        assert proposal is not None
        proposal.decision = "create"
        uow.commit()


def test_while_connecting_only_imports_reach_quickbooks(office: Office) -> None:
    _bind(office)
    customer = office.customer("O'Brien, Pavel")
    _send(office, customer)
    state = _start(office)
    assert state.writes_held and state.step == "import"
    with office.db.uow() as uow:
        connection.start_import(uow)
        uow.commit()
    office.sync()
    assert office.link("customer", customer) is None
    assert not any(c.name == "O'Brien, Pavel" for c in office.qb.customers)
    with office.db.reader() as uow:
        progress = connection.import_progress(uow)
    assert progress.finished, progress.steps
    # Nothing of ours is due while connecting: no session is opened for it.
    assert office.engine._anything_sendable() is False

    with office.db.uow() as uow:
        connection.send_first_sync(uow)
        uow.commit()
    office.sync()
    assert office.link("customer", customer) is not None
    assert sum(c.name == "O'Brien, Pavel" for c in office.qb.customers) == 1


def test_an_undecided_match_holds_the_record_and_what_needs_it(office: Office) -> None:
    customer_id, job_id, invoice_id = office.invoiced_job("O'Brien, Pavel")
    proposal = _propose(office, customer_id)
    with office.db.uow() as uow:
        sync_queue.enqueue_invoice(uow, invoice_id)
        uow.commit()
    office.sync()
    assert office.link("customer", customer_id) is None
    assert office.link("invoice", invoice_id) is None
    # The customer is queued (the queue shows it) and held with the reason; what needs it
    # waits for it.
    (held,) = office.items_of("customer", customer_id)
    assert held.state == QueueState.QUEUED and held.note == MATCH_NOTE
    (waiting,) = [one for one in office.items_of("job", job_id) if one.state == QueueState.QUEUED]
    assert MATCH_NOTE in waiting.note and "O'Brien" in waiting.note, waiting.note
    # What waits only for a person opens no session.
    assert office.engine._anything_sendable() is False

    _decide(office, proposal)
    with office.db.uow() as uow:
        from desktop_app.services.sync_center import wake_waiting

        wake_waiting(uow)
        uow.commit()
    office.sync()
    assert office.link("customer", customer_id) is not None
    assert office.link("job", job_id) is not None
    assert office.link("invoice", invoice_id) is not None


def test_send_is_refused_while_a_match_is_undecided_and_before_the_import(office: Office) -> None:
    _bind(office)
    customer = office.customer("O'Brien, Pavel")
    _start(office)
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="import"):
        connection.send_first_sync(uow)
    with office.db.uow() as uow:
        connection.start_import(uow)
        uow.commit()
    office.sync()
    proposal = _propose(office, customer)
    with office.db.uow() as uow, pytest.raises(InvalidTransition, match="1 possible match"):
        connection.send_first_sync(uow)
    _decide(office, proposal)
    with office.db.uow() as uow:
        state = connection.send_first_sync(uow)
        uow.commit()
    assert state.step == "done" and not state.writes_held


def test_the_wizard_resumes_where_it_stopped_and_moves_forward_only_when_ready(office: Office) -> None:
    with office.db.uow() as uow:
        assert connection.start_connection(uow).step == "bind"
        with pytest.raises(InvalidTransition, match="not bound"):
            connection.go_to_step(uow, "import")
        uow.commit()
    _bind(office)
    with office.db.uow() as uow:
        connection.go_to_step(uow, "import")
        with pytest.raises(InvalidTransition, match="finished 0 of"):
            connection.go_to_step(uow, "review")
        uow.commit()
    # Closing the app half way: a new unit of work (a new start) continues at the same step.
    again = _start(office)
    assert again.step == "import" and again.writes_held
    with office.db.uow() as uow:
        connection.start_import(uow)
        uow.commit()
    office.sync()
    with office.db.uow() as uow:
        assert connection.go_to_step(uow, "numbering").step == "numbering"
        assert connection.go_to_step(uow, "review").step == "review"  # back is always allowed
        uow.commit()


def test_an_office_user_cannot_connect_or_send(office: Office) -> None:
    with office.db.uow(OFFICE_USER) as uow:
        with pytest.raises(PermissionDenied):
            connection.start_connection(uow)
        with pytest.raises(PermissionDenied):
            connection.send_first_sync(uow)
        with pytest.raises(PermissionDenied):
            connection.start_import(uow)
    with office.db.reader() as uow:
        assert not connection.connection_state(uow).in_progress
        assert uow.session.scalar(select(SyncItem.id).where(SyncItem.entity_type == "import")) is None


def test_abandoning_lets_the_sync_go_on_as_before(office: Office) -> None:
    _bind(office)
    customer = office.customer("Kim, Hiro")
    _send(office, customer)
    _start(office)
    with office.db.uow() as uow:
        state = connection.abandon_connection(uow)
        uow.commit()
    assert not state.in_progress and not state.writes_held
    office.sync()
    assert office.link("customer", customer) is not None
