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


def test_the_item_an_admin_picks_for_a_rate_wins_over_other_linked_items_of_that_rate(
    db: Database, admin: Actor
) -> None:
    with db.uow(admin) as uow:
        settings.set_setting(uow, "tax.default_rate", Decimal("8.25"))
        county = TaxRate(name="County Tax", name_key="county tax", rate=Decimal("7.5"), active=True)
        city = TaxRate(name="City Tax", name_key="city tax", rate=Decimal("7.5"), active=True)
        uow.session.add_all([county, city])
        uow.session.flush()
        for record, qb_id in ((county, "80000001-1"), (city, "80000002-1")):
            uow.session.add(
                QbLink(entity_type="tax_item", entity_id=record.id, qb_id=qb_id, qb_name=record.name)
            )
        uow.commit()
    with db.reader() as uow:
        assert tax_rates.find_tax_rate(uow.session, Decimal("7.5")).name == "County Tax"  # type: ignore[union-attr]
    with db.uow(admin) as uow:
        tax_rates.use_quickbooks_item(uow, city.id)
        uow.commit()
    with db.uow(admin) as uow:
        assert tax_rates.tax_rate_for(uow.session, Decimal("7.50")).name == "City Tax"
        # The default rate's name setting is left alone (7.5 % is not the default).
        assert settings.get_setting(uow, "tax.item_name") == ""


def test_listing_the_rates_makes_no_record(db: Database) -> None:
    with db.uow() as uow:
        settings.set_setting(uow, "tax.default_rate", Decimal("6"))
        uow.commit()
    with db.reader() as uow:
        (row,) = tax_rates.list_tax_rates(uow)
    # The default rate is shown as what the next sync makes, and nothing was written.
    assert (row.id, row.name, row.is_default, row.in_quickbooks) == (0, "Sales Tax 6%", True, False)
    with db.reader() as uow:
        assert uow.session.query(TaxRate).count() == 0
