"""A record kind added as one module: the planner, the answers and the queue service need no edit.

A "billing contact" kind is defined here as a new module would define it: a ``SyncKind`` (how
its requests are built) and a ``RecordKind`` (its model, rank and labels), registered, and
nothing else. Each customer's billing contact goes to QuickBooks as a customer of its own:
added once, changed as a Mod of what changed, looked up and linked (never added twice) when
the answer to its Add was lost, and linked to the record of its name QuickBooks already has.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from desktop_app.db import loaded
from desktop_app.db.models import Customer, QbLink
from desktop_app.services import customers, record_kinds, sync_queue
from desktop_app.services.queue_states import QueueState
from desktop_app.services.record_kinds import RecordKind
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync import kinds
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import SyncKind, customer_upsert
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import LosingTheAnswer, Office

# ===== the new module =====


def _contact(session: Session, record_id: int) -> Customer:
    found = loaded.get(session, Customer, record_id)
    if found is None:
        raise LookupError(f"customer #{record_id} is gone")
    return found


def _values(customer: Customer) -> dict[str, str]:
    return {"Name": f"{customer.display_name} billing", "IsActive": "true", "Phone": customer.home_phone}


class BillingContactKind(SyncKind):
    name = "billing_contact"
    query_tag = "CustomerQueryRq"
    qb_list_names = ("Customer",)

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        values = _values(_contact(session, record_id))
        return customer_upsert(
            request_id, link, values, lambda keys, mod: m.customer_fields(values, keys, mod=mod)
        )

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return _values(_contact(session, record_id))["Name"]

    def values_now(self, session: Session, record_id: int) -> dict[str, str]:
        return _values(_contact(session, record_id))


BILLING_CONTACT = RecordKind(
    "billing_contact",
    Customer,
    "billing contact",
    "billing contacts",
    lambda c: f"Billing contact of {c.display_name}",
    {"upsert": 15},  # after customers (10), before jobs
    is_list=True,
    sendable=False,
)

# ===== the tests =====


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module registered as the others are at start-up; the registry checked as at start-up."""
    monkeypatch.setitem(record_kinds._KINDS, "billing_contact", BILLING_CONTACT)
    monkeypatch.setitem(kinds._REGISTRY, "billing_contact", BillingContactKind())
    kinds.check_registry()
    assert kinds.is_list_kind("billing_contact")  # as the planner and the preview read it
    yield


def _queue(office: Office, customer_id: int) -> None:
    with office.db.uow() as uow:
        sync_queue.enqueue(uow, "billing_contact", customer_id)
        uow.commit()


def _in_quickbooks(office: Office, name: str) -> list[dict[str, str]]:
    return [element.data for element in office.qb.customers if element.name == name]


def _item_states(office: Office, customer_id: int) -> list[str]:
    return [item.state for item in office.items_of("billing_contact", customer_id)]


def test_a_new_kind_is_added_then_changed_as_any_other(office: Office) -> None:
    customer_id = office.customer("Stone, Ada", home_phone="555-0100")
    _queue(office, customer_id)
    assert office.sync().percent == 100
    link = office.link("billing_contact", customer_id)
    assert link is not None
    assert [data.get("Phone") for data in _in_quickbooks(office, "Stone, Ada billing")] == ["555-0100"]
    assert set(_item_states(office, customer_id)) == {QueueState.DONE}

    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        customers.update_customer(
            uow,
            customer_id,
            detail.version,
            customers.CustomerFields(display_name="Stone, Ada", first_name="Ann", home_phone="555-0199"),
        )
        sync_queue.enqueue(uow, "billing_contact", customer_id)
        uow.commit()
    assert office.sync().percent == 100
    assert [data.get("Phone") for data in _in_quickbooks(office, "Stone, Ada billing")] == ["555-0199"]
    assert office.link("billing_contact", customer_id).qb_id == link.qb_id  # type: ignore[union-attr]
    assert office.alerts() == []


def test_a_new_kind_whose_answer_was_lost_is_found_never_added_twice(office: Office) -> None:
    customer_id = office.customer("Reed, Ola")
    assert office.sync().percent == 100  # the customer itself first
    _queue(office, customer_id)
    losing = LosingTheAnswer(office, "billing</Name>")
    run_session(office.engine, losing)
    assert losing.lost
    assert office.link("billing_contact", customer_id) is None
    assert office.sync().percent == 100
    assert len(_in_quickbooks(office, "Reed, Ola billing")) == 1
    assert office.link("billing_contact", customer_id) is not None
    assert office.alerts() == []


def test_a_new_kind_whose_name_quickbooks_has_is_linked_to_it_never_added_twice(office: Office) -> None:
    customer_id = office.customer("Vale, Ivy")
    assert office.sync().percent == 100
    # Typed in QuickBooks meanwhile: the name is in use there.
    typed = office.qb_send(q.customer_add("typed", q.CustomerFields(name="Vale, Ivy billing")))
    typed_id = typed["typed"].record.list_id  # type: ignore[union-attr]
    _queue(office, customer_id)
    assert office.sync().percent == 100
    link = office.link("billing_contact", customer_id)
    assert link is not None and link.qb_id == typed_id
    assert len(_in_quickbooks(office, "Vale, Ivy billing")) == 1
    assert office.alerts() == []
