"""Sales-tax items: one QuickBooks item per rate JobDesk's invoices charge; QuickBooks owns the rate."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from desktop_app.db.models import QbLink, TaxRate
from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from desktop_app.services.record_kinds import describe
from qbwc_server import qbxml as q
from qbwc_server.sync.alerts import raise_alert
from qbwc_server.sync.built import Built
from qbwc_server.sync.kinds.base import NothingToSend, SyncKind


def tax_rate(session: Session, record_id: int) -> TaxRate:
    found = session.get(TaxRate, record_id)
    if found is None:
        raise LookupError(f"sales-tax rate #{record_id} is gone")
    return found


class TaxItemKind(SyncKind):
    name = "tax_item"
    query_tag = "ItemSalesTaxQueryRq"
    qb_list_names: ClassVar[tuple[str, ...]] = ("ItemSalesTax",)

    def upsert(self, session: Session, record_id: int, request_id: str, link: QbLink | None) -> Built:
        tax = tax_rate(session, record_id)
        if link is not None:
            raise NothingToSend  # the rate of a QuickBooks sales-tax item is QuickBooks' to change
        fields = q.SalesTaxItemFields(name=tax.name, rate=tax.rate, description=f"Sales tax {tax.name}")
        values = {"Name": tax.name, "TaxRate": str(tax.rate)}
        return Built(Phase.ADD, q.sales_tax_item_add(request_id, fields), values)

    def quickbooks_name(self, session: Session, record_id: int) -> str:
        return tax_rate(session, record_id).name

    def refuses_link(self, session: Session, item: SyncItem, found: q.Record) -> bool:
        """QuickBooks' sales-tax item of our name charges another rate: linking it would change
        invoice totals, so a person settles the rate first (an alert)."""
        tax = tax_rate(session, item.entity_id or 0)
        theirs = found.decimal("TaxRate")
        if theirs is None or theirs == tax.rate:
            return False
        raise_alert(
            session,
            item,
            kind="tax_rate_mismatch",
            label=describe(session, self.name, tax.id),
            message=(
                f"QuickBooks already has a sales-tax item “{tax.name}”, but it charges {theirs}% where "
                f"JobDesk's invoices charge {tax.rate}%. Invoices sent with it would total differently in "
                "QuickBooks. Correct the rate in QuickBooks or in JobDesk's Settings (or pick another "
                "QuickBooks item in Settings → Sales tax), then retry."
            ),
            tried="Looked for the sales-tax item by name in QuickBooks: found, but the rates differ.",
            resolutions=("retry", "dismiss"),
            data={"qb_rate": str(theirs), "rate": str(tax.rate)},
        )
        return True
