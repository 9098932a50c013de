"""An office's existing QuickBooks company: its counts, valid invoices, every planted near
match of JobDesk's names, and QuickBooks' shared name list enforced on top of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from qbwc_server.simulator import (
    OfficeManifest,
    OfficeSize,
    OurNames,
    QuickBooksCompany,
    Reason,
    seed_office,
)
from qbwc_server.simulator.store import ListElement
from tests.integration.simulator.office_fixtures import answer, demo_names, query, rets

OURS = demo_names()
MAIN_ITEM_KINDS = ("ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory")
IN_USE = re.compile(r'^The name ".+" of the list element is already in use\.$')


@pytest.fixture(scope="module")
def seeded() -> tuple[QuickBooksCompany, OfficeManifest]:
    company = QuickBooksCompany(rules=None)
    return company, seed_office(company, OURS)


def _key(name: str) -> str:
    """Case, punctuation, spacing and word order out (written apart from the simulator's own)."""
    return " ".join(
        sorted("".join(c for c in w if c.isalnum()) for w in re.split(r"[\s,\-]+", name.casefold()) if w)
    )


def _add_customer(company: QuickBooksCompany, name: str, parent: str | None = None) -> tuple[int, str]:
    parent_xml = f"<ParentRef><FullName>{parent}</FullName></ParentRef>" if parent else ""
    name_xml = name.replace("&", "&amp;")
    body = f"<CustomerAdd><Name>{name_xml}</Name>{parent_xml}</CustomerAdd>"
    request = f'<CustomerAddRq requestID="1">{body}</CustomerAddRq>'
    response = answer(company, request)
    return int(response.get("statusCode", "-1")), response.get("statusMessage", "")


def _add_item(company: QuickBooksCompany, tag: str, name: str) -> tuple[int, str]:
    account = "<AccountRef><FullName>Construction Income</FullName></AccountRef>"
    account = f"<SalesOrPurchase><Price>1.00</Price>{account}</SalesOrPurchase>"
    request = f'<{tag}AddRq requestID="1"><{tag}Add><Name>{name}</Name>{account}</{tag}Add></{tag}AddRq>'
    response = answer(company, request)
    return int(response.get("statusCode", "-1")), response.get("statusMessage", "")


# -- the company --------------------------------------------------------------------------------


def test_the_office_company_has_what_the_issue_describes(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    company, manifest = seeded
    assert (manifest.customers, manifest.jobs) == (500, 300)
    assert sum(manifest.items_of(kind) for kind in MAIN_ITEM_KINDS) == 120
    assert all(manifest.items_of(kind) > 0 for kind in MAIN_ITEM_KINDS)
    assert (manifest.sales_tax_items, manifest.terms, manifest.invoices) == (3, 6, 2000)
    assert manifest.vendors > 0 and manifest.employees > 0 and manifest.other_names > 0
    assert manifest.payment_methods > 5 and 0 < manifest.inactive_customers < 50
    for kind in ("ItemGroup", "ItemDiscount", "ItemSubtotal", "ItemSalesTaxGroup"):
        assert manifest.items_of(kind) == 1
    # The manifest counts what the company holds, read as the import reads it.
    customers = rets(answer(company, query("CustomerQueryRq", "1", ("ActiveStatus", "All"))))
    assert sum(r.findtext("Sublevel") == "0" for r in customers) == manifest.customers
    assert sum(r.findtext("Sublevel") == "1" for r in customers) == manifest.jobs
    for tag, count in (("VendorQueryRq", manifest.vendors), ("EmployeeQueryRq", manifest.employees)):
        assert len(rets(answer(company, query(tag, "1", ("ActiveStatus", "All"))))) == count


def test_invoices_are_numbered_1000_to_2999_with_valid_totals(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    company, _ = seeded
    invoices = company.invoices
    assert sorted(int(i.ref_number or "") for i in invoices) == list(range(1000, 3000))
    cent = Decimal("0.01")
    for invoice in invoices:
        assert invoice.lines and all(line.item_id for line in invoice.lines)
        for line in invoice.lines:
            assert line.quantity is not None and line.rate is not None
            assert line.amount == (line.quantity * line.rate).quantize(cent, rounding=ROUND_HALF_UP)
        assert invoice.subtotal == sum((line.amount for line in invoice.lines), Decimal("0"))
        taxable = sum(
            (
                line.amount
                for line in invoice.lines
                if line.tax_code_id and company.state.lists[line.tax_code_id].name == "Tax"
            ),
            Decimal("0"),
        )
        assert invoice.sales_tax_item_id is not None
        rate = Decimal(company.state.lists[invoice.sales_tax_item_id].data["TaxRate"])
        customer = company.state.lists[invoice.customer_id]
        exempt = company.state.lists[customer.data["SalesTaxCodeRef"]].name == "Non"
        expected = (
            Decimal("0.00") if exempt else (taxable * rate / 100).quantize(cent, rounding=ROUND_HALF_UP)
        )
        assert invoice.tax_total == expected, invoice.ref_number
        assert all(isinstance(v, Decimal) for v in (invoice.subtotal, invoice.tax_total, invoice.total))
    dates = [i.txn_date for i in sorted(invoices, key=lambda i: int(i.ref_number or ""))]
    assert dates == sorted(dates)


def test_the_same_arguments_give_the_same_company() -> None:
    def build(seed: int) -> tuple[OfficeManifest, list[str]]:
        company = QuickBooksCompany(rules=None)
        manifest = seed_office(company, OURS, seed=seed)
        return manifest, [company.full_name(e) for e in company.customers + company.items]

    assert build(3) == build(3)
    assert build(3)[1] != build(4)[1]


def test_a_size_for_the_benchmark_builds_ten_thousand_customers_and_twenty_thousand_invoices() -> None:
    company = QuickBooksCompany(rules=None)
    manifest = seed_office(company, OURS, OfficeSize.benchmark())
    assert (manifest.customers, manifest.invoices) == (10_000, 20_000)
    assert (manifest.first_invoice_number, manifest.last_invoice_number) == (1000, 20_999)
    assert len({c.quickbooks for c in manifest.collisions}) == len(manifest.collisions)
    planted = manifest.by_reason(Reason.VENDOR)[0]
    assert _add_customer(company, planted.ours)[0] == 3100


def test_any_size_is_honoured() -> None:
    size = OfficeSize(customers=60, jobs=25, items=40, invoices=90, first_invoice_number=5000, vendors=6)
    company = QuickBooksCompany(rules=None)
    manifest = seed_office(company, OurNames(), size)
    assert (manifest.customers, manifest.jobs, manifest.invoices, manifest.vendors) == (60, 25, 90, 6)
    assert sum(manifest.items_of(kind) for kind in MAIN_ITEM_KINDS) == 40
    assert (manifest.first_invoice_number, manifest.last_invoice_number) == (5000, 5089)
    assert manifest.collisions == ()  # no names of ours: nothing to resemble


# -- the planted near matches ---------------------------------------------------------------------


def test_every_kind_of_resemblance_the_issue_lists_is_planted(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    _, manifest = seeded
    assert {c.reason for c in manifest.collisions} == set(Reason)
    assert {(c.record, c.reason) for c in manifest.collisions} >= {
        ("customer", Reason.EXACT),
        ("customer", Reason.PUNCTUATION),
        ("customer", Reason.SPACING),
        ("customer", Reason.CASE),
        ("customer", Reason.LAST_FIRST),
        ("customer", Reason.VENDOR),
        ("customer", Reason.EMPLOYEE),
        ("job", Reason.EXACT),
        ("job", Reason.OTHER_PARENT),
        ("job", Reason.JOB_NUMBER),
        ("item", Reason.EXACT),
        ("item", Reason.ITEM_TYPE),
    }
    # The issue's own example is among them: the apostrophe dropped.
    assert any(
        (c.ours, c.quickbooks) == ("O'Brien, Pavel", "OBrien, Pavel")
        for c in manifest.by_reason(Reason.PUNCTUATION)
    )


def test_each_planted_record_is_in_quickbooks_as_the_manifest_says(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    company, manifest = seeded
    our_customers, our_jobs = set(OURS.customers), {f"{c}:{j}" for c, j in OURS.jobs}
    our_items = dict(OURS.items)
    for c in manifest.collisions:
        element: ListElement = company.state.lists[c.list_id]
        assert (element.kind, company.full_name(element)) == (c.quickbooks_kind, c.quickbooks)
        assert c.ours in {"customer": our_customers, "job": our_jobs, "item": set(our_items)}[c.record]
        ours_last = c.ours.rsplit(":", 1)[-1] if c.record == "job" else c.ours
        theirs_last = element.name
        if c.reason is Reason.EXACT:
            assert c.quickbooks == c.ours and c.same_name
            if c.record == "item":
                assert c.quickbooks_kind == (
                    "ItemService" if our_items[c.ours] == "service" else "ItemNonInventory"
                )
        elif c.reason is Reason.CASE:
            assert c.quickbooks != c.ours and c.same_name
        elif c.reason in (Reason.PUNCTUATION, Reason.SPACING, Reason.LAST_FIRST):
            assert c.quickbooks_kind == "Customer" and not c.same_name
            assert _key(c.quickbooks) == _key(c.ours)
            if c.reason is Reason.SPACING:
                assert c.quickbooks.replace(" ", "") == c.ours.replace(" ", "")
            if c.reason is Reason.LAST_FIRST:
                last, first = c.ours.split(", ", 1)
                assert c.quickbooks == f"{first} {last}"
        elif c.reason is Reason.OTHER_PARENT:
            assert theirs_last == ours_last and not c.same_name
            assert c.quickbooks.rsplit(":", 1)[0] != c.ours.rsplit(":", 1)[0]
        elif c.reason is Reason.JOB_NUMBER:
            assert c.quickbooks.rsplit(":", 1)[0] == c.ours.rsplit(":", 1)[0]
            number, rest = ours_last.split(" ", 1)
            assert theirs_last == f"{number} - {rest}"
        elif c.reason is Reason.ITEM_TYPE:
            natural = "ItemService" if our_items[c.ours] == "service" else "ItemNonInventory"
            assert c.quickbooks_kind in MAIN_ITEM_KINDS and c.quickbooks_kind != natural and c.same_name
        elif c.reason is Reason.VENDOR:
            assert c.quickbooks_kind == "Vendor" and c.same_name
        else:
            assert c.reason is Reason.EMPLOYEE and c.quickbooks_kind == "Employee"
            assert _key(c.quickbooks) == _key(c.ours)  # QuickBooks names the employee First Last
            assert element.data["FirstName"] + " " + element.data["LastName"] == c.quickbooks


def test_a_job_that_resembles_ours_sits_under_our_customer_as_quickbooks_has_it(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    _, manifest = seeded
    exact_customers = {c.ours for c in manifest.by_reason(Reason.EXACT) if c.record == "customer"}
    for c in manifest.collisions:
        if c.record == "job" and c.reason in (Reason.EXACT, Reason.JOB_NUMBER):
            assert c.ours.rsplit(":", 1)[0] in exact_customers


def test_no_resemblance_is_left_out_of_the_manifest(seeded: tuple[QuickBooksCompany, OfficeManifest]) -> None:
    """The office's own names come near none of ours: an end-to-end test can trust the list."""
    company, manifest = seeded
    listed = {c.list_id for c in manifest.collisions}
    customer_keys = {_key(n) for n in OURS.customers}
    job_keys = {_key(j) for _, j in OURS.jobs}
    item_keys = {_key(n) for n, _ in OURS.items}
    for element in company.state.lists.values():
        if element.kind in ("Customer", "Vendor", "Employee", "OtherName") and element.parent_id is None:
            near = _key(element.name) in customer_keys
        elif element.kind == "Customer":
            near = _key(element.name) in job_keys
        elif element.kind.startswith("Item"):
            near = _key(element.name) in item_keys
        else:
            continue
        assert near == (element.list_id in listed), company.full_name(element)


# -- QuickBooks' name list, enforced ------------------------------------------------------------------


def test_a_customer_named_like_a_vendor_employee_or_other_name_gets_3100(company: QuickBooksCompany) -> None:
    company.add_list_element("Vendor", "Rossi Properties LLC")
    company.add_list_element("Employee", "Hiro Kim", {"FirstName": "Hiro", "LastName": "Kim"})
    company.add_list_element("OtherName", "Petty Cash")
    for name in ("Rossi Properties LLC", "ROSSI properties llc", "hiro kim", "Petty Cash"):
        code, text = _add_customer(company, name)
        assert code == 3100 and IN_USE.match(text), (name, text)
        assert f'"{name}"' in text
    assert company.customers == []
    assert _add_customer(company, "Kim, Hiro")[0] == 0  # another name: QuickBooks takes it


def test_items_are_unique_by_name_across_every_type(company: QuickBooksCompany) -> None:
    company.add_list_element("ItemOtherCharge", "Permit Fee")
    company.add_list_element("ItemInventory", "Thermostat")
    company.add_list_element("ItemGroup", "Rough-in Kit")
    company.add_list_element("ItemSubtotal", "Subtotal")
    for tag, name in (
        ("ItemService", "permit fee"),
        ("ItemNonInventory", "THERMOSTAT"),
        ("ItemService", "Rough-In Kit"),
        ("ItemNonInventory", "subtotal"),
    ):
        code, text = _add_item(company, tag, name)
        assert code == 3100 and IN_USE.match(text), (tag, name, text)
    assert _add_item(company, "ItemService", "Permit Fee Review")[0] == 0
    # A customer may carry an item's name: they are other name lists.
    assert _add_customer(company, "Thermostat")[0] == 0


def test_jobs_are_unique_only_under_their_parent(company: QuickBooksCompany) -> None:
    company.add_list_element("Vendor", "1010 Panel upgrade")
    for name in ("Kim, Hiro", "Lee, Grace"):
        assert _add_customer(company, name)[0] == 0
    assert _add_customer(company, "1010 Panel upgrade", parent="Kim, Hiro")[0] == 0
    assert _add_customer(company, "1010 panel UPGRADE", parent="Lee, Grace")[0] == 0
    code, text = _add_customer(company, "1010 PANEL upgrade", parent="Kim, Hiro")
    assert code == 3100 and IN_USE.match(text)
    assert _add_customer(company, "1010 - Panel upgrade", parent="Kim, Hiro")[0] == 0


def test_our_names_against_the_office_company(seeded: tuple[QuickBooksCompany, OfficeManifest]) -> None:
    """What QuickBooks does when JobDesk sends its names as they are, without deciding."""
    _, manifest = seeded
    company = QuickBooksCompany(rules=None)
    seed_office(company, OURS)
    for c in manifest.collisions:
        if c.record != "customer" or c.reason is Reason.EXACT:
            continue
        code, _ = _add_customer(company, c.ours)
        assert (code == 3100) == c.same_name, c
        assert code in (0, 3100)


def test_a_rename_frees_the_old_name_and_takes_the_new(company: QuickBooksCompany) -> None:
    assert _add_customer(company, "Kim, Hiro")[0] == 0
    kim = company.find_list("Customer", "kim, hiro")
    assert kim is not None
    request = (
        f'<CustomerModRq requestID="1"><CustomerMod><ListID>{kim.list_id}</ListID>'
        f"<EditSequence>{kim.edit_sequence}</EditSequence><Name>Hiro Kim</Name></CustomerMod></CustomerModRq>"
    )
    assert answer(company, request).get("statusCode") == "0"
    assert company.find_list("Customer", "Kim, Hiro") is None
    assert company.find_list("Customer", "HIRO KIM") is kim
    assert _add_customer(company, "Kim, Hiro")[0] == 0
    assert _add_customer(company, "hiro kim")[0] == 3100


class _NoScan(dict[str, ListElement]):
    """A list store that refuses to be walked: a lookup must go through the name index."""

    def values(self) -> object:  # type: ignore[override]
        raise AssertionError("the whole list was scanned")

    def items(self) -> object:  # type: ignore[override]
        raise AssertionError("the whole list was scanned")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the whole list was scanned")


def test_name_lookups_and_checks_never_walk_the_list() -> None:
    company = QuickBooksCompany(rules=None)
    seed_office(company, OURS, OfficeSize(customers=300, jobs=50, invoices=0))
    company.state.lists = _NoScan(company.state.lists)
    assert company.find_list("Customer", "OBrien, Pavel") is not None
    assert _add_customer(company, "Kim, Hiro (new)")[0] == 0
    assert _add_customer(company, "Deck", parent="Kim, Hiro (new)")[0] == 0
    assert _add_customer(company, "kim, hiro (NEW)")[0] == 3100
    with pytest.raises(AssertionError, match="scanned"):
        company.state.lists.values()  # the guard itself works


def test_a_saved_office_company_keeps_its_names(tmp_path: Path) -> None:
    company = QuickBooksCompany(rules=None)
    manifest = seed_office(company, OURS, OfficeSize(customers=80, jobs=20, invoices=40))
    company.save(tmp_path / "office.json")
    loaded = QuickBooksCompany.load(tmp_path / "office.json", rules=None)
    vendor = manifest.by_reason(Reason.VENDOR)[0]
    assert _add_customer(loaded, vendor.ours)[0] == 3100
    job = next(c for c in manifest.collisions if c.record == "job")
    assert loaded.find_list("Customer", job.quickbooks) is not None


def test_an_invoice_line_takes_an_inventory_parts_sales_price(company: QuickBooksCompany) -> None:
    """An inventory part keeps its price in SalesPrice, not in SalesOrPurchase."""
    company.add_list_element(
        "ItemInventory", "Thermostat", {"SalesPrice": "89.99", "SalesDesc": "Smart thermostat"}
    )
    assert _add_customer(company, "Kim, Hiro")[0] == 0
    line = "<ItemRef><FullName>Thermostat</FullName></ItemRef><Quantity>3</Quantity>"
    head = "<CustomerRef><FullName>Kim, Hiro</FullName></CustomerRef><RefNumber>1</RefNumber>"
    body = f"<InvoiceAdd>{head}<InvoiceLineAdd>{line}</InvoiceLineAdd></InvoiceAdd>"
    response = answer(company, f'<InvoiceAddRq requestID="1">{body}</InvoiceAddRq>')
    assert response.get("statusCode") == "0", response.attrib
    (ret,) = rets(response)
    assert ret.findtext("InvoiceLineRet/Amount") == "269.97"
    assert ret.findtext("InvoiceLineRet/Desc") == "Smart thermostat"
