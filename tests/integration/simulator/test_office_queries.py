"""Every query the connection wizard's import sends, answered as US QuickBooks Desktop answers.

The company is an office's (``seed_office``); every response is validated against Intuit's
qbXML 13.0 XSD by the company's validator. Iterators are accepted exactly where Intuit's
list (qbxml-iterator-support-v16.txt) says; IncludeRetElement keeps only what it names.
"""

from __future__ import annotations

import dataclasses

import pytest

from qbwc_server.simulator import OfficeManifest, QuickBooksCompany, RequestProcessorError, seed_office
from qbwc_server.simulator.reference_rules import ITERATORS_NAME, read_iterator_support, reference_dir
from qbwc_server.simulator.ret_order import RET_ORDER
from qbwc_server.simulator.store import ITEM_TYPE_ORDER
from tests.integration.simulator.office_fixtures import answer, demo_names, every_page, message, query, rets
from tests.integration.simulator.xsd_sequences import child_order
from tests.qbxml_schema import QbxmlSchema, reference_rules, xsd_path


@pytest.fixture(scope="module")
def seeded(qbxml13: QbxmlSchema) -> tuple[QuickBooksCompany, OfficeManifest]:
    company = QuickBooksCompany(validator=qbxml13)
    return company, seed_office(company, demo_names())


@pytest.fixture
def office(seeded: tuple[QuickBooksCompany, OfficeManifest]) -> QuickBooksCompany:
    return seeded[0]


def _count(company: QuickBooksCompany, *kinds: str, active_only: bool = False) -> int:
    return sum(1 for e in company.core.elements(kinds) if e.is_active or not active_only)


QUERIES = {
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "EmployeeQueryRq": ("Employee",),
    "OtherNameQueryRq": ("OtherName",),
    "PaymentMethodQueryRq": ("PaymentMethod",),
    "SalesTaxCodeQueryRq": ("SalesTaxCode",),
    "AccountQueryRq": ("Account",),
    "StandardTermsQueryRq": ("StandardTerms",),
    "ItemSalesTaxQueryRq": ("ItemSalesTax",),
    "ItemQueryRq": ITEM_TYPE_ORDER,
}


@pytest.mark.parametrize("tag", sorted(QUERIES))
def test_each_list_query_answers_every_record_and_active_ones_by_default(
    office: QuickBooksCompany, tag: str
) -> None:
    kinds = QUERIES[tag]
    everything = answer(office, query(tag, "1", ("ActiveStatus", "All")))
    assert everything.get("statusCode") == "0", everything.attrib
    assert len(rets(everything)) == _count(office, *kinds) > 0
    assert {r.tag for r in rets(everything)} == {f"{k}Ret" for k in kinds if office.core.elements({k})}
    active = rets(answer(office, query(tag, "2")))
    assert len(active) == _count(office, *kinds, active_only=True)
    assert all(r.findtext("IsActive") == "true" for r in active)


def test_item_query_returns_every_type_in_one_answer_in_the_xsds_order(office: QuickBooksCompany) -> None:
    items = rets(answer(office, query("ItemQueryRq", "1", ("ActiveStatus", "All"))))
    kinds = [r.tag.removesuffix("Ret") for r in items]
    assert set(kinds) == set(ITEM_TYPE_ORDER)  # service … group, sales-tax items and groups too
    # Grouped by type in the order the XSD lists ItemQueryRs' choices, then by name.
    path = xsd_path("13.0")
    assert path is not None
    xsd_choice = [tag.removesuffix("Ret") for tag in child_order(path, "ItemQueryRsType")]
    assert list(ITEM_TYPE_ORDER) == [k for k in xsd_choice if k in ITEM_TYPE_ORDER]
    ranks = [ITEM_TYPE_ORDER.index(k) for k in kinds]
    assert ranks == sorted(ranks)
    for kind in ITEM_TYPE_ORDER:
        of_kind = [r.findtext("FullName") or r.findtext("Name") or "" for r in items if r.tag == f"{kind}Ret"]
        assert of_kind == sorted(of_kind, key=str.casefold)
    group = next(r for r in items if r.tag == "ItemGroupRet")
    lines = group.findall("ItemGroupLine")
    assert len(lines) == 2 and all(line.findtext("ItemRef/FullName") for line in lines)
    tax_group = next(r for r in items if r.tag == "ItemSalesTaxGroupRet")
    assert len(tax_group.findall("ItemSalesTaxRef")) == 2


def test_payment_method_type_filter(office: QuickBooksCompany) -> None:
    found = rets(answer(office, query("PaymentMethodQueryRq", "1", ("PaymentMethodType", "Visa"))))
    assert [(r.findtext("Name"), r.findtext("PaymentMethodType")) for r in found] == [("Visa", "Visa")]


@pytest.mark.parametrize(
    ("tag", "page"),
    [("CustomerQueryRq", 97), ("VendorQueryRq", 7), ("ItemQueryRq", 25), ("InvoiceQueryRq", 450)],
)
def test_iterators_page_through_everything_with_remaining_counts(
    office: QuickBooksCompany, tag: str, page: int
) -> None:
    filters = () if tag == "InvoiceQueryRq" else (("ActiveStatus", "All"),)
    whole = rets(answer(office, query(tag, "w", *filters)))
    paged = every_page(office, tag, page, *filters)
    key = "TxnID" if tag == "InvoiceQueryRq" else "ListID"
    assert [r.findtext(key) for r in paged] == [r.findtext(key) for r in whole]
    assert len(paged) > page


def test_an_unknown_or_another_querys_iterator_gets_3391(office: QuickBooksCompany) -> None:
    started = answer(office, query("VendorQueryRq", "1", ("MaxReturned", "2"), iterator="Start"))
    iterator_id = started.get("iteratorID", "")
    unknown = answer(office, query("VendorQueryRq", "2", iterator="Continue", iterator_id="{nope}"))
    assert unknown.get("statusCode") == "3391" and unknown.get("statusSeverity") == "Error"
    crossed = answer(office, query("CustomerQueryRq", "3", iterator="Continue", iterator_id=iterator_id))
    assert crossed.get("statusCode") == "3391"


@pytest.mark.parametrize(
    "tag", ["EmployeeQueryRq", "OtherNameQueryRq", "PaymentMethodQueryRq", "AccountQueryRq"]
)
def test_an_iterator_where_quickbooks_takes_none_refuses_the_message(
    office: QuickBooksCompany, tag: str
) -> None:
    before = len(office.log)
    with pytest.raises(RequestProcessorError):
        office.process(message(query(tag, "1", ("MaxReturned", "5"), iterator="Start")))
    assert len(office.log) == before  # nothing answered


def test_the_iterator_rule_comes_from_intuits_list_not_only_the_schema() -> None:
    """Without the XSD, the list read from qbxml-iterator-support-v16.txt still refuses."""
    rules = dataclasses.replace(reference_rules(), schema=None)
    assert rules.iterator_queries is not None
    assert {"CustomerQueryRq", "VendorQueryRq", "ItemQueryRq", "InvoiceQueryRq"} <= rules.iterator_queries
    assert not {"EmployeeQueryRq", "AccountQueryRq", "PaymentMethodQueryRq"} & rules.iterator_queries
    company = QuickBooksCompany(rules=rules)
    with pytest.raises(RequestProcessorError, match="EmployeeQueryRq takes no iterator"):
        company.process(message(query("EmployeeQueryRq", "1", iterator="Start")))
    accepted = answer(company, query("VendorQueryRq", "1", iterator="Start"))
    assert accepted.get("iteratorID")
    # The same message, with no iterator list, is not refused: the list is what refused it.
    lax = QuickBooksCompany(rules=dataclasses.replace(rules, iterator_queries=None))
    assert answer(lax, query("EmployeeQueryRq", "1", iterator="Start")).get("statusCode") == "1"


def test_the_iterator_list_is_read_as_intuit_writes_it() -> None:
    folder = reference_dir()
    if folder is None:
        pytest.skip("Intuit's reference folder is not on this machine")
    from_file = read_iterator_support(folder / ITERATORS_NAME)
    assert (
        from_file is not None and "ItemSalesTaxGroupQueryRq" in from_file and "HostQueryRq" not in from_file
    )
    assert read_iterator_support(folder / "no-such-file.txt") is None


def test_include_ret_element_keeps_only_the_named_top_level_elements(office: QuickBooksCompany) -> None:
    found = rets(
        answer(
            office,
            query(
                "CustomerQueryRq",
                "1",
                ("MaxReturned", "40"),
                ("IncludeRetElement", "ListID"),
                ("IncludeRetElement", "FullName"),
                ("IncludeRetElement", "BillAddress"),
            ),
        )
    )
    assert len(found) == 40
    for ret in found:
        assert {child.tag for child in ret} <= {"ListID", "FullName", "BillAddress"}
        assert ret.findtext("ListID") and ret.findtext("FullName")
    # An aggregate comes whole.
    assert all(ret.findtext("BillAddress/City") for ret in found if ret.find("BillAddress") is not None)
    assert any(ret.find("BillAddress") is not None for ret in found)


def test_include_ret_element_matches_names_exactly_and_ignores_unknown_ones(
    office: QuickBooksCompany,
) -> None:
    for name in ("refnumber", "NoSuchElement"):
        response = answer(
            office, query("InvoiceQueryRq", "1", ("MaxReturned", "3"), ("IncludeRetElement", name))
        )
        assert response.get("statusCode") == "0"
        assert [len(ret) for ret in rets(response)] == [0, 0, 0]


def test_invoice_numbers_read_with_ref_number_only_and_iterators(
    seeded: tuple[QuickBooksCompany, OfficeManifest],
) -> None:
    office, manifest = seeded
    include = (
        ("IncludeLineItems", "false"),
        ("IncludeRetElement", "TxnID"),
        ("IncludeRetElement", "RefNumber"),
    )
    found = every_page(office, "InvoiceQueryRq", 500, *include)
    assert all({child.tag for child in ret} == {"TxnID", "RefNumber"} for ret in found)
    numbers = [int(ret.findtext("RefNumber") or "") for ret in found]
    first, last = manifest.first_invoice_number, manifest.last_invoice_number
    assert sorted(numbers) == list(range(first, last + 1)) and (first, last) == (1000, 2999)


def test_customer_balances_count_their_jobs(office: QuickBooksCompany) -> None:
    core = office.core
    parent = next(
        e
        for e in core.elements({"Customer"})
        if e.parent_id is None
        and any(
            j.parent_id == e.list_id and any(i.customer_id == j.list_id for i in core.state.invoices.values())
            for j in core.elements({"Customer"})
        )
    )
    family = {parent.list_id} | {
        j.list_id for j in core.elements({"Customer"}) if j.parent_id == parent.list_id
    }
    own = sum((i.total for i in core.state.invoices.values() if i.customer_id == parent.list_id), start=0)
    total = sum((i.total for i in core.state.invoices.values() if i.customer_id in family), start=0)
    (ret,) = rets(answer(office, query("CustomerQueryRq", "1", ("FullName", parent.name))))
    assert ret.findtext("Balance") == f"{own:.2f}" and ret.findtext("TotalBalance") == f"{total:.2f}"
    assert total > own


@pytest.mark.parametrize("kind", sorted(RET_ORDER))
def test_every_ret_the_simulator_writes_is_in_the_xsds_order(kind: str) -> None:
    path = xsd_path("13.0")
    if path is None:
        pytest.skip("qbXML 13.0 XSD not found")
    xsd = child_order(path, f"{kind}Ret")
    ours = list(RET_ORDER[kind])
    assert set(ours) <= set(xsd), set(ours) - set(xsd)
    positions = [xsd.index(tag) for tag in ours]
    assert positions == sorted(positions), [
        tag for tag, _ in sorted(zip(ours, positions, strict=True), key=lambda p: p[1])
    ]


def test_a_ret_order_out_of_place_would_be_caught() -> None:
    """Guard for the test above: a swapped pair is found out of order."""
    path = xsd_path("13.0")
    if path is None:
        pytest.skip("qbXML 13.0 XSD not found")
    xsd = child_order(path, "VendorRet")
    swapped = [xsd.index(tag) for tag in ("ListID", "Name", "Balance", "Phone")]
    assert swapped != sorted(swapped)


@pytest.mark.parametrize("tag", [*sorted(QUERIES), "InvoiceQueryRq"])
def test_every_answer_validates_against_the_xsd(
    office: QuickBooksCompany, qbxml13: QbxmlSchema, tag: str
) -> None:
    children = [("ActiveStatus", "All")] if tag != "InvoiceQueryRq" else [("MaxReturned", "300")]
    if tag == "InvoiceQueryRq":
        children.append(("IncludeLineItems", "true"))
    root = qbxml13.validate(office.process(message(query(tag, "1", *children))))
    (response,) = root.find("QBXMLMsgsRs")  # type: ignore[misc]
    assert response.get("statusCode") == "0" and len(response) > 0
