"""The preview of the next sync: per record what QuickBooks will get, and then the sync does
exactly that, kind by kind. Nothing is changed by looking."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from lxml import etree
from sqlalchemy import func, select

from desktop_app.db.connection_models import MatchProposal, QuickBooksListRecord
from desktop_app.db.models import Item
from desktop_app.db.quickbooks_refs import QuickBooksInvoiceRef
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.types import utcnow
from desktop_app.services import customers, settings, sync_queue
from desktop_app.services.sync_outcomes import outcomes_since
from qbwc_server import qbxml as q
from qbwc_server.sync.preview import build_preview, to_csv
from tests.integration.sync.conftest import Office


def _known_in_quickbooks(
    office: Office, kind: str, full_name: str, list_id: str, record_type: str = ""
) -> None:
    """What the last import read (the connection's import fills this table)."""
    with office.db.uow() as uow:
        uow.session.add(
            QuickBooksListRecord(
                kind=kind,
                list_id=list_id,
                name=full_name.rsplit(":", 1)[-1],
                full_name=full_name,
                record_type=record_type,
            )
        )
        uow.commit()


def _queue(office: Office, *records: tuple[str, int]) -> None:
    with office.db.uow() as uow:
        sync_queue.send_records(uow, list(records))
        uow.commit()


def _busy_office(office: Office) -> dict[str, int]:
    """One record of every outcome."""
    # Known to QuickBooks by name (added there by somebody else): linked, not added again.
    office.qb_send(q.customer_add("k", q.CustomerFields(name="Kim, Hiro")))
    (qb_kim,) = [c for c in office.qb.customers if c.name == "Kim, Hiro"]
    _known_in_quickbooks(office, "customer", "Kim, Hiro", qb_kim.list_id)
    kim = office.customer("Kim, Hiro")
    # Already in QuickBooks, then changed here: updated.
    changed = office.customer("Lopez, Ana")
    same = office.customer("Novak, Eva")
    _queue(office, ("customer", changed), ("customer", same))
    office.sync()
    with office.db.uow() as uow:
        detail = customers.get_customer(uow, changed)
        customers.update_customer(
            uow,
            changed,
            detail.version,
            customers.CustomerFields(display_name="Lopez, Ana", email="ana@example.com"),
        )
        uow.commit()
    # An invoice whose number QuickBooks already uses: conflict.
    office.qb_send(
        q.item_add("l", q.ItemFields(name="Labor", income_account=q.Ref.by_name("Construction Income")))
    )
    (qb_labor,) = [i for i in office.qb.items if i.name == "Labor"]
    _known_in_quickbooks(office, "item", "Labor", qb_labor.list_id, "ItemService")
    _, _, clashing = office.invoiced_job("Walsh, Tom")
    with office.db.reader() as uow:
        from desktop_app.db.models import Invoice

        number = uow.session.get(Invoice, clashing).number
    office.qb_send(q.customer_add("w", q.CustomerFields(name="Walk-in")))
    office.qb_send(
        q.invoice_add(
            "x",
            q.InvoiceFields(
                customer=q.Ref.by_name("Walk-in"),
                ref_number=number,
                lines=(q.InvoiceLineFields(item=q.Ref.by_name("Labor"), amount=Decimal("10.00")),),
            ),
        )
    )
    with office.db.uow() as uow:
        uow.session.add(QuickBooksInvoiceRef(ref_number=number))
        uow.commit()
    # A record that may be one of QuickBooks' (undecided): conflict, and its invoice waits.
    maybe, _, waiting_invoice = office.invoiced_job("O'Brien, Pavel")
    _known_in_quickbooks(office, "customer", "OBrien, Pavel", "80000077-1")
    with office.db.uow() as uow:
        record_id = uow.session.scalar(
            select(QuickBooksListRecord.id).where(QuickBooksListRecord.list_id == "80000077-1")
        )
        uow.session.add(
            MatchProposal(entity_type="customer", entity_id=maybe, qb_record_id=record_id, reason="spelling")
        )
        uow.commit()
    # A new invoice for a new customer and job: all three created, the job needed first.
    _, new_job, new_invoice = office.invoiced_job("Ng, Lee")
    with office.db.uow() as uow:
        for invoice_id in (clashing, waiting_invoice, new_invoice):
            sync_queue.enqueue_invoice(uow, invoice_id)
        uow.commit()
    _queue(office, ("customer", kim), ("customer", changed), ("customer", same))
    return {
        "kim": kim,
        "changed": changed,
        "same": same,
        "maybe": maybe,
        "clashing": clashing,
        "waiting": waiting_invoice,
        "new_job": new_job,
        "new_invoice": new_invoice,
    }


def _row(preview, kind: str, record_id: int):  # type: ignore[no-untyped-def]
    (row,) = [r for r in preview.rows if (r.entity_type, r.entity_id) == (kind, record_id)]
    return row


def test_each_record_says_what_quickbooks_will_get_and_why(office: Office) -> None:
    ids = _busy_office(office)
    preview = build_preview(office.db)
    assert _row(preview, "customer", ids["kim"]).outcome == "link"
    assert _row(preview, "customer", ids["changed"]).outcome == "update"
    assert _row(preview, "customer", ids["same"]).outcome == "skip"
    assert _row(preview, "customer", ids["maybe"]).outcome == "conflict"
    clash = _row(preview, "invoice", ids["clashing"])
    assert clash.outcome == "conflict" and "already uses invoice number" in clash.reason
    waiting = _row(preview, "invoice", ids["waiting"])
    assert waiting.outcome == "skip" and "O'Brien, Pavel" in waiting.reason
    job = _row(preview, "job", ids["new_job"])
    assert job.outcome == "create"
    created = _row(preview, "invoice", ids["new_invoice"])
    assert created.outcome == "create"
    # The exact request: a well-formed qbXML message with the record's Add in it.
    message = etree.fromstring(created.request_xml.split("?>", 2)[-1].encode())
    assert message.find(".//InvoiceAddRq") is not None or message.find(".//InvoiceQueryRq") is not None
    assert "CustomerModRq" in _row(preview, "customer", ids["changed"]).request_xml


def test_the_sync_then_does_what_the_preview_said_kind_by_kind(office: Office) -> None:
    _busy_office(office)
    preview = build_preview(office.db, with_xml=False)
    since = utcnow()
    office.sync()
    with office.db.reader() as uow:
        did = outcomes_since(uow, since)
    assert did == preview.counts


def test_looking_changes_nothing(office: Office) -> None:
    _busy_office(office)
    with office.db.reader() as uow:
        before = (
            uow.session.scalar(select(func.count()).select_from(SyncItem)),
            uow.session.scalar(select(func.count()).select_from(Item)),
        )
    build_preview(office.db)
    with office.db.reader() as uow:
        after = (
            uow.session.scalar(select(func.count()).select_from(SyncItem)),
            uow.session.scalar(select(func.count()).select_from(Item)),
        )
    assert after == before


def test_a_customer_named_like_a_quickbooks_vendor_is_a_conflict(office: Office) -> None:
    _known_in_quickbooks(office, "vendor", "Acme Supply", "V-1")
    acme = office.customer("Acme Supply")
    _queue(office, ("customer", acme))
    row = _row(build_preview(office.db), "customer", acme)
    assert row.outcome == "conflict" and "vendor" in row.reason


def test_filter_search_and_csv(office: Office) -> None:
    ids = _busy_office(office)
    preview = build_preview(office.db)
    conflicts = preview.filtered(outcome="conflict")
    assert {r.outcome for r in conflicts} == {"conflict"} and len(conflicts) == preview.total("conflict")
    assert [r.entity_id for r in preview.filtered(kind="customer", search="kim")] == [ids["kim"]]
    rows = list(csv.reader(io.StringIO(to_csv(preview.rows))))
    assert rows[0] == ["Kind", "Record", "What happens", "Why", "Needed first", "qbXML"]
    assert len(rows) == len(preview.rows) + 1
    assert any(r[2] == "Conflict" and "invoice number" in r[3] for r in rows[1:])


def test_rebuilt_from_current_data(office: Office) -> None:
    acme = office.customer("Acme Supply")
    _queue(office, ("customer", acme))
    assert _row(build_preview(office.db), "customer", acme).outcome == "create"
    with office.db.uow() as uow:
        settings.set_setting(uow, "sync.batch_max_requests", 50)
        uow.commit()
    _known_in_quickbooks(office, "customer", "Acme Supply", "C-9")
    assert _row(build_preview(office.db), "customer", acme).outcome == "link"
