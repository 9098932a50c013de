"""The simulated request processor is as strict as Intuit documents US QuickBooks Desktop.

Each rule is proved on a message. The rules come from Intuit's annotated samples and XSD
(read at run time, skipped with a reason when they are not on this machine) and, for the
installed product, from a table of what QuickBooks Desktop accepts: the same messages
get the same answers from both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from desktop_app.db.uow import Database
from qbwc_server.qbxml import parse_response
from qbwc_server.server import EmbeddedServer
from qbwc_server.simulator import (
    QbdRules,
    QuickBooksCompany,
    RequestProcessorError,
    add_sales_tax_item,
    default_rules,
    rules_from_table,
    strict,
)
from qbwc_server.simulator import reference_rules as rr
from qbwc_server.simulator.webconnector import WebConnector
from tests.qbwc_fakes import PASSWORD, USER, FakeEngine, set_password
from tests.qbxml_schema import QbxmlSchema, reference_rules

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."

#: A hand-made table in the product table's shape (request → ordered {path: QBD max length}).
HAND_TABLE: dict[str, dict[str, int | None]] = {
    "CustomerAddRq": {
        "CustomerAdd": None,
        "CustomerAdd/Name": 41,
        "CustomerAdd/CompanyName": 41,
        "CustomerAdd/FirstName": 25,
        "CustomerAdd/Phone": 21,
        "CustomerAdd/Email": 1023,
    },
    "InvoiceAddRq": {
        "InvoiceAdd": None,
        "InvoiceAdd/CustomerRef": None,
        "InvoiceAdd/CustomerRef/ListID": None,
        "InvoiceAdd/CustomerRef/FullName": 209,
        "InvoiceAdd/RefNumber": 11,
        "InvoiceAdd/InvoiceLineAdd": None,
        "InvoiceAdd/InvoiceLineAdd/ItemRef": None,
        "InvoiceAdd/InvoiceLineAdd/ItemRef/FullName": 159,
        "InvoiceAdd/InvoiceLineAdd/Desc": 4095,
        "InvoiceAdd/InvoiceLineAdd/Amount": None,
    },
}


# -- building messages by hand (the product's builders are not what is tested here) ----------------


Fields = list[tuple[str, "str | Fields"]]


def _fill(parent: etree._Element, fields: Fields) -> None:
    for tag, value in fields:
        child = etree.SubElement(parent, tag)
        if isinstance(value, str):
            child.text = value
        else:
            _fill(child, value)


def rq(tag: str, request_id: str, fields: Fields) -> str:
    node = etree.Element(tag, requestID=request_id)
    _fill(node, fields)
    return etree.tostring(node, encoding="unicode")


def customer(request_id: str, name: str, *extra: tuple[str, str]) -> str:
    return rq("CustomerAddRq", request_id, [("CustomerAdd", [("Name", name), *extra])])


def message(*requests: str, version: str | None = "13.0", on_error: str = "stopOnError") -> str:
    header = f'<?qbxml version="{version}"?>\n' if version is not None else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{header}'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def statuses(company: QuickBooksCompany, xml: str) -> list[tuple[int, str, str]]:
    return [
        (r.status.status_code, r.status.status_severity, r.status.status_message)
        for r in parse_response(company.process(xml)).values()
    ]


def refused(company: QuickBooksCompany, xml: str) -> RequestProcessorError:
    """The whole message is refused as QuickBooks refuses it: nothing answered, run or logged."""
    before = (len(company.state.lists), len(company.state.invoices))
    with pytest.raises(RequestProcessorError) as caught:
        company.process(xml)
    assert caught.value.hresult == PARSE_HRESULT
    assert caught.value.message == PARSE_MESSAGE
    assert (len(company.state.lists), len(company.state.invoices)) == before
    assert company.log == []
    return caught.value


# -- rule sets ---------------------------------------------------------------------------------------


def _product_table() -> QbdRules:
    table = pytest.importorskip("qbwc_server.qbxml.qbd_table")
    return rules_from_table(table.ACCEPTED, source="product table")


RULE_SETS: dict[str, Callable[[], QbdRules]] = {
    "reference": reference_rules,
    "hand-table": lambda: rules_from_table(HAND_TABLE, source="hand-made table"),
    "product-table": _product_table,
}


@pytest.fixture(params=sorted(RULE_SETS))
def rules(request: pytest.FixtureRequest) -> QbdRules:
    return RULE_SETS[request.param]()


@pytest.fixture
def reference() -> QbdRules:
    return reference_rules()


def company_with(rules: QbdRules) -> QuickBooksCompany:
    return QuickBooksCompany(rules=rules)


# -- the rules read from Intuit's files ---------------------------------------------------------------


def test_reference_rules_say_what_the_annotated_samples_say(reference: QbdRules) -> None:
    # <Mobile>, <Pager>, <PrintAs>: "not in QBD|QBCA|QBUK|QBAU"; <Suffix> too.
    for element in ("Mobile", "Pager", "PrintAs", "Suffix"):
        assert f"CustomerAdd/{element}" in reference.not_in_qbd["CustomerAddRq"]
    for element in ("Name", "Phone", "AltPhone", "Fax", "Email", "Contact", "JobTitle"):
        assert f"CustomerAdd/{element}" not in reference.not_in_qbd["CustomerAddRq"]
    assert "CustomerMod/Mobile" in reference.not_in_qbd["CustomerModRq"]
    lengths = reference.max_length
    assert lengths["CustomerAddRq"]["CustomerAdd/Name"] == 41
    assert lengths["InvoiceAddRq"]["InvoiceAdd/RefNumber"] == 11
    assert lengths["ItemServiceAddRq"]["ItemServiceAdd/Name"] == 31
    assert lengths["ItemSalesTaxAddRq"]["ItemSalesTaxAdd/Name"] == 31
    assert lengths["CustomerAddRq"]["CustomerAdd/Phone"] == 21  # "max length = 21": every edition
    assert lengths["CustomerAddRq"]["CustomerAdd/Salutation"] == 15
    assert lengths["CustomerAddRq"]["CustomerAdd/MiddleName"] == 5  # QBD's 5, not QBOE's 25
    assert "CustomerAdd/Mobile" not in lengths["CustomerAddRq"]  # a length for QBOE only
    assert lengths["InvoiceAddRq"]["InvoiceAdd/InvoiceLineAdd/Desc"] == 4095
    versions = reference.min_version
    assert versions["CustomerAddRq"]["CustomerAdd/JobTitle"] == (12, 0)
    assert versions["InvoiceAddRq"]["InvoiceAdd/InvoiceLineAdd/OptionForPriceRuleConflict"] == (13, 0)
    # An aggregate's version holds for what is inside it.
    assert versions["CustomerAddRq"]["CustomerAdd/ShipToAddress/Addr1"] == (12, 0)
    assert "CustomerAdd/Name" not in versions["CustomerAddRq"]
    assert reference.request_min_version["LeadAddRq"] == (13, 0)
    # Empty requests carry their comment beside them, outside the element.
    assert "SalesTaxReturnQueryRq" in reference.requests_not_in_qbd
    assert "CustomerAddRq" not in reference.requests_not_in_qbd
    assert reference.schema is not None


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (" opt, max length = 41 for QBD|QBCA|QBUK|QBAU, max length = 100 for QBOE ", (False, 41, None)),
        (" opt, max length = 15 ", (False, 15, None)),
        (" opt, max length = 21 for QBOE, not in QBD|QBCA|QBUK|QBAU ", (True, None, None)),
        (" opt, max length = 31 for QBCA|QBUK, max length = 41 for QBAU ", (False, None, None)),
        (" opt, not in QBOE, v12.0 ", (False, None, (12, 0))),
        (" opt, not in QBD|QBOE, v6.0 ", (True, None, (6, 0))),
        (" opt, max length = 31 for QBD, not in QBCA|QBUK|QBAU|QBOE, v13.0 ", (False, 31, (13, 0))),
    ],
)
def test_one_comment_is_read_for_quickbooks_desktop(
    comment: str, expected: tuple[bool, int | None, tuple[int, int] | None]
) -> None:
    note = rr.parse_note(comment)
    assert (note.not_in_qbd, note.max_length, note.version) == expected


def test_reference_folder_is_found_through_the_environment(
    reference: QbdRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rr.reference_dir()
    assert real is not None
    # Links, not copies: Intuit's files stay where they are.
    (tmp_path / "qbxml-13.0").mkdir()
    (tmp_path / rr.SAMPLES_NAME).symlink_to(real / rr.SAMPLES_NAME)
    (tmp_path / rr.XSD_RELATIVE).symlink_to(real / rr.XSD_RELATIVE)
    monkeypatch.setenv(rr.XSD_ENV, str(tmp_path / rr.XSD_RELATIVE))
    assert rr.reference_dir() == tmp_path
    monkeypatch.delenv(rr.XSD_ENV)
    monkeypatch.setenv(rr.REFERENCE_ENV, str(tmp_path))
    assert rr.reference_dir() == tmp_path


def test_default_rules_are_the_reference_here_and_the_product_table_elsewhere(
    reference: QbdRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_rules() is reference
    assert QuickBooksCompany().rules is reference  # strict unless a test opts out
    assert QuickBooksCompany(rules=None).rules is None
    pytest.importorskip("qbwc_server.qbxml.qbd_table")
    monkeypatch.setattr(strict, "reference_dir", lambda: None)  # an installed product: no Intuit files
    fallback = default_rules()
    assert fallback.accepted is not None and "CustomerAddRq" in fallback.accepted
    assert "CustomerAdd/Mobile" not in fallback.accepted["CustomerAddRq"]


# -- whole-message refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra", [[("Phone", "555-0100"), ("Mobile", "555-0101")], [("PrintAs", "Smith Co")], [("Pager", "5")]]
)
def test_an_element_not_in_quickbooks_desktop_refuses_the_whole_message(
    rules: QbdRules, extra: list[tuple[str, str]]
) -> None:
    company = company_with(rules)
    xml = message(customer("1", "Alpha"), customer("2", "Smith", *extra), on_error="continueOnError")
    if rules.schema is not None:  # the XSD (every edition) accepts it: only the QBD rule refuses it
        assert rules.schema.validate(etree.fromstring(xml.split("?>", 2)[-1].encode()))
    error = refused(company, xml)
    assert f"CustomerAdd/{extra[-1][0]}" in error.detail
    assert company.customers == []  # not even the good customer before it


def test_the_same_message_without_the_element_goes_through(rules: QbdRules) -> None:
    company = company_with(rules)
    xml = message(customer("1", "Alpha"), customer("2", "Smith", ("Phone", "555-0100")))
    assert [s[0] for s in statuses(company, xml)] == [0, 0]
    assert [c.name for c in company.customers] == ["Alpha", "Smith"]


def test_an_element_out_of_order_refuses_the_whole_message(rules: QbdRules) -> None:
    company = company_with(rules)
    wrong = rq("CustomerAddRq", "2", [("CustomerAdd", [("Phone", "555-0100"), ("Name", "Smith")])])
    refused(company, message(customer("1", "Alpha"), wrong, on_error="continueOnError"))
    assert company.customers == []


def test_a_message_without_a_qbxml_version_or_newer_than_13_is_refused(rules: QbdRules) -> None:
    company = company_with(rules)
    refused(company, message(customer("1", "Alpha"), version=None))
    refused(company, message(customer("1", "Alpha"), version="16.0"))
    refused(company, "<QBXML><QBXMLMsgsRq")  # not even XML


@pytest.mark.parametrize(
    ("request_xml", "since"),
    [
        (customer("1", "Smith", ("JobTitle", "Owner")), "12.0"),
        (
            rq(
                "InvoiceAddRq",
                "1",
                [
                    (
                        "InvoiceAdd",
                        [
                            ("CustomerRef", [("FullName", "Acme")]),
                            (
                                "InvoiceLineAdd",
                                [
                                    ("Desc", "Work"),
                                    ("Amount", "10.00"),
                                    ("OptionForPriceRuleConflict", "Zero"),
                                ],
                            ),
                        ],
                    )
                ],
            ),
            "13.0",
        ),
    ],
)
def test_an_element_newer_than_the_message_version_refuses_it(
    reference: QbdRules, request_xml: str, since: str
) -> None:
    major = int(since.split(".")[0])
    company = company_with(reference)
    company.add_list_element("Customer", "Acme")
    error = refused(company, message(request_xml, version=f"{major - 1}.0"))
    assert "newer than qbXML" in error.detail
    # The version that has it accepts the very same request.
    assert statuses(company, message(request_xml, version=since))[0][0] == 0


# -- one request refused: lengths -----------------------------------------------------------------


def test_a_name_too_long_fails_only_its_request_with_3070(rules: QbdRules) -> None:
    company = company_with(rules)
    long_name = "Bartholomew-Montgomery Construction & Sons"  # 42 characters
    assert len(long_name) == 42
    xml = message(
        customer("1", "Alpha"), customer("2", long_name), customer("3", "Omega"), on_error="continueOnError"
    )
    assert statuses(company, xml) == [
        (0, "Info", "Status OK"),
        (3070, "Error", f'The string "{long_name}" in the field "Name" is too long.'),
        (0, "Info", "Status OK"),
    ]
    assert [c.name for c in company.customers] == ["Alpha", "Omega"]
    assert len(company.log) == 1


def test_stop_on_error_stops_after_a_too_long_value(rules: QbdRules) -> None:
    company = company_with(rules)
    xml = message(customer("1", "Alpha"), customer("2", "x" * 42), customer("3", "Omega"))
    assert [s[0] for s in statuses(company, xml)] == [0, 3070]
    assert [c.name for c in company.customers] == ["Alpha"]


def test_the_longest_allowed_value_is_accepted_and_nested_fields_are_measured(rules: QbdRules) -> None:
    company = company_with(rules)
    assert statuses(company, message(customer("1", "y" * 41)))[0][0] == 0
    invoice = rq(
        "InvoiceAddRq",
        "2",
        [
            (
                "InvoiceAdd",
                [
                    ("CustomerRef", [("FullName", "y" * 41)]),
                    ("RefNumber", "123456789012"),
                    ("InvoiceLineAdd", [("Desc", "Work"), ("Amount", "10.00")]),
                ],
            )
        ],
    )
    assert statuses(company, message(invoice)) == [
        (3070, "Error", 'The string "123456789012" in the field "RefNumber" is too long.')
    ]
    assert company.invoices == []


# -- the Web Connector stand-in passes the request processor's failure on -----------------------


def test_the_web_connector_reports_the_hresult_and_an_empty_response(reference: QbdRules) -> None:
    company = company_with(reference)
    bad = message(customer("1", "Smith", ("Phone", "1"), ("Mobile", "2")))
    connector = WebConnector("http://localhost:1/qbwc", USER, PASSWORD, company)
    assert connector._ask_quickbooks(bad) == ("", PARSE_HRESULT, PARSE_MESSAGE)
    # Other failures keep today's answer: the processor hresult and what went wrong.
    company.lose_next_response()
    response, hresult, text = connector._ask_quickbooks(message(customer("2", "Jones")))
    assert (response, hresult) == ("", PARSE_HRESULT) and "lost" in text


@dataclass
class OneMessageEngine(FakeEngine):
    """Sends one fixed message; records what the server hears back."""

    request: str = ""

    def next_request(self, ticket: str, qbxml_version: str = "13.0", *, also: Any = None) -> str:
        self.calls.append(("next_request", ticket, qbxml_version))
        if self.sent >= self.batches:
            return ""
        self.sent += 1
        return self.request


@pytest.fixture
def one_message_server(db: Database) -> Iterator[tuple[EmbeddedServer, OneMessageEngine]]:
    set_password(db)
    engine = OneMessageEngine(batches=1)
    with EmbeddedServer(db, "localhost", 0, engine=engine) as running:
        yield running, engine


def test_over_http_receive_response_gets_the_hresult_and_nothing_runs(
    reference: QbdRules, one_message_server: tuple[EmbeddedServer, OneMessageEngine]
) -> None:
    server, engine = one_message_server
    engine.request = message(customer("1", "Alpha"), customer("2", "Smith", ("Phone", "1"), ("Mobile", "2")))
    company = company_with(reference)
    report = WebConnector(server.url, USER, PASSWORD, company, company_file=company.file_path).run_session()
    assert report.requests == [engine.request]
    failures = [c for c in engine.calls if c[0] == "fail_batch"]
    assert failures == [("fail_batch", report.ticket, PARSE_HRESULT, PARSE_MESSAGE)]
    assert "apply_response" not in engine.names()
    assert company.customers == []
    assert len(company.log) == 1  # only the Web Connector's HostQuery/CompanyQuery opening


# -- sales tax: a new company has no item; ItemSalesTaxAdd makes one ------------------------------


def _sales_tax_add(request_id: str, name: str, rate: str, vendor: str) -> str:
    return rq(
        "ItemSalesTaxAddRq",
        request_id,
        [
            (
                "ItemSalesTaxAdd",
                [
                    ("Name", name),
                    ("ItemDesc", f"{name} sales tax"),
                    ("TaxRate", rate),
                    ("TaxVendorRef", [("FullName", vendor)]),
                ],
            )
        ],
    )


def _taxed_invoice(request_id: str, tax_item: str) -> str:
    return rq(
        "InvoiceAddRq",
        request_id,
        [
            (
                "InvoiceAdd",
                [
                    ("CustomerRef", [("FullName", "Smith")]),
                    ("RefNumber", "1001"),
                    ("ItemSalesTaxRef", [("FullName", tax_item)]),
                    (
                        "InvoiceLineAdd",
                        [
                            ("Desc", "Deck boards"),
                            ("Amount", "200.00"),
                            ("SalesTaxCodeRef", [("FullName", "Tax")]),
                        ],
                    ),
                ],
            )
        ],
    )


def test_a_new_company_has_no_sales_tax_item_and_an_invoice_naming_one_gets_3140() -> None:
    company = QuickBooksCompany()
    assert not [i for i in company.items if i.kind == "ItemSalesTax"]
    assert {c.name for c in company.state.lists.values() if c.kind == "SalesTaxCode"} == {"Tax", "Non"}
    company.add_list_element("Customer", "Smith")
    ((code, severity, text),) = statuses(company, message(_taxed_invoice("1", "State Tax")))
    assert (code, severity) == (3140, "Error")
    assert "ItemSalesTax" in text and "State Tax" in text
    assert company.invoices == []


def test_item_sales_tax_add_then_query_and_an_invoice_taxed_at_its_rate(qbxml13: QbxmlSchema) -> None:
    company = QuickBooksCompany(validator=qbxml13)  # every answer valid qbXML 13.0
    company.add_list_element("Vendor", "Colorado Dept of Revenue")
    company.add_list_element("Customer", "Smith")
    results = parse_response(
        company.process(message(_sales_tax_add("1", "Denver Tax", "8.81", "Colorado Dept of Revenue")))
    )
    added = results["1"].record
    assert added is not None and added.kind == "ItemSalesTaxRet"
    assert (added.name, added.get("TaxRate"), added.get("ItemDesc")) == (
        "Denver Tax",
        "8.81",
        "Denver Tax sales tax",
    )
    assert added.get("TaxVendorRef/FullName") == "Colorado Dept of Revenue"
    query = rq("ItemSalesTaxQueryRq", "2", [("FullName", "denver tax")])
    (found,) = parse_response(company.process(message(query)))["2"].records
    assert (found.name, found.get("TaxRate")) == ("Denver Tax", "8.81")
    invoice = parse_response(company.process(message(_taxed_invoice("3", "Denver Tax"))))["3"].record
    assert invoice is not None
    assert invoice.get("ItemSalesTaxRef/FullName") == "Denver Tax"
    assert invoice.decimal("SalesTaxPercentage") == Decimal("8.81")
    assert invoice.decimal("SalesTaxTotal") == Decimal("17.62")  # 200.00 × 8.81 %
    # Items share one name space; a name over 31 characters is QuickBooks' 3070.
    again = statuses(company, message(_sales_tax_add("4", "DENVER TAX", "1", "Colorado Dept of Revenue")))
    assert again[0][0] == 3100
    long = statuses(company, message(_sales_tax_add("5", "z" * 32, "1", "Colorado Dept of Revenue")))
    assert long[0][:2] == (3070, "Error")


def test_older_tests_can_still_have_the_state_tax_item() -> None:
    company = QuickBooksCompany()
    item = add_sales_tax_item(company)
    assert (item.name, item.data["TaxRate"]) == ("State Tax", "8.25")
    assert company.find_list("Vendor", "State Board of Equalization") is not None
