"""A customer or job whose Add's answer was lost, renamed before the lookup that follows:
the lookup asks for the name the Add went with as well as the name now, so the record
QuickBooks saved is found (never added again under the new name), linked, then renamed
there; when QuickBooks also has someone else under the new name, ours is the one linked."""

from __future__ import annotations

import dataclasses

import pytest

from desktop_app.services import customers, jobs, sync_center, sync_queue
from desktop_app.services.lines import LineInput
from qbwc_server import qbxml as q
from qbwc_server.qbxml.records import CustomerFields
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office, QueryRefused
from tests.integration.sync.test_dismissed_while_looked_up import _sync_until_quiet


def _customer_add_answer_lost(office: Office) -> int:
    customer_id = office.customer("Ng, Lee")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.qb.lose_next_response()
    office.sync()  # QuickBooks adds "Ng, Lee"; its answer never comes back
    return customer_id


def _rename_customer(office: Office, customer_id: int, name: str) -> None:
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = dataclasses.replace(detail.to_fields(), display_name=name)
        customers.update_customer(uow, customer_id, detail.version, fields)
        uow.commit()


def _names(office: Office) -> list[str]:
    return sorted(c.name for c in office.qb.customers)


@pytest.mark.parametrize("refused", [False, True], ids=["looked up next", "after a refused lookup"])
def test_a_customer_renamed_while_its_lost_add_is_looked_up_is_found_and_renamed(
    office: Office, refused: bool
) -> None:
    customer_id = _customer_add_answer_lost(office)
    if refused:
        run_session(office.engine, QueryRefused(office, "CustomerQuery"))
    _rename_customer(office, customer_id, "Ng, Leland")
    _sync_until_quiet(office)

    (customer,) = office.qb.customers  # never added twice
    link = office.link("customer", customer_id)
    assert link is not None and link.qb_id == customer.list_id
    assert _names(office) == ["Ng, Leland"]


def test_ours_is_linked_when_quickbooks_has_someone_else_under_the_new_name(office: Office) -> None:
    # Someone else, entered in QuickBooks before ours went, under the name ours then takes.
    office.qb_send(q.customer_add("other", CustomerFields(name="Ng, Leland")))
    customer_id = _customer_add_answer_lost(office)
    ours_there = next(c for c in office.qb.customers if c.name == "Ng, Lee")
    _rename_customer(office, customer_id, "Ng, Leland")
    _sync_until_quiet(office)

    link = office.link("customer", customer_id)
    assert link is not None and link.qb_id == ours_there.list_id  # not the other one's
    assert len(office.qb.customers) == 2


def test_a_job_renamed_while_its_lost_add_is_looked_up_is_found_and_renamed(office: Office) -> None:
    customer_id = office.customer("Ng, Lee")
    labor = office.labor()
    office.sync()  # the customer and the item
    with office.db.uow() as uow:
        lines = (LineInput(quantity="1", item_id=labor),)
        job = jobs.create_job(uow, jobs.JobFields(customer_id=customer_id, name="Kitchen", lines=lines))
        uow.commit()
    office.qb.lose_next_response()
    office.sync()  # QuickBooks adds the job; its answer never comes back
    with office.db.uow() as uow:
        detail = jobs.get_job(uow, job.id)
        fields = jobs.JobFields(customer_id=customer_id, name="Kitchen and bath", lines=lines)
        jobs.update_job(uow, job.id, detail.version, fields)
        uow.commit()
    _sync_until_quiet(office)

    assert len(office.qb.customers) == 2  # the customer and its one job
    link = office.link("job", job.id)
    assert link is not None
    (there,) = [c for c in office.qb.customers if c.list_id == link.qb_id]
    assert "Kitchen and bath" in there.name


def test_the_old_name_taken_by_another_of_ours_is_not_linked_twice(office: Office) -> None:
    """Renamed while its lookup waits, then its old name taken here by another customer, which
    links the record QuickBooks saved under it (QuickBooks said the name was in use): the
    first one's lookup finds that record linked to the other, so it is added under its new
    name, never linked to a record another customer of ours has."""
    first = _customer_add_answer_lost(office)
    _rename_customer(office, first, "Ng, Leland")
    run_session(office.engine, QueryRefused(office, "CustomerQuery"))
    second = office.customer("Ng, Lee")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", second)])
        uow.commit()
    office.sync()  # the second takes QuickBooks' "Ng, Lee"
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    _sync_until_quiet(office)

    first_link, second_link = office.link("customer", first), office.link("customer", second)
    assert first_link is not None and second_link is not None
    assert first_link.qb_id != second_link.qb_id
    assert _names(office) == ["Ng, Lee", "Ng, Leland"]
    assert [a for a in office.alerts() if a.state == "open"] == []
