"""Standard terms ("Net 30"): added once by name; QuickBooks' copy is not changed after."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink, Terms
from desktop_app.services.queue_states import Phase
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import NothingToSend, SyncKind


def terms(session: Session, record_id: int) -> Terms:
    found = session.get(Terms, record_id)
    if found is None:
        raise LookupError(f"terms #{record_id} are gone")
    return found


class TermsKind(SyncKind):
    name = "terms"
    query_tag = "StandardTermsQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("StandardTerms", "Terms")

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        record = terms(session, record_id)
        if link is not None:
            raise NothingToSend  # standard terms never change once in QuickBooks
        return Built(
            Phase.ADD, q.standard_terms_add(request_id, m.terms_fields(record)), {"Name": record.name}
        )

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return terms(session, record_id).name
