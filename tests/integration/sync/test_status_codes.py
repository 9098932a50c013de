"""What the engine does with each QuickBooks status code: one test per rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from desktop_app.db.models import Invoice, QbLink
from desktop_app.db.sync_models import Alert, SyncItem
from desktop_app.services import customers, settings, sync_center, sync_queue
from qbwc_server import qbxml as q
from qbwc_server.sync.loopback import run_session
from tests.integration.sync.conftest import Office


def _customer_fields(office: Office, customer_id: int, **changes: str) -> None:
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, customer_id)
        fields = detail.to_fields()
        customers.update_customer(
            uow, customer_id, detail.version, fields.__class__(**{**fields.__dict__, **changes})
        )
        uow.commit()


# -- 3100: the name is already in use --------------------------------------------------------


def test_3100_same_kind_links_to_the_existing_customer_instead_of_duplicating(office: Office) -> None:
    office.qb_send(q.customer_add("x", q.CustomerFields(name="Smith, Ann", phone="555-0100")))
    customer_id = office.customer()
    office.sync() if office.engine.has_work() else None
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()
    assert len(office.qb.customers) == 1
    link = office.link("customer", customer_id)
    assert link is not None and link.qb_id == office.qb.customers[0].list_id
    assert [(a.kind, a.message) for a in office.alerts()] == []
    # Linked, then brought up to date with ours (our first name went in a Mod).
    assert office.qb.customers[0].data.get("FirstName") == "Ann"


def test_3100_a_vendor_with_the_name_raises_an_alert_that_says_so(office: Office) -> None:
    office.qb.add_list_element("Vendor", "Smith, Ann", {})
    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()
    assert office.qb.customers == []
    (alert,) = office.alerts()
    assert alert.kind == "name_in_use" and alert.status_code == 3100
    assert "vendor" in alert.message and "Rename" in alert.message
    assert office.link("customer", customer_id) is None


def test_a_record_whose_dependency_needs_attention_waits_and_says_why(office: Office) -> None:
    office.qb.add_list_element("Vendor", "Smith, Ann", {})
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor())
    office.sync()
    (job_item,) = office.items_of("job", job_id)
    assert job_item.state == "queued"
    assert "Customer Smith, Ann" in job_item.note and "needs attention" in job_item.note
    assert office.qb.customers == []


# -- 3200: stale EditSequence --------------------------------------------------------------


def test_3200_rereads_and_retries_keeping_both_sides_changes(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()
    qb_customer = office.qb.customers[0]
    # Someone edits the phone in QuickBooks; we edit the email in JobDesk.
    office.qb_send(
        q.customer_mod(
            "m", qb_customer.list_id, qb_customer.edit_sequence, q.CustomerFields(name="", phone="555-0199")
        )
    )
    _customer_fields(office, customer_id, email="ann@example.com")
    office.sync()
    data = office.qb.customers[0].data
    assert (data.get("Phone"), data.get("Email")) == ("555-0199", "ann@example.com")
    assert office.alerts() == []
    # The update took three requests: the Mod refused with 3200, the re-read, the Mod again.
    update_item = office.items_of("customer", customer_id)[-1]
    assert (update_item.attempts, update_item.phase, update_item.state) == (3, "mod", "done")


def _email_changed_on_both_sides(office: Office) -> Alert:
    """A customer in QuickBooks whose email was changed there and here: the sync's alert."""
    customer_id = office.customer(email="old@example.com")
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.sync()
    qb_customer = office.qb.customers[0]
    office.qb_send(
        q.customer_mod(
            "m",
            qb_customer.list_id,
            qb_customer.edit_sequence,
            q.CustomerFields(name="", email="qb@example.com"),
        )
    )
    _customer_fields(office, customer_id, email="app@example.com")
    office.sync()
    (alert,) = office.alerts()
    return alert


def test_3200_on_a_field_both_sides_changed_raises_an_alert_with_both_values(office: Office) -> None:
    alert = _email_changed_on_both_sides(office)
    assert alert.kind == "edit_conflict"
    assert "app@example.com" in alert.message and "qb@example.com" in alert.message
    assert office.qb.customers[0].data.get("Email") == "qb@example.com"  # nothing overwritten
    # "Retry to send ours", as the alert says: ours goes, and the clash is not raised again.
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()
    assert [a for a in office.alerts() if a.state == "open"] == []
    assert office.qb.customers[0].data.get("Email") == "app@example.com"


def test_3200_clash_dismissed_keeps_quickbooks_value_there(office: Office) -> None:
    alert = _email_changed_on_both_sides(office)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "dismiss")
        uow.commit()
    office.sync()
    assert office.qb.customers[0].data.get("Email") == "qb@example.com"
    assert office.engine.has_work() is False


# -- 3140/3120: references QuickBooks cannot find -----------------------------------------


def test_3140_a_deleted_parent_is_unlinked_re_added_and_the_job_retried(office: Office) -> None:
    customer_id, _job_id, _ = office.invoiced_job()
    # The customer was linked once, but QuickBooks no longer has that ListID.
    with office.db.uow() as uow:
        uow.session.add(
            QbLink(entity_type="customer", entity_id=customer_id, qb_id="DEAD-1", edit_sequence="1")
        )
        uow.commit()
    for _ in range(3):
        office.sync()
    names = sorted(office.qb.full_name(c) for c in office.qb.customers)
    assert names == ["Smith, Ann", "Smith, Ann:1000 Kitchen"]
    link = office.link("customer", customer_id)
    assert link is not None and link.qb_id != "DEAD-1"
    assert len(office.qb.invoices) == 1


def test_a_record_deleted_in_quickbooks_is_unlinked_and_alerted_on_update(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        uow.session.add(
            QbLink(
                entity_type="customer",
                entity_id=customer_id,
                qb_id="GONE-7",
                edit_sequence="1",
                synced_values='{"Name": "Smith, Ann"}',
            )
        )
        uow.commit()
    _customer_fields(office, customer_id, email="new@example.com")
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "deleted_in_quickbooks"
    assert office.link("customer", customer_id) is None
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "retry")
        uow.commit()
    office.sync()
    assert [c.name for c in office.qb.customers] == ["Smith, Ann"]


# -- 3175/3176/3180: locks ---------------------------------------------------------------


def test_a_lock_is_retried_later_with_backoff_and_no_alert(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    office.qb.inject_lock(3175, requests=1)
    office.sync()
    (item,) = office.items_of("customer", customer_id)
    assert item.state == "queued" and item.next_attempt_at is not None
    assert office.alerts() == []
    assert office.qb.customers == []
    # Later (the backoff has passed) it goes through.
    with office.db.uow() as uow:
        uow.session.execute(
            update(SyncItem).values(next_attempt_at=item.next_attempt_at - timedelta(hours=1))
        )
        uow.commit()
    office.sync()
    assert [c.name for c in office.qb.customers] == ["Smith, Ann"]


def test_a_record_waiting_for_a_locked_one_says_it_cannot_go_yet_not_that_it_needs_attention(
    office: Office,
) -> None:
    customer_id = office.customer()
    job_id = office.finished_job(customer_id, office.labor())
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 1)  # the lock meets the customer alone
        uow.commit()
    office.qb.inject_lock(3175, requests=1)
    office.sync()
    (customer_item,) = office.items_of("customer", customer_id)
    assert customer_item.state == "queued" and customer_item.next_attempt_at is not None
    (job_item,) = office.items_of("job", job_id)
    assert job_item.state == "queued" and "Customer Smith, Ann" in job_item.note
    assert "cannot go yet" in job_item.note and "needs attention" not in job_item.note
    assert office.alerts() == []


def test_a_lock_that_lasts_raises_an_alert(office: Office) -> None:
    customer_id = office.customer()
    with office.db.uow() as uow:
        sync_queue.send_records(uow, [("customer", customer_id)])
        uow.commit()
    delays = []
    for _ in range(7):
        office.qb.inject_lock(3176, requests=1)
        office.sync()
        (item,) = office.items_of("customer", customer_id)
        if item.state != "queued":
            break
        delays.append(item.next_attempt_at)
        with office.db.uow() as uow:
            uow.session.execute(update(SyncItem).values(next_attempt_at=None))
            uow.commit()
    assert office.alerts()[0].kind == "locked"
    assert len(delays) >= 3


# -- invoice numbers ---------------------------------------------------------------------


def _foreign_invoice(office: Office, ref: str, customer: str = "Walk-in, Sam", amount: str = "99.00") -> None:
    office.qb_send(q.customer_add("c", q.CustomerFields(name=customer)))
    office.typed_in_quickbooks(customer, ref, amount)


def _conflicted(office: Office) -> tuple[int, int]:
    office.qb_send(
        q.item_add("l", q.ItemFields(name="Labor", income_account=q.Ref.by_name("Construction Income")))
    )
    _foreign_invoice(office, "1000")
    _, _, invoice_id = office.invoiced_job()
    office.sync()
    (alert,) = office.alerts()
    return invoice_id, alert.id


def test_an_invoice_number_already_in_quickbooks_is_not_sent_and_alerts(office: Office) -> None:
    invoice_id, _ = _conflicted(office)
    (alert,) = office.alerts()
    assert alert.kind == "number_conflict"
    assert "renumber" in alert.resolutions and "send_anyway" in alert.resolutions
    assert "link" not in alert.resolutions  # another customer, another amount
    assert len(office.qb.invoices) == 1
    assert office.link("invoice", invoice_id) is None


def test_number_conflict_renumber_sends_ours_with_the_next_number(office: Office) -> None:
    invoice_id, alert_id = _conflicted(office)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert_id, "renumber")
        uow.commit()
    office.sync()
    refs = sorted(i.ref_number or "" for i in office.qb.invoices)
    assert refs == ["1000", "1001"]
    assert office.link("invoice", invoice_id) is not None


def test_number_conflict_send_anyway_makes_a_duplicate_number_on_purpose(office: Office) -> None:
    _invoice_id, alert_id = _conflicted(office)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert_id, "send_anyway")
        uow.commit()
    office.sync()
    assert [i.ref_number for i in office.qb.invoices] == ["1000", "1000"]


def test_number_conflict_link_when_it_is_the_same_invoice(office: Office) -> None:
    job_id = office.job_in_quickbooks()
    office.typed_in_quickbooks("Smith, Ann:1000 Kitchen", "1000", "850.00")
    invoice_id = office.invoice(job_id)
    office.sync()
    (alert,) = office.alerts()
    assert "link" in alert.resolutions
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert.id, "link")
        uow.commit()
    office.sync()
    assert len(office.qb.invoices) == 1
    link = office.link("invoice", invoice_id)
    assert link is not None and link.qb_id == office.qb.invoices[0].txn_id


def test_resolutions_are_recorded_in_the_audit_log(office: Office) -> None:
    from sqlalchemy import select

    from desktop_app.db.models import AuditEntry

    _, alert_id = _conflicted(office)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert_id, "renumber")
        uow.commit()
    with office.db.reader() as uow:
        actions = [e.action for e in uow.session.scalars(select(AuditEntry))]
    assert "sync_resolution" in actions and "renumber" in actions


def test_a_dismissed_alert_can_be_undone(office: Office) -> None:
    _, alert_id = _conflicted(office)
    with office.db.uow() as uow:
        sync_center.resolve_alert(uow, alert_id, "dismiss")
        uow.commit()
    assert office.alerts()[0].state == "dismissed"
    with office.db.uow() as uow:
        sync_center.undo_dismiss(uow, alert_id)
        uow.commit()
    assert office.alerts()[0].state == "open"


# -- totals --------------------------------------------------------------------------------


def test_a_sales_tax_item_of_our_name_but_another_rate_is_caught_before_any_invoice(office: Office) -> None:
    with office.db.uow() as uow:
        settings.set_setting(uow, "tax.default_rate", Decimal("7.25"))  # QuickBooks charges 8.25 %
        uow.commit()
    customer_id = office.customer()
    material = office.item("Paint", "40", taxable=True)
    job_id = office.finished_job(customer_id, material, "10")
    invoice_id = office.invoice(job_id)
    office.sync()
    alerts = office.alerts()
    assert [a.kind for a in alerts] == ["tax_rate_mismatch"]
    assert "8.25" in alerts[0].message and "7.25" in alerts[0].message
    assert office.qb.invoices == [] and office.link("invoice", invoice_id) is None  # nothing wrong sent


def test_a_total_that_differs_in_quickbooks_is_an_alert(office: Office) -> None:
    customer_id = office.customer()
    material = office.item("Paint", "40", taxable=True)
    office.invoice(office.finished_job(customer_id, material, "1"))
    office.sync()  # "State Tax" 8.25 % matched and linked
    assert office.alerts() == []
    # Someone changes the rate in QuickBooks afterwards.
    office.qb.find_list("ItemSalesTax", "State Tax").data["TaxRate"] = "7.25"  # type: ignore[union-attr]
    invoice_id = office.invoice(office.finished_job(customer_id, material, "10"))
    office.sync()
    (alert,) = office.alerts()
    assert alert.kind == "total_mismatch"
    assert "$429.00" in alert.message and "$433.00" in alert.message
    assert office.link("invoice", invoice_id) is not None  # it did reach QuickBooks, once


class _EditsTheInvoiceWhileQuickBooksWorks:
    """The invoice's total changes in JobDesk while QuickBooks is adding it (as a person's
    edit would leave it; that edit's own Mod is queued apart and is not this test's)."""

    def __init__(self, office: Office, invoice_id: int) -> None:
        self.office, self.invoice_id, self.edited = office, invoice_id, False

    def process(self, request_xml: str) -> str:
        if "<InvoiceAdd>" in request_xml and not self.edited:
            self.edited = True
            with self.office.db.uow() as uow:
                uow.session.execute(
                    update(Invoice).where(Invoice.id == self.invoice_id).values(total=Decimal("999.99"))
                )
                uow.commit()
        return self.office.qb.process(request_xml)


def test_quickbooks_total_is_checked_against_what_was_sent_not_a_later_edit(office: Office) -> None:
    customer_id = office.customer()
    material = office.item("Paint", "40")
    invoice_id = office.invoice(office.finished_job(customer_id, material, "10"))
    company = _EditsTheInvoiceWhileQuickBooksWorks(office, invoice_id)
    assert run_session(office.engine, company).percent == 100
    assert company.edited
    # QuickBooks worked its $400.00 out from the lines it was sent: that agrees, so no alert.
    assert office.alerts() == []
    assert office.link("invoice", invoice_id) is not None


def test_send_everything_pending_leaves_a_decision_to_the_person(office: Office) -> None:
    invoice_id, _ = _conflicted(office)
    with office.db.uow() as uow:
        sync_queue.send_everything_pending(uow)
        uow.commit()
    states = [i.state for i in office.items_of("invoice", invoice_id)]
    assert states == ["attention"]
    office.sync()
    assert len(office.qb.invoices) == 1  # nothing re-sent behind the person's back
