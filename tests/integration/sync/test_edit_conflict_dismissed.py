"""An edit conflict (a field changed both in JobDesk and in QuickBooks) dismissed keeps
QuickBooks' value there for good: a later change of another field no longer sends ours
over it. Changing that field again in JobDesk is a new choice, and goes; undoing the
dismissal lets Retry send ours, as before. Runs planning in turn and ahead."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select

from desktop_app.db.models import AuditEntry
from desktop_app.errors import InvalidTransition
from desktop_app.services import customers, sync_center, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync import SyncEngine
from tests.integration.sync.conftest import Office

_BOTH_WAYS = pytest.mark.parametrize("plan_ahead", [False, True], ids=["in turn", "planned ahead"])


def _edit(office: Office, customer_id: int, **values: str) -> None:
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        changed = dataclasses.replace(detail.to_fields(), **values)
        customers.update_customer(uow, customer_id, detail.version, changed)
        uow.commit()


def _in_quickbooks(office: Office, field: str) -> str | None:
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    return ann.data.get(field)


def _conflict(office: Office, plan_ahead: bool, **also: str) -> tuple[int, int]:
    """A customer in QuickBooks whose email was changed on both sides (``also`` changed in
    JobDesk in the same save): (its id, the alert's)."""
    office.engine = SyncEngine(office.db, plan_ahead=plan_ahead)
    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    assert office.sync().percent == 100
    (ann,) = [c for c in office.qb.customers if c.parent_id is None]
    office.qb_send(
        q.customer_mod("m", ann.list_id, ann.edit_sequence, q.CustomerFields(name="", email="qb@example.com"))
    )
    _edit(office, customer_id, email="app@example.com", **also)
    office.sync()
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert alert.kind == "edit_conflict"
    return customer_id, alert.id


def _resolve(office: Office, alert_id: int, resolution: str) -> None:
    with office.db.uow() as uow:
        if resolution == "undo":
            sync_center.undo_dismiss(uow, alert_id)
        else:
            sync_center.resolve_alert(uow, alert_id, resolution)
        uow.commit()


@_BOTH_WAYS
def test_a_dismissed_conflict_keeps_quickbooks_value_when_another_field_changes(
    office: Office, plan_ahead: bool
) -> None:
    customer_id, alert_id = _conflict(office, plan_ahead)
    _resolve(office, alert_id, "dismiss")
    with office.db.reader() as uow:  # the audit trail says which values each side keeps
        (entry,) = uow.session.scalars(select(AuditEntry).where(AuditEntry.summary.startswith("QuickBooks'")))
        assert json.loads(entry.changes) == {"Email": ["app@example.com", "qb@example.com"]}
        assert (entry.entity_type, entry.entity_id) == ("customer", customer_id)
    _edit(office, customer_id, mobile_phone="555-0142")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "AdditionalContactRef/ContactValue") == "555-0142"  # QBD: no Mobile
    assert _in_quickbooks(office, "Email") == "qb@example.com"  # kept, as the person chose
    assert [a for a in office.alerts() if a.state == "open"] == []
    # Changing the email in JobDesk again is a new choice: it goes.
    _edit(office, customer_id, email="new@example.com")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "new@example.com"


@_BOTH_WAYS
def test_an_undone_dismissal_lets_retry_send_ours(office: Office, plan_ahead: bool) -> None:
    _customer_id, alert_id = _conflict(office, plan_ahead)
    _resolve(office, alert_id, "dismiss")
    _resolve(office, alert_id, "undo")
    _resolve(office, alert_id, "retry")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "app@example.com"


@_BOTH_WAYS
def test_an_open_conflict_is_not_settled_by_an_edit_of_another_field(
    office: Office, plan_ahead: bool
) -> None:
    """While nobody has answered the conflict, an edit of another field queues the record
    again: the question stands (both sides still hold what it showed), nothing goes over
    QuickBooks' value (found by review: the re-read no longer saw the clash and sent ours)."""
    customer_id, alert_id = _conflict(office, plan_ahead)
    _edit(office, customer_id, mobile_phone="555-0142")
    office.sync()
    assert _in_quickbooks(office, "Email") == "qb@example.com"
    (alert,) = [a for a in office.alerts() if a.state == "open"]
    assert (alert.id, alert.kind) == (alert_id, "edit_conflict")
    assert "Email" in alert.message
    # Retry sends ours, the other field with it.
    _resolve(office, alert_id, "retry")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "app@example.com"
    assert _in_quickbooks(office, "AdditionalContactRef/ContactValue") == "555-0142"
    assert [a for a in office.alerts() if a.state == "open"] == []


@_BOTH_WAYS
def test_dismissing_sends_the_other_changes_saved_with_the_clash(office: Office, plan_ahead: bool) -> None:
    """The mobile phone changed in the same save as the clashing email: dismissing keeps
    QuickBooks' email and still sends the phone (found by review: the item was cancelled)."""
    _customer_id, alert_id = _conflict(office, plan_ahead, mobile_phone="555-0142")
    _resolve(office, alert_id, "dismiss")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "qb@example.com"
    assert _in_quickbooks(office, "AdditionalContactRef/ContactValue") == "555-0142"
    assert [a for a in office.alerts() if a.state == "open"] == []


@_BOTH_WAYS
def test_a_conflict_settled_by_a_new_value_closes_its_alert(office: Office, plan_ahead: bool) -> None:
    """Changing the clashing field again in JobDesk is a choice: the new value goes, and the
    alert that asked is closed saying so (found by review: it stayed open on a done item)."""
    customer_id, alert_id = _conflict(office, plan_ahead)
    _edit(office, customer_id, email="new@example.com")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "new@example.com"
    (alert,) = [a for a in office.alerts() if a.id == alert_id]
    assert (alert.state, alert.resolution, alert.resolved_by) == ("resolved", "settled", "QuickBooks sync")


@_BOTH_WAYS
def test_an_undo_after_the_other_changes_went_is_refused_in_words(office: Office, plan_ahead: bool) -> None:
    """Once the record's other changes went, the question cannot be put again on that change:
    undo says what to do instead and changes nothing (found by review: undone then, a later
    edit of another field sent ours over QuickBooks' value while the alert asked)."""
    customer_id, alert_id = _conflict(office, plan_ahead, mobile_phone="555-0142")
    _resolve(office, alert_id, "dismiss")
    assert office.sync().percent == 100
    with pytest.raises(InvalidTransition, match="change them in JobDesk again"):
        _resolve(office, alert_id, "undo")
    (alert,) = [a for a in office.alerts() if a.id == alert_id]
    assert alert.state == "dismissed"
    _edit(office, customer_id, bill_city="Sparks")
    assert office.sync().percent == 100
    assert _in_quickbooks(office, "Email") == "qb@example.com"
    assert _in_quickbooks(office, "BillAddress/City") == "Sparks"


@_BOTH_WAYS
def test_an_undo_before_the_other_changes_went_asks_again(office: Office, plan_ahead: bool) -> None:
    """Undone before its item went, the question stands: QuickBooks' copy is read again first,
    and an edit of another field does not send ours over theirs."""
    customer_id, alert_id = _conflict(office, plan_ahead, mobile_phone="555-0142")
    _resolve(office, alert_id, "dismiss")
    _resolve(office, alert_id, "undo")
    (item,) = [i for i in office.items_of("customer", customer_id) if i.state == "attention"]
    assert item.phase == "refresh"
    _edit(office, customer_id, bill_city="Sparks")
    office.sync()
    assert _in_quickbooks(office, "Email") == "qb@example.com"
    assert [(a.id, a.kind) for a in office.alerts() if a.state == "open"] == [(alert_id, "edit_conflict")]
