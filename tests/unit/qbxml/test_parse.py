"""Parsing response messages shaped like the SDK's annotated samples."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml import Answers, Record, Status, iter_response, parse, parse_response
from tests.qbxml_schema import QbxmlSchema

RESPONSE = """<?xml version="1.0" ?>
<QBXML>
<QBXMLMsgsRs>
<CustomerAddRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
  <CustomerRet>
    <ListID>80000001-1704186104</ListID>
    <TimeCreated>2024-01-02T09:01:44-08:00</TimeCreated>
    <TimeModified>2024-01-02T09:01:44-08:00</TimeModified>
    <EditSequence>1704186104</EditSequence>
    <Name>Kitchen</Name>
    <FullName>Smith &amp; Sons:Kitchen</FullName>
    <IsActive>true</IsActive>
    <ParentRef><ListID>80000000-1</ListID><FullName>Smith &amp; Sons</FullName></ParentRef>
    <Sublevel>1</Sublevel>
    <BillAddress><Addr1>1 Main</Addr1><City>Austin</City></BillAddress>
    <Balance>0.00</Balance>
    <TotalBalance>0.00</TotalBalance>
    <JobStatus>InProgress</JobStatus>
  </CustomerRet>
</CustomerAddRs>
<CustomerAddRs requestID="2" statusCode="3100" statusSeverity="Error"
  statusMessage="The name &quot;Smith&quot; of the list element is already in use." />
<InvoiceQueryRs requestID="3" statusCode="0" statusSeverity="Info" statusMessage="Status OK"
  retCount="1" iteratorRemainingCount="41" iteratorID="{e1b2-77}">
  <InvoiceRet>
    <TxnID>1A-1704186106</TxnID>
    <EditSequence>1704186106</EditSequence>
    <TxnNumber>1</TxnNumber>
    <CustomerRef><ListID>80000001-1704186104</ListID>
      <FullName>Smith &amp; Sons:Kitchen</FullName></CustomerRef>
    <TxnDate>2024-01-02</TxnDate>
    <RefNumber>1001</RefNumber>
    <Subtotal>237.50</Subtotal>
    <SalesTaxPercentage>8.25</SalesTaxPercentage>
    <SalesTaxTotal>3.51</SalesTaxTotal>
    <AppliedAmount>-50.00</AppliedAmount>
    <BalanceRemaining>191.01</BalanceRemaining>
    <IsPaid>false</IsPaid>
    <LinkedTxn><TxnID>1B-1</TxnID><TxnType>ReceivePayment</TxnType><TxnDate>2024-01-02</TxnDate>
      <LinkType>AMTTYPE</LinkType><Amount>-50.00</Amount></LinkedTxn>
    <InvoiceLineRet><TxnLineID>1C-1</TxnLineID><ItemRef><FullName>Lumber</FullName></ItemRef>
      <Quantity>10</Quantity><Rate>4.25</Rate><Amount>42.50</Amount></InvoiceLineRet>
    <InvoiceLineRet><TxnLineID>1D-1</TxnLineID><Desc>Labor &lt;3h&gt;</Desc>
      <Amount>195.00</Amount></InvoiceLineRet>
  </InvoiceRet>
</InvoiceQueryRs>
<CustomerQueryRs requestID="4" statusCode="1" statusSeverity="Info"
  statusMessage="A query request did not find a matching object in QuickBooks" />
<TxnVoidRs requestID="5" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
  <TxnVoidType>Invoice</TxnVoidType><TxnID>1A-1704186106</TxnID><RefNumber>1001</RefNumber>
</TxnVoidRs>
<ReceivePaymentModRs requestID="6" statusCode="3200" statusSeverity="Error"
  statusMessage="The provided edit sequence &quot;1&quot; is out-of-date." />
<HostQueryRs requestID="7" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
  <HostRet><ProductName>QuickBooks Pro 2024</ProductName><MajorVersion>34</MajorVersion>
    <MinorVersion>0</MinorVersion><SupportedQBXMLVersion>12.0</SupportedQBXMLVersion>
    <SupportedQBXMLVersion>13.0</SupportedQBXMLVersion></HostRet>
</HostQueryRs>
</QBXMLMsgsRs>
</QBXML>
"""


def test_the_sample_response_is_itself_valid_qbxml(qbxml13: QbxmlSchema) -> None:
    qbxml13.validate(RESPONSE)


def test_one_result_per_request_id_in_order() -> None:
    results = parse_response(RESPONSE)
    assert list(results) == ["1", "2", "3", "4", "5", "6", "7"]


def test_add_response_record() -> None:
    customer = parse_response(RESPONSE)["1"].record
    assert customer is not None
    assert customer.kind == "CustomerRet"
    assert customer.list_id == "80000001-1704186104"
    assert customer.edit_sequence == "1704186104"
    assert customer.name == "Kitchen"
    assert customer.full_name == "Smith & Sons:Kitchen"
    assert customer.get("ParentRef/FullName") == "Smith & Sons"
    assert customer.get("BillAddress/City") == "Austin"
    assert customer.is_active is True
    assert customer.decimal("Balance") == Decimal("0.00")


def test_error_status() -> None:
    result = parse_response(RESPONSE)["2"]
    assert result.status.status_code == 3100
    assert result.status.is_error and not result.status.ok
    assert result.status.status_message == 'The name "Smith" of the list element is already in use.'
    assert result.records == () and result.record is None
    assert parse_response(RESPONSE)["6"].status.status_code == 3200


def test_no_match_is_info_not_error() -> None:
    status = parse_response(RESPONSE)["4"].status
    assert status.no_match and status.ok and not status.is_error


def test_iterator_and_transaction_fields() -> None:
    result = parse_response(RESPONSE)["3"]
    assert result.status.iterator_id == "{e1b2-77}"
    assert result.status.iterator_remaining_count == 41
    assert result.status.ret_count == 1
    invoice = result.records[0]
    assert invoice.txn_id == "1A-1704186106"
    assert invoice.ref_number == "1001"
    assert invoice.balance_remaining == Decimal("191.01")
    assert invoice.subtotal == Decimal("237.50")
    assert invoice.flag("IsPaid") is False
    lines = invoice.lines("InvoiceLineRet")
    assert [line.get("TxnLineID") for line in lines] == ["1C-1", "1D-1"]
    assert lines[1].get("Desc") == "Labor <3h>"
    assert invoice.lines("LinkedTxn")[0].decimal("Amount") == Decimal("-50.00")


def test_void_response_fields_become_a_record() -> None:
    record = parse_response(RESPONSE)["5"].record
    assert record is not None and record.kind == "TxnVoidRet"
    assert record.txn_id == "1A-1704186106" and record.ref_number == "1001"


def test_repeated_leaves_are_all_kept() -> None:
    host = parse_response(RESPONSE)["7"].record
    assert host is not None
    assert host.get_all("SupportedQBXMLVersion") == ("12.0", "13.0")


def test_streaming_yields_status_before_its_records() -> None:
    items = list(iter_response(io.BytesIO(RESPONSE.encode())))
    kinds = [(type(i).__name__, i.rs_type if isinstance(i, Status) else i.kind) for i in items]
    assert kinds[:3] == [("Status", "CustomerAddRs"), ("Record", "CustomerRet"), ("Status", "CustomerAddRs")]
    assert all(isinstance(i, Status | Record) for i in items)


MALFORMED = [
    "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1'/></QBXMLMsgsRs></QBXML>",
    "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1' statusCode='x' statusSeverity='Info'/>"
    "</QBXMLMsgsRs></QBXML>",
    "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1' statusCode='0' statusSeverity='Info' retCount='a'/>"
    "</QBXMLMsgsRs></QBXML>",
    "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1' statusCode='0' statusSeverity='Info'>",
    "<QBXML><QBXMLMsgsRs><A requestID='1' statusCode='0' statusSeverity='Info'/>"
    "<A requestID='1' statusCode='0' statusSeverity='Info'/></QBXMLMsgsRs></QBXML>",
    "",
    "<QBXML>&undefined;</QBXML>",
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_responses_raise_qbxml_error(body: str) -> None:
    with pytest.raises(QbxmlError):
        parse_response(body)


@pytest.mark.parametrize("body", MALFORMED)
def test_answers_read_statuses_first_raise_every_error_at_once(body: str) -> None:
    with pytest.raises(QbxmlError):
        Answers(body)


@pytest.mark.parametrize(
    "body",
    [RESPONSE, re.sub(r">\s+<", "><", RESPONSE), "<QBXML><QBXMLMsgsRs/></QBXML>"],
    ids=["sample", "no white space", "empty"],
)
def test_answers_read_statuses_first_are_what_parse_response_reads(body: str) -> None:
    answers = Answers(body)
    expected = parse_response(body)
    assert list(answers) == list(expected) and len(answers) == len(expected)
    assert all(request_id in answers for request_id in expected) and "nope" not in answers
    assert dict(answers) == expected
    # A stream is read whole at once, with the same results.
    assert dict(Answers(io.BytesIO(body.encode()))) == expected


def test_answers_read_records_only_when_a_result_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = parse_response(RESPONSE)
    read: list[str] = []
    real = parse._records_of

    def counted(answer: Any, status: Status) -> list[Record]:
        read.append(status.request_id)
        return real(answer, status)

    monkeypatch.setattr(parse, "_records_of", counted)
    answers = Answers(RESPONSE)
    assert len(answers) == 7 and list(answers) == list(expected) and "3" in answers
    assert read == []  # how many answers, and for which requests: statuses only
    assert answers["1"] == expected["1"]
    assert read == ["1", "2", "3", "4", "5", "6", "7"]  # every record, once
    dict(answers)
    assert len(read) == 7


@pytest.mark.parametrize("body", [RESPONSE, re.sub(r">\s+<", "><", RESPONSE)])
def test_a_message_parsed_whole_gives_what_streaming_gives(body: str) -> None:
    whole = parse_response(body)  # a str of a few KB is parsed whole
    streamed = parse_response(io.BytesIO(body.encode()))  # a stream is read event by event
    assert list(whole) == list(streamed) == ["1", "2", "3", "4", "5", "6", "7"]
    assert whole == streamed


@pytest.mark.parametrize(
    "body",
    [
        "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1'/></QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID='1' statusCode='0' statusSeverity='Info'>",
        "<QBXMLX><QBXMLMsgsRs/></QBXMLX>",
        "  ",
    ],
)
def test_malformed_streams_raise_qbxml_error_too(body: str) -> None:
    with pytest.raises(QbxmlError):
        parse_response(io.BytesIO(body.encode()))
