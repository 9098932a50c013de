"""The exact qbXML a queued item would send next, for the sync center's preview."""

from __future__ import annotations

from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Database
from desktop_app.errors import JobDeskError, NotFound
from desktop_app.services.queue_states import UNSENT
from qbwc_server import qbxml as q
from qbwc_server.sync import plan


def preview_request(db: Database, item_id: int) -> str:
    """The request message for the item's next step; nothing is changed or sent."""
    with db.uow() as uow:
        item = uow.session.get(SyncItem, item_id)
        if item is None:
            raise NotFound("Queue item", item_id)
        if item.state not in UNSENT:
            return item.request_xml
        try:
            built = plan.build(uow.session, item, f"{item.id}-{item.attempts + 1}")
        except plan.NothingToSend:
            return "<!-- Nothing to send: QuickBooks already has this record as it is. -->"
        except JobDeskError as error:
            return f"<!-- This record cannot be sent as it is: {error} -->"
        finally:
            uow.rollback()
        return q.build_message([built.element], on_error="continueOnError")
