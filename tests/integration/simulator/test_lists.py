from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from qbwc_server.qbxml import (
    Address,
    CustomerFields,
    ItemFields,
    ItemKind,
    JobStatus,
    Ref,
    StandardTermsFields,
    company_query,
    customer_add,
    customer_mod,
    host_query,
    item_add,
    item_mod,
    list_query,
    standard_terms_add,
)
from qbwc_server.simulator import QuickBooksCompany, add_sales_tax_item
from tests.integration.simulator.helpers import one, record, run


def test_add_assigns_ids_and_mod_changes_edit_sequence(company: QuickBooksCompany) -> None:
    added = record(company, customer_add("1", CustomerFields(name="Smith", phone="555-1000")))
    assert added.list_id and added.edit_sequence
    modded = record(
        company,
        customer_mod("2", added.list_id, added.edit_sequence, CustomerFields(name="", phone="555-2000")),
    )
    assert modded.list_id == added.list_id
    assert modded.edit_sequence != added.edit_sequence
    assert modded.get("Phone") == "555-2000" and modded.name == "Smith"
    again = record(
        company, customer_mod("3", added.list_id, modded.edit_sequence, CustomerFields(name="Smyth"))
    )
    assert again.edit_sequence not in (added.edit_sequence, modded.edit_sequence)


def test_stale_edit_sequence_gets_3200(company: QuickBooksCompany) -> None:
    added = record(company, customer_add("1", CustomerFields(name="Smith")))
    assert added.list_id and added.edit_sequence
    record(company, customer_mod("2", added.list_id, added.edit_sequence, CustomerFields(name="", phone="1")))
    stale = one(
        company, customer_mod("3", added.list_id, added.edit_sequence, CustomerFields(name="", phone="2"))
    )
    assert stale.status.status_code == 3200
    assert company.customers[0].data["Phone"] == "1"


def test_mod_of_unknown_list_id_gets_3120(company: QuickBooksCompany) -> None:
    result = one(company, customer_mod("1", "80000999-1", "1", CustomerFields(name="X")))
    assert result.status.status_code == 3120


def test_names_are_unique_across_name_lists_case_insensitively(company: QuickBooksCompany) -> None:
    record(company, customer_add("1", CustomerFields(name="Smith & Sons")))
    assert one(company, customer_add("2", CustomerFields(name="SMITH & sons"))).status.status_code == 3100
    # Vendors share the name list: a customer cannot take the sales tax agency's name.
    company.add_list_element("Vendor", "State Board of Equalization")
    clash = one(company, customer_add("3", CustomerFields(name="state board of equalization")))
    assert clash.status.status_code == 3100
    assert "already in use" in clash.status.status_message


def test_jobs_are_unique_under_their_parent_only(company: QuickBooksCompany) -> None:
    record(company, customer_add("1", CustomerFields(name="Smith")))
    record(company, customer_add("2", CustomerFields(name="Jones")))
    job = record(
        company,
        customer_add(
            "3",
            CustomerFields(
                name="Kitchen",
                parent=Ref.by_name("Smith"),
                job_status=JobStatus.IN_PROGRESS,
            ),
        ),
    )
    assert job.full_name == "Smith:Kitchen" and job.get("Sublevel") == "1"
    assert job.get("JobStatus") == "InProgress"
    record(company, customer_add("4", CustomerFields(name="Kitchen", parent=Ref.by_name("Jones"))))
    record(
        company, customer_add("5", CustomerFields(name="Kitchen"))
    )  # a top-level "Kitchen" is another name
    dup = one(company, customer_add("6", CustomerFields(name="KITCHEN", parent=Ref.by_name("smith"))))
    assert dup.status.status_code == 3100


def test_unresolved_reference_gets_3140(company: QuickBooksCompany) -> None:
    result = one(company, customer_add("1", CustomerFields(name="Smith", terms=Ref.by_name("Net 99"))))
    assert result.status.status_code == 3140 and "Net 99" in result.status.status_message
    result = one(company, customer_add("2", CustomerFields(name="Job", parent=Ref.by_id("80000999-1"))))
    assert result.status.status_code == 3140
    assert company.customers == []


def test_query_without_match_is_status_1_info(company: QuickBooksCompany) -> None:
    result = one(company, list_query("CustomerQueryRq", "1", full_names=["Nobody"]))
    assert (result.status.status_code, result.status.status_severity) == (1, "Info")
    assert result.records == ()


def test_customer_query_by_full_name_list_id_and_active_status(company: QuickBooksCompany) -> None:
    smith = record(company, customer_add("1", CustomerFields(name="Smith")))
    gone = record(company, customer_add("2", CustomerFields(name="Gone", is_active=False)))
    record(company, customer_add("3", CustomerFields(name="Deck", parent=Ref.by_name("Smith"))))
    by_name = one(company, list_query("CustomerQueryRq", "4", full_names=["smith:deck"]))
    assert [r.full_name for r in by_name.records] == ["Smith:Deck"]
    assert smith.list_id and gone.list_id
    by_id = one(company, list_query("CustomerQueryRq", "5", list_ids=[gone.list_id, smith.list_id]))
    assert {r.name for r in by_id.records} == {"Gone", "Smith"}  # inactive still found by id
    active = one(company, list_query("CustomerQueryRq", "6"))
    assert [r.full_name for r in active.records] == ["Smith", "Smith:Deck"]
    inactive = one(company, list_query("CustomerQueryRq", "7", active_status="InactiveOnly"))
    assert [r.name for r in inactive.records] == ["Gone"]
    everyone = one(company, list_query("CustomerQueryRq", "8", active_status="All"))
    assert len(everyone.records) == 3


def test_partial_list_id_query_warns_and_returns_what_it_found(company: QuickBooksCompany) -> None:
    smith = record(company, customer_add("1", CustomerFields(name="Smith")))
    assert smith.list_id
    result = one(company, list_query("CustomerQueryRq", "2", list_ids=[smith.list_id, "80000999-1"]))
    assert result.status.status_severity == "Warn" and not result.status.is_error
    assert [r.name for r in result.records] == ["Smith"]


def test_modified_date_filter(company: QuickBooksCompany) -> None:
    record(company, customer_add("1", CustomerFields(name="Old")))
    company.advance_clock(timedelta(days=2))
    since = company.state.clock
    record(company, customer_add("2", CustomerFields(name="New")))
    result = one(company, list_query("CustomerQueryRq", "3", from_modified=since))
    assert [r.name for r in result.records] == ["New"]


def test_items_add_mod_and_queries(company: QuickBooksCompany) -> None:
    add_sales_tax_item(company, "State Tax", "8.25")
    labor = record(
        company,
        item_add(
            "1",
            ItemFields(
                name="Labor",
                description="Hourly labor",
                price=Decimal("65.50"),
                income_account=Ref.by_name("Construction Income"),
                sales_tax_code=Ref.by_name("Non"),
            ),
        ),
    )
    assert labor.kind == "ItemServiceRet" and labor.decimal("SalesOrPurchase/Price") == Decimal("65.50")
    lumber = record(
        company,
        item_add(
            "2",
            ItemFields(
                name="Lumber",
                kind=ItemKind.NON_INVENTORY,
                price=Decimal("4.25"),
                income_account=Ref.by_name("Materials Income"),
            ),
        ),
    )
    assert lumber.kind == "ItemNonInventoryRet"
    assert labor.list_id and labor.edit_sequence
    modded = record(
        company, item_mod("3", labor.list_id, labor.edit_sequence, ItemFields(name="", price=Decimal("70")))
    )
    # A price change keeps the description and the income account.
    assert modded.decimal("SalesOrPurchase/Price") == Decimal("70")
    assert modded.get("SalesOrPurchase/Desc") == "Hourly labor"
    assert modded.get("SalesOrPurchase/AccountRef/FullName") == "Construction Income"
    dup = one(
        company,
        item_add(
            "4",
            ItemFields(
                name="labor", kind=ItemKind.NON_INVENTORY, income_account=Ref.by_name("Materials Income")
            ),
        ),
    )
    assert dup.status.status_code == 3100  # items of every type share one name space
    services = one(company, list_query("ItemServiceQueryRq", "5"))
    assert [r.name for r in services.records] == ["Labor"]
    everything = one(company, list_query("ItemQueryRq", "6"))
    assert {r.kind for r in everything.records} == {
        "ItemServiceRet",
        "ItemNonInventoryRet",
        "ItemSalesTaxRet",
    }
    tax = one(company, list_query("ItemSalesTaxQueryRq", "7")).records
    assert [(r.name, r.get("TaxRate")) for r in tax] == [("State Tax", "8.25")]


def test_accounts_terms_and_date_driven_terms(company: QuickBooksCompany) -> None:
    accounts = one(company, list_query("AccountQueryRq", "1")).records
    assert ("Accounts Receivable", "AccountsReceivable") in [(a.name, a.get("AccountType")) for a in accounts]
    added = record(company, standard_terms_add("2", StandardTermsFields(name="Net 45", due_days=45)))
    assert added.get("StdDueDays") == "45"
    assert (
        one(company, standard_terms_add("3", StandardTermsFields(name="NET 45"))).status.status_code == 3100
    )
    terms = one(company, list_query("StandardTermsQueryRq", "4")).records
    assert "Net 45" in [t.name for t in terms]
    date_driven = one(company, list_query("DateDrivenTermsQueryRq", "5")).records
    assert [t.name for t in date_driven] == ["Due 15th"]
    # Standard and date-driven terms share a name space.
    clash = one(company, standard_terms_add("6", StandardTermsFields(name="due 15TH")))
    assert clash.status.status_code == 3100


def test_host_and_company(company: QuickBooksCompany) -> None:
    results = run(company, host_query("1"), company_query("2"))
    host = results["1"].record
    assert host is not None and "13.0" in host.get_all("SupportedQBXMLVersion")
    assert host.get(
        "ProductName",
    ).startswith("QuickBooks")  # type: ignore[union-attr]
    company_record = results["2"].record
    assert company_record is not None and company_record.get("CompanyName") == company.company_name
    assert company.file_path.endswith(".QBW")


def test_unicode_and_markup_in_names_survive(company: QuickBooksCompany) -> None:
    name = "Zoë & <Ødegaard> “Bau”"
    added = record(
        company,
        customer_add(
            "1",
            CustomerFields(
                name=name,
                bill_address=Address(addr1="Straße 1 & 2"),
            ),
        ),
    )
    assert added.name == name
    found = one(company, list_query("CustomerQueryRq", "2", full_names=[name])).records
    assert found[0].get("BillAddress/Addr1") == "Straße 1 & 2"


@pytest.mark.parametrize("field", ["phone", "email"])
def test_mod_with_empty_value_clears_it(company: QuickBooksCompany, field: str) -> None:
    added = record(company, customer_add("1", CustomerFields(name="S", **{field: "x@y"})))
    assert added.list_id and added.edit_sequence
    modded = record(
        company, customer_mod("2", added.list_id, added.edit_sequence, CustomerFields(name="", **{field: ""}))
    )
    assert modded.get(field.capitalize()) is None
