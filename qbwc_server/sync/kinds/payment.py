"""Payments received: after the invoices they pay; found after a lost answer by their memo marker."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session, selectinload

from desktop_app.db.models import Payment, QbLink
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import Dep, SyncKind


def payment(session: Session, record_id: int) -> Payment:
    found = session.get(Payment, record_id)
    if found is None:
        raise LookupError(f"payment #{record_id} is gone")
    return found


class PaymentKind(SyncKind):
    name = "payment"
    query_tag = "ReceivePaymentQueryRq"
    children: ClassVar[tuple[Any, ...]] = (selectinload(Payment.applications),)

    def dependencies(self, session: Session, record_id: int) -> tuple[list[Dep], list[Dep]]:
        found = session.get(Payment, record_id)
        if found is None:
            return [], []
        txns = list(dict.fromkeys(("invoice", a.invoice_id) for a in found.applications))
        return [("customer", found.customer_id)], txns

    def references(self, session: Session, record: Any, *, as_reference: bool) -> Iterable[Dep]:
        return [("customer", record.customer_id), *(("invoice", a.invoice_id) for a in record.applications)]

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        ours = payment(session, record_id)
        fields = m.payment_fields(session, ours)
        values = {"TotalAmount": str(ours.amount)}
        if link is None:
            return Built(Phase.ADD, q.receive_payment_add(request_id, fields), values)
        request = q.receive_payment_mod(request_id, link.qb_id, link.edit_sequence, fields)
        return Built(Phase.MOD, request, values)

    def delete_request(self, session: Session, record_id: int, request_id: str, link: QbLink) -> q.Request:
        return q.txn_del(request_id, link.qb_id, "ReceivePayment")

    def lookup(self, session: Session, record_id: int, request_id: str) -> q.Request:
        received = payment(session, record_id).received_on
        return q.txn_query(
            "ReceivePaymentQueryRq",
            request_id,
            from_txn_date=received,
            to_txn_date=received + timedelta(days=0),
            include_line_items=False,
        )

    def found(self, session: Session, item: SyncItem, records: list[q.Record]) -> list[q.Record]:
        marker = m.payment_marker(payment(session, item.entity_id or 0))
        return [r for r in records if marker in (r.get("Memo") or "")]
