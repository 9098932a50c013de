"""Imports and payment pulls: queue items with no record of their own (``entity_type`` "import")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.record_kinds import IMPORT, RecordKind
from qbwc_server.sync.built import Built
from qbwc_server.sync.imports import build_import
from qbwc_server.sync.kinds.base import SyncKind


class ImportKind(SyncKind):
    name = IMPORT
    query_tag = ""

    @property
    def record(self) -> RecordKind:
        raise TypeError("imports are not records")

    @property
    def is_list(self) -> bool:
        return False

    def build(
        self, session: Session, item: SyncItem, request_id: str, *, checked_key: str | None = None
    ) -> Built:
        return build_import(session, item, request_id)
