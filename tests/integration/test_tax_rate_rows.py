"""The sales-tax rows Settings shows: a rate no longer used says so (it is not "to be created")."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.db.models import QbLink, TaxRate
from desktop_app.db.uow import Actor, Database
from desktop_app.services import settings, tax_rates


def test_a_record_set_aside_for_a_quickbooks_item_of_its_rate_is_listed_inactive(
    db: Database, admin: Actor
) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", Decimal("8.25"))
        ours = TaxRate(name="Sales Tax 8.25%", name_key="sales tax 8.25%", rate=Decimal("8.25"), active=True)
        theirs = TaxRate(name="State Tax", name_key="state tax", rate=Decimal("8.25"), active=True)
        uow.session.add_all([ours, theirs])
        uow.session.flush()
        uow.session.add(
            QbLink(entity_type="tax_item", entity_id=theirs.id, qb_id="8000001-1", qb_name="State Tax")
        )
        uow.commit()
    with db.reader() as uow:
        before = {r.name: r.active for r in tax_rates.list_tax_rates(uow)}
    assert before == {"Sales Tax 8.25%": True, "State Tax": True}
    with db.uow(admin) as uow:
        chosen = tax_rates.use_quickbooks_item(uow, theirs.id)
        uow.commit()
    assert chosen.active and chosen.is_default
    with db.reader() as uow:
        rows = {r.name: (r.active, r.in_quickbooks, r.is_default) for r in tax_rates.list_tax_rates(uow)}
    assert rows == {"Sales Tax 8.25%": (False, False, False), "State Tax": (True, True, True)}
