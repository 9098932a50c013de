"""Connecting to a QuickBooks company: mapping what JobDesk needs from it (issue 19).

Each need lists the QuickBooks records the import copied that fit it, the current choice
and a sensible default; saving checks every choice against what was imported (a bad one
refuses them all, naming its field), is admin only and audited; what is chosen reaches
the qbXML and passes the pre-flight check.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop_app.db.connection_models import QuickBooksListRecord
from desktop_app.db.models import Account, AuditEntry, Invoice, InvoiceLine, QbLink, TaxRate, Terms
from desktop_app.db.sync_models import SyncItem
from desktop_app.db.uow import Actor, Database
from desktop_app.errors import PermissionDenied, ValidationError
from desktop_app.services import connection_mapping as cm
from desktop_app.services import invoices
from desktop_app.services.settings import get_setting, set_setting
from desktop_app.services.tax_rates import find_tax_rate
from qbwc_server import mapping as m
from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.sync import plan
from tests.factories import make_customer, make_item, make_job, make_payment, make_terms
from tests.integration.service_helpers import snapshot
from tests.qbxml_schema import QbxmlSchema, load_schema

_COMPANY: tuple[tuple[str, str, str, str, dict[str, object], bool], ...] = (
    # kind, ListID, full name, record type, detail, active
    ("account", "A1", "Construction Income", "Income", {}, True),
    ("account", "A2", "Sales Income", "Income", {}, True),
    ("account", "A3", "Checking", "Bank", {}, True),
    ("account", "A4", "Undeposited Funds", "OtherCurrentAsset", {}, True),
    ("account", "A5", "Cost of Goods Sold", "CostOfGoodsSold", {}, True),
    ("account", "A6", "Old Income", "Income", {}, False),
    ("item", "I1", "Sales", "ItemService", {}, True),
    ("item", "I2", "Materials", "ItemNonInventory", {}, True),
    ("item", "I3", "Subtotal", "ItemSubtotal", {}, True),
    ("item", "T1", "State Tax", "ItemSalesTax", {"rate": "8.25"}, True),
    ("item", "T2", "City Tax", "ItemSalesTax", {"rate": "9.0"}, True),
    ("item", "T3", "County Tax", "ItemSalesTax", {"rate": "8.2500"}, True),
    ("terms", "R1", "Net 30", "StandardTerms", {"due_days": 30}, True),
    ("terms", "R2", "Due on receipt", "StandardTerms", {"due_days": 0}, True),
    ("terms", "R3", "Net 15", "StandardTerms", {"due_days": "15"}, True),
    ("terms", "R4", "30 Days", "StandardTerms", {"due_days": 30}, True),
    ("payment_method", "M1", "Cash", "", {}, True),
    ("payment_method", "M2", "Check", "", {}, True),
    ("payment_method", "M3", "Visa", "", {}, True),
    ("payment_method", "M4", "E-Check", "", {}, True),
)


@pytest.fixture
def company(db: Database, admin: Actor) -> Database:
    """The copy of an office's QuickBooks lists the import keeps, and JobDesk's tax rate 8.25%."""
    with db.uow(admin) as uow:
        for kind, list_id, name, record_type, detail, active in _COMPANY:
            uow.session.add(
                QuickBooksListRecord(
                    kind=kind,
                    list_id=list_id,
                    edit_sequence="1",
                    name=name,
                    full_name=name,
                    record_type=record_type,
                    detail=json.dumps(detail),
                    active=active,
                )
            )
        set_setting(uow, "tax.default_rate", Decimal("8.25"))
        set_setting(uow, "tax.item_name", "State Tax")
        uow.commit()
    return db


def _mapping(db: Database) -> cm.Mapping:
    with db.reader() as uow:
        return cm.mapping_choices(uow)


def _ids(need: cm.MappingNeed) -> list[str]:
    return [c.list_id for c in need.choices]


def _terms_id(db: Database, name: str) -> int:
    with db.reader() as uow:
        found = uow.session.scalar(select(Terms.id).where(Terms.name == name))
    assert found is not None
    return found


# --- the choices -----------------------------------------------------------------------------------


def test_each_need_lists_the_imported_records_that_fit_with_a_sensible_default(company: Database) -> None:
    mapping = _mapping(company)
    income = mapping.need("income_account")
    assert _ids(income) == ["A1", "A2"]  # income accounts, active ones only
    assert (income.current, income.default, income.required) == ("", "A1", True)
    generic = mapping.need("generic_item")
    assert _ids(generic) == ["I2", "I1"] and generic.default == "I1"  # by name; not a subtotal
    tax = mapping.need("tax_item:8.2500")
    assert _ids(tax) == ["T3", "T1"]  # the items of our rate only
    assert tax.default == "T1"  # the one Settings names
    assert tax.label == "Sales tax 8.25%"
    net30 = mapping.need(f"terms:{_terms_id(company, 'Net 30')}")
    assert _ids(net30) == ["R4", "R1"] and net30.current == "R1"  # found by name: what the sync links
    assert _ids(mapping.need(f"terms:{_terms_id(company, 'Due on receipt')}")) == ["R2"]
    defaults = {
        method: (
            mapping.need(f"payment_method:{method}").default,
            mapping.need(f"deposit_to:{method}").default,
        )
        for method in ("cash", "check", "card", "ach", "other")
    }
    assert defaults == {
        "cash": ("M1", "A4"),
        "check": ("M2", "A4"),
        "card": ("M3", "A4"),
        "ach": ("M4", "A4"),
        "other": ("", "A4"),
    }
    assert _ids(mapping.need("deposit_to:cash")) == ["A3", "A4"]  # a bank, or Undeposited Funds
    # Terms that only set a due date never reach QuickBooks, so need no choice.
    assert not [n for n in mapping.needs if n.label == "Terms “Upon completion”"]


def test_a_rate_of_an_invoice_not_yet_sent_is_a_need_too(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        customer = make_customer(uow)
        job = make_job(uow, customer, (("1", "100", True),))
        set_setting(uow, "tax.default_rate", Decimal("9"))
        invoices.create_invoice(uow, job.id)
        set_setting(uow, "tax.default_rate", Decimal("8.25"))
        uow.commit()
    mapping = _mapping(company)
    assert _ids(mapping.need("tax_item:9.0000")) == ["T2"]


# --- saving ----------------------------------------------------------------------------------------


def test_saving_the_defaults_stores_every_choice_and_is_audited(company: Database, admin: Actor) -> None:
    proposed = _mapping(company).proposed()
    with company.uow(admin) as uow:
        saved = cm.save_mapping(uow, proposed)
        uow.commit()
    assert {n.key: n.current for n in saved.needs} == proposed
    with company.reader() as uow:
        account = uow.session.get(Account, get_setting(uow, "accounts.default_income_account_id"))
        assert account is not None and account.full_name == "Construction Income"
        assert get_setting(uow, "items.generic_item_list_id") == "I1"
        assert get_setting(uow, "payments.qb_method.card") == "M3"
        assert get_setting(uow, "payments.deposit_to.card") == "A4"
        assert get_setting(uow, "payments.qb_method.other") == ""
        tax = uow.session.scalar(select(TaxRate).where(TaxRate.name == "State Tax"))
        assert tax is not None and tax.rate == Decimal("8.25")
        assert (
            uow.session.scalar(
                select(QbLink.qb_id).where(QbLink.entity_type == "tax_item", QbLink.entity_id == tax.id)
            )
            == "T1"
        )
        net30 = _terms_id(company, "Net 30")
        assert (
            uow.session.scalar(
                select(QbLink.qb_id).where(QbLink.entity_type == "terms", QbLink.entity_id == net30)
            )
            == "R1"
        )
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "mapping")).one()
        assert entry.user_name == admin.name
        changes = json.loads(entry.changes)
    assert changes["income_account"] == ["", "Construction Income"]
    assert changes["payment_method:card"] == ["", "Visa"]
    assert "terms:" + str(net30) not in changes  # it was already the one found by name


def test_choices_can_be_changed_and_cleared(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        cm.save_mapping(uow, _mapping(company).proposed())
        uow.commit()
    net30 = f"terms:{_terms_id(company, 'Net 30')}"
    with company.uow(admin) as uow:
        after = cm.save_mapping(
            uow,
            {
                "income_account": "A2",
                "generic_item": "",
                "tax_item:8.2500": "T3",
                net30: "R4",
                "deposit_to:cash": "A3",
                "payment_method:cash": "",
            },
        )
        uow.commit()
    assert after.need("income_account").current == "A2"
    assert after.need("generic_item").current == ""
    assert after.need("tax_item:8.2500").current == "T3"
    assert after.need(net30).current == "R4"
    assert (after.need("deposit_to:cash").current, after.need("payment_method:cash").current) == ("A3", "")
    with company.reader() as uow:
        found = find_tax_rate(uow.session, Decimal("8.25"))
        assert found is not None and found.name == "County Tax"  # what invoices at 8.25% now name


def test_an_office_user_cannot_save_and_nothing_changes(company: Database, office: Actor) -> None:
    proposed = _mapping(company).proposed()
    before = snapshot(company)
    with company.uow(office) as uow, pytest.raises(PermissionDenied):
        cm.save_mapping(uow, proposed)
    assert snapshot(company) == before


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("income_account", "A3", "“Checking” is a Bank"),
        ("income_account", "A6", "“Old Income” is inactive"),
        ("income_account", "", "choose one of the QuickBooks records listed"),
        ("income_account", "X-999", "not among those imported from QuickBooks"),
        ("generic_item", "I3", "“Subtotal” is a ItemSubtotal"),
        ("generic_item", "T1", "“State Tax” is a ItemSalesTax"),
        ("tax_item:8.2500", "T2", "“City Tax” charges 9%"),
        ("deposit_to:cash", "A1", "“Construction Income” is a Income"),
        ("payment_method:card", "A4", "is a OtherCurrentAsset"),
        ("terms:NET30", "R3", "“Net 15” falls due on another day"),
        ("payment_method:cheque", "M2", "JobDesk needs nothing called “payment_method:cheque”"),
        ("generic_item", 7, "choose one of the QuickBooks records listed"),
    ],
)
def test_a_bad_choice_is_refused_naming_its_field_and_nothing_changes(
    company: Database, admin: Actor, key: str, value: object, message: str
) -> None:
    key = key.replace("NET30", str(_terms_id(company, "Net 30")))
    # A good choice beside the bad one is not stored either.
    choices = {"generic_item": "I1", key: value} if key != "generic_item" else {key: value}
    before = snapshot(company)
    with company.uow(admin) as uow, pytest.raises(ValidationError) as refused:
        cm.save_mapping(uow, choices)  # type: ignore[arg-type]
    assert refused.value.field == key
    assert message in str(refused.value)
    assert snapshot(company) == before


def test_two_of_our_terms_cannot_be_one_quickbooks_terms(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        ours = make_terms(uow, "30 days", "net_days", 30)
        uow.commit()
    net30 = f"terms:{_terms_id(company, 'Net 30')}"
    before = snapshot(company)
    with company.uow(admin) as uow, pytest.raises(ValidationError, match="already chosen for Terms “Net 30”"):
        cm.save_mapping(uow, {net30: "R1", f"terms:{ours.id}": "R1"})
    assert snapshot(company) == before
    with company.uow(admin) as uow:
        cm.save_mapping(uow, {net30: "R1"})
        uow.commit()
    with company.uow(admin) as uow, pytest.raises(ValidationError, match="already JobDesk's “Net 30”"):
        cm.save_mapping(uow, {f"terms:{ours.id}": "R1"})


def test_a_local_tax_item_of_that_name_but_another_rate_is_refused(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        uow.session.add(TaxRate(name="County Tax", name_key="county tax", rate=Decimal("7"), active=True))
        uow.commit()
    before = snapshot(company)
    with (
        company.uow(admin) as uow,
        pytest.raises(ValidationError, match=r"charges 7%, QuickBooks' 8\.25%") as e,
    ):
        cm.save_mapping(uow, {"tax_item:8.2500": "T3"})
    assert e.value.field == "tax_item:8.2500"
    assert snapshot(company) == before


def test_a_choice_that_is_not_a_dict_is_refused(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow, pytest.raises(ValidationError):
        cm.save_mapping(uow, ["A1"])  # type: ignore[arg-type]


# --- what reaches the qbXML ----------------------------------------------------------------------


def _passes(request: q.Request) -> None:
    preflight.check(request)
    schema = load_schema("13.0")
    if schema is not None:
        QbxmlSchema(schema, "13.0").validate(q.build_message([request]))


def _text(request: q.Request, path: str) -> list[str]:
    return [str(node.text) for node in request.iterfind(f".//{path}")]


def test_payments_carry_the_chosen_method_and_deposit_account(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        cm.save_mapping(uow, {"payment_method:check": "M2", "deposit_to:check": "A3"})
        customer = make_customer(uow)
        payment = make_payment(uow, customer)  # a check
        request = q.receive_payment_add("r1", m.payment_fields(uow.session, payment))
    assert _text(request, "PaymentMethodRef/ListID") == ["M2"]
    assert _text(request, "DepositToAccountRef/ListID") == ["A3"]
    _passes(request)


def test_without_a_choice_payments_carry_neither(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        request = q.receive_payment_add(
            "r1", m.payment_fields(uow.session, make_payment(uow, make_customer(uow)))
        )
    assert not _text(request, "PaymentMethodRef/ListID") and not _text(request, "DepositToAccountRef/ListID")
    _passes(request)


def test_invoices_name_the_chosen_generic_item_tax_item_and_terms(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        cm.save_mapping(uow, _mapping(company).proposed())
        customer = make_customer(uow)
        job = make_job(uow, customer, (("1", "100", True),))
        detail = invoices.create_invoice(uow, job.id, terms_id=_terms_id(company, "Net 30"))
        invoice = uow.session.get(Invoice, detail.id)
        assert invoice is not None
        # A line typed by hand (no price-book item) names the generic item.
        assert all(line.item_id is None for line in uow.session.scalars(select(InvoiceLine)))
        request = q.invoice_add("r1", m.invoice_fields(uow.session, invoice).fields)
        lists, _txns = plan.dependencies(uow.session, _upsert("invoice", invoice.id))
    assert _text(request, "InvoiceLineAdd/ItemRef/ListID") == ["I1"]
    assert _text(request, "ItemSalesTaxRef/ListID") == ["T1"]
    assert _text(request, "TermsRef/ListID") == ["R1"]
    # QuickBooks has the chosen item: the sync adds no "Sales" item first.
    assert not [dep for dep in lists if dep[0] == "item"]
    _passes(request)


def test_new_items_post_to_the_chosen_income_account(company: Database, admin: Actor) -> None:
    with company.uow(admin) as uow:
        cm.save_mapping(uow, {"income_account": "A2"})
        item = make_item(uow, "Drywall")
        values = m.item_values(uow.session, item)
        request = q.item_add("r1", m.item_fields(values, item.kind, set(values), mod=False))
    assert _text(request, "SalesOrPurchase/AccountRef/FullName") == ["Sales Income"]
    _passes(request)


def _upsert(entity_type: str, entity_id: int) -> SyncItem:
    return SyncItem(entity_type=entity_type, entity_id=entity_id, action="upsert")


def test_a_saved_none_is_shown_as_none_when_the_wizard_opens_again(company: Database, admin: Actor) -> None:
    before = _mapping(company)
    assert not before.need("generic_item").saved
    assert before.proposed()["generic_item"] == before.need("generic_item").default != ""
    with company.uow(admin) as uow:
        cm.save_mapping(uow, {**before.proposed(), "generic_item": ""})
        uow.commit()
    again = _mapping(company)
    assert again.need("generic_item").saved and again.need("generic_item").current == ""
    assert again.proposed()["generic_item"] == ""  # not the default back again
    assert all(need.saved for need in again.needs)
