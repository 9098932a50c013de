"""Credit memo requests: CreditMemoAdd / Query, voiding one, applying one through SetCredit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from desktop_app.errors import QbxmlError, QbxmlLimitError
from qbwc_server import qbxml as q
from qbwc_server.qbxml import preflight
from qbwc_server.qbxml.qbd_table import ACCEPTED
from qbwc_server.simulator.reference_rules import QbdRules
from tests.qbxml_schema import QbxmlSchema, reference_rules

D = Decimal


def _credit(**changes: object) -> q.CreditMemoFields:
    values: dict[str, object] = {
        "customer": q.Ref.by_name("Kim, Hiro:1007 Kitchen remodel"),
        "txn_date": date(2026, 3, 5),
        "ref_number": "CM-1001",
        "item_sales_tax": q.Ref.by_name("State Tax"),
        "memo": "Warranty: replaced faucet",
        "is_to_be_printed": False,
        "lines": (
            q.InvoiceLineFields(
                item=q.Ref.by_name("Labor"),
                description="Labor",
                quantity=D("2"),
                rate=D("85"),
                amount=D("170.00"),
                sales_tax_code=q.Ref.by_name("Non"),
            ),
            q.InvoiceLineFields(
                item=q.Ref.by_name("Paint"),
                description="Paint",
                amount=D("40.00"),
                sales_tax_code=q.Ref.by_name("Tax"),
            ),
        ),
    }
    values.update(changes)
    return q.CreditMemoFields(**values)  # type: ignore[arg-type]


def _application() -> q.CreditApplicationFields:
    return q.CreditApplicationFields(
        customer=q.Ref.by_name("Kim, Hiro:1007 Kitchen remodel"),
        txn_date=date(2026, 3, 6),
        memo="Credit CM-1001 applied [JobDesk]",
        applications=(
            q.CreditToInvoice("1-1", (q.AppliedCredit("9-1", D("200.00")),)),
            q.CreditToInvoice("2-1", (q.AppliedCredit("9-1", D("13.30")),)),
        ),
    )


def _requests() -> list[q.Request]:
    return [
        q.credit_memo_add("1", _credit()),
        q.credit_memo_query("2", ref_numbers=["CM-1001"]),
        q.credit_memo_query("3", txn_ids=["9-1"], include_line_items=True, include_linked_txns=True),
        q.credit_memo_void("4", "9-1"),
        q.credit_application_add("5", _application()),
        q.credit_application_mod("6", "77-1", "1712", _application()),
        q.credit_memo_mod("7", "9-1", "1700", _credit()),
        q.credit_memo_mod("8", "9-1", "1700", _credit(memo="", item_sales_tax=None)),
    ]


def test_every_credit_request_passes_the_preflight_check_and_intuits_xsd(qbxml13: QbxmlSchema) -> None:
    requests = _requests()
    for request in requests:
        preflight.check(request)
    qbxml13.validate(q.build_message(requests))


def test_the_product_table_holds_credit_memos_as_intuits_samples_say() -> None:
    rules: QbdRules = reference_rules()
    add = ACCEPTED["CreditMemoAddRq"]
    assert add["CreditMemoAdd/RefNumber"] == 11 and add["CreditMemoAdd/Memo"] == 4095
    # Elements the samples mark "not in QBD" are never in our table.
    assert "CreditMemoAdd/IsTaxIncluded" not in add and "CreditMemoAdd/CreditMemoLineAdd/IsTaxable" not in add
    assert "CreditMemoAdd/IsTaxIncluded" in rules.not_in_qbd["CreditMemoAddRq"]
    payment = ACCEPTED["ReceivePaymentAddRq"]
    assert "ReceivePaymentAdd/AppliedToTxnAdd/SetCredit/CreditTxnID" in payment
    assert "ReceivePaymentAdd/AppliedToTxnAdd/SetCredit/AppliedAmount" in payment
    assert "ReceivePaymentAdd/AppliedToTxnAdd/SetCredit/TxnLineID" not in payment
    assert "ReceivePaymentAdd/AppliedToTxnAdd/SetCredit/TxnLineID" in rules.not_in_qbd["ReceivePaymentAddRq"]


def test_credit_memo_add_carries_the_header_then_the_lines_in_order() -> None:
    body = q.credit_memo_add("1", _credit())[0]
    assert [child.tag for child in body] == [
        "CustomerRef",
        "TxnDate",
        "RefNumber",
        "ItemSalesTaxRef",
        "Memo",
        "IsToBePrinted",
        "CreditMemoLineAdd",
        "CreditMemoLineAdd",
    ]
    first = body.find("CreditMemoLineAdd")
    assert first is not None
    assert [c.tag for c in first] == ["ItemRef", "Desc", "Quantity", "Rate", "Amount", "SalesTaxCodeRef"]
    assert first.findtext("Rate") == "85" and first.findtext("Amount") == "170.00"


def test_applying_a_credit_is_a_zero_payment_with_set_credit() -> None:
    body = q.credit_application_add("5", _application())[0]
    assert body.findtext("TotalAmount") == "0.00"
    applied = body.findall("AppliedToTxnAdd")
    assert [a.findtext("TxnID") for a in applied] == ["1-1", "2-1"]
    assert [a.findtext("PaymentAmount") for a in applied] == ["0.00", "0.00"]
    assert [
        (a.findtext("SetCredit/CreditTxnID"), a.findtext("SetCredit/AppliedAmount")) for a in applied
    ] == [
        ("9-1", "200.00"),
        ("9-1", "13.30"),
    ]
    assert body.find("IsAutoApply") is None


def test_bad_credit_requests_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(QbxmlLimitError, match="at least one line"):
        q.credit_memo_add("1", _credit(lines=()))
    with pytest.raises(QbxmlLimitError, match="RefNumber"):
        q.credit_memo_add("1", _credit(ref_number="CM-123456789"))
    with pytest.raises(QbxmlLimitError, match="over 0"):
        q.credit_application_add(
            "1",
            q.CreditApplicationFields(
                customer=q.Ref.by_name("Kim, Hiro"),
                applications=(q.CreditToInvoice("1-1", (q.AppliedCredit("9-1", D("0")),)),),
            ),
        )
    with pytest.raises(QbxmlLimitError, match="each invoice"):
        q.credit_application_add(
            "1", q.CreditApplicationFields(customer=q.Ref.by_name("Kim, Hiro"), applications=())
        )
    with pytest.raises(ValueError, match="one of them"):
        q.credit_memo_query("1")
    void = q.credit_memo_void("4", "9-1")
    assert (void.findtext("TxnVoidType"), void.findtext("TxnID")) == ("CreditMemo", "9-1")


RET = """<?xml version="1.0" ?>
<QBXML><QBXMLMsgsRs>
<CreditMemoAddRs requestID="7" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
<CreditMemoRet><TxnID>9-1</TxnID><TimeCreated>2026-03-05T09:00:00-08:00</TimeCreated>
<TimeModified>2026-03-05T09:00:00-08:00</TimeModified><EditSequence>1700</EditSequence><TxnNumber>12</TxnNumber>
<CustomerRef><ListID>80000005-1</ListID><FullName>Kim, Hiro:1007 Kitchen remodel</FullName></CustomerRef>
<TxnDate>2026-03-05</TxnDate><RefNumber>CM-1001</RefNumber><Subtotal>210.00</Subtotal>
<SalesTaxPercentage>8.25</SalesTaxPercentage><SalesTaxTotal>3.30</SalesTaxTotal><TotalAmount>213.30</TotalAmount>
<CreditRemaining>13.30</CreditRemaining>
<CreditMemoLineRet><TxnLineID>A-1</TxnLineID><ItemRef><ListID>8-1</ListID><FullName>Labor</FullName></ItemRef>
<Desc>Labor</Desc><Amount>170.00</Amount><SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef></CreditMemoLineRet>
<CreditMemoLineRet><TxnLineID>A-2</TxnLineID><Desc>Paint</Desc><Amount>40.00</Amount></CreditMemoLineRet>
</CreditMemoRet></CreditMemoAddRs></QBXMLMsgsRs></QBXML>"""


def test_a_credit_memo_ret_reads_into_typed_values() -> None:
    record = q.parse_response(RET)["7"].record
    assert record is not None
    credit = q.read_credit_memo(record)
    assert (credit.txn_id, credit.edit_sequence, credit.ref_number) == ("9-1", "1700", "CM-1001")
    assert credit.customer_list_id == "80000005-1"
    assert (credit.subtotal, credit.sales_tax_total, credit.total, credit.credit_remaining) == (
        D("210.00"),
        D("3.30"),
        D("213.30"),
        D("13.30"),
    )
    assert [(line.txn_line_id, line.item_full_name, line.amount) for line in credit.lines] == [
        ("A-1", "Labor", D("170.00")),
        ("A-2", None, D("40.00")),
    ]


def test_a_credit_memo_ret_without_its_txn_id_is_not_trusted() -> None:
    broken = etree.fromstring("<CreditMemoRet><EditSequence>1</EditSequence></CreditMemoRet>")
    with pytest.raises(QbxmlError, match="TxnID"):
        q.read_credit_memo(q.to_record(broken))
    with pytest.raises(QbxmlError, match="Expected a CreditMemoRet"):
        q.read_credit_memo(q.to_record(etree.fromstring("<InvoiceRet><TxnID>1</TxnID></InvoiceRet>")))


def test_changing_an_applied_credit_is_a_payment_mod_listing_all_it_applies_now() -> None:
    request = q.credit_application_mod("7", "77-1", "1712", _application())
    assert request.tag == "ReceivePaymentModRq"
    mod = request.find("ReceivePaymentMod")
    assert mod is not None
    assert [child.tag for child in mod] == [
        "TxnID",
        "EditSequence",
        "Memo",
        "AppliedToTxnMod",
        "AppliedToTxnMod",
    ]
    applied = [
        (a.findtext("TxnID"), a.findtext("PaymentAmount"), a.findtext("SetCredit/AppliedAmount"))
        for a in mod.findall("AppliedToTxnMod")
    ]
    assert applied == [("1-1", "0.00", "200.00"), ("2-1", "0.00", "13.30")]
    # Applied to nothing any more is a delete of the payment, never an empty Mod.
    empty = q.CreditApplicationFields(customer=q.Ref.by_name("Kim, Hiro"), applications=())
    with pytest.raises(QbxmlLimitError):
        q.credit_application_mod("8", "77-1", "1712", empty)


def test_credit_memo_mod_sends_the_whole_credit_memo_with_every_line_new() -> None:
    request = q.credit_memo_mod("7", "9-1", "1700", _credit())
    assert request.tag == "CreditMemoModRq"
    (mod,) = request
    assert mod.tag == "CreditMemoMod"
    # Intuit's order: TxnID and EditSequence, then the header as in the Add, then the lines.
    assert [child.tag for child in mod] == [
        "TxnID",
        "EditSequence",
        "CustomerRef",
        "TxnDate",
        "RefNumber",
        "ItemSalesTaxRef",
        "Memo",
        "IsToBePrinted",
        "CreditMemoLineMod",
        "CreditMemoLineMod",
    ]
    assert (mod.findtext("TxnID"), mod.findtext("EditSequence")) == ("9-1", "1700")
    lines = mod.findall("CreditMemoLineMod")
    # Every line is new (TxnLineID -1): QuickBooks deletes the lines not listed, so these replace all.
    assert [line.findtext("TxnLineID") for line in lines] == ["-1", "-1"]
    assert [c.tag for c in lines[0]] == [
        "TxnLineID",
        "ItemRef",
        "Desc",
        "Quantity",
        "Rate",
        "Amount",
        "SalesTaxCodeRef",
    ]
    assert lines[1].findtext("Amount") == "40.00" and lines[1].find("Rate") is None
    # A line that names its TxnLineID keeps it.
    kept = _credit(
        lines=(q.InvoiceLineFields(item=q.Ref.by_name("Labor"), amount=D("1"), txn_line_id="A-1"),)
    )
    assert q.credit_memo_mod("7", "9-1", "1700", kept)[0].findtext("CreditMemoLineMod/TxnLineID") == "A-1"
    # A memo of "" goes empty (clears QuickBooks' memo); None leaves it out (QuickBooks keeps its own).
    cleared = q.credit_memo_mod("7", "9-1", "1700", _credit(memo=""))[0].find("Memo")
    assert cleared is not None and not cleared.text
    assert q.credit_memo_mod("7", "9-1", "1700", _credit(memo=None))[0].find("Memo") is None


def test_credit_memo_mod_is_checked_like_the_add() -> None:
    mod = ACCEPTED["CreditMemoModRq"]
    assert mod["CreditMemoMod/EditSequence"] == 16 and mod["CreditMemoMod/RefNumber"] == 11
    assert "CreditMemoMod/IsTaxIncluded" not in mod
    assert "CreditMemoMod/CreditMemoLineMod/TaxAmount" not in mod
    with pytest.raises(QbxmlLimitError, match="at least one line"):
        q.credit_memo_mod("1", "9-1", "1700", _credit(lines=()))
    with pytest.raises(QbxmlLimitError, match="RefNumber"):
        q.credit_memo_mod("1", "9-1", "1700", _credit(ref_number="CM-123456789"))
    with pytest.raises(QbxmlLimitError, match="EditSequence"):
        q.credit_memo_mod("1", "9-1", "1" * 17, _credit())
