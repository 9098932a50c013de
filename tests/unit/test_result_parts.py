"""Each item keeps its own part of a message's answer (``answers.result_xml``).

The parts are looked for from where the last one ended (a message's answer is not read from
its start for every request), and from the start when not found after it.
"""

from __future__ import annotations

from qbwc_server.sync.answers import result_xml

ANSWER = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
    '<CustomerAddRs requestID="1-1" statusCode="0"><CustomerRet><Name>A</Name></CustomerRet></CustomerAddRs>'
    '<InvoiceQueryRs requestID="2-1" statusCode="1" statusMessage="none"/>'
    '<CustomerAddRs requestID="3-1" statusCode="0"><CustomerRet><Name>C</Name></CustomerRet></CustomerAddRs>'
    "</QBXMLMsgsRs></QBXML>"
)


def test_each_part_is_found_in_turn_and_ends_where_the_next_is_looked_for() -> None:
    first, after_first = result_xml(ANSWER, "1-1", 3)
    assert first == (
        '<CustomerAddRs requestID="1-1" statusCode="0">'
        "<CustomerRet><Name>A</Name></CustomerRet></CustomerAddRs>"
    )
    assert ANSWER[:after_first].endswith(first)
    second, after_second = result_xml(ANSWER, "2-1", 3, after_first)
    assert second == '<InvoiceQueryRs requestID="2-1" statusCode="1" statusMessage="none"/>'
    third, _ = result_xml(ANSWER, "3-1", 3, after_second)
    assert "<Name>C</Name>" in third and third.startswith('<CustomerAddRs requestID="3-1"')


def test_a_part_before_where_the_last_ended_is_found_from_the_start() -> None:
    """A lookup shared by several items: each of them gets the same part."""
    _, at_end = result_xml(ANSWER, "3-1", 3)
    again, _ = result_xml(ANSWER, "1-1", 3, at_end)
    assert again.startswith('<CustomerAddRs requestID="1-1"') and "<Name>A</Name>" in again


def test_an_answer_of_one_request_is_the_whole_answer_and_a_missing_one_is_empty() -> None:
    assert result_xml(ANSWER, "1-1", 1) == (ANSWER, 0)
    assert result_xml(ANSWER, "9-9", 3, 42) == ("", 42)


def test_the_same_text_inside_a_field_is_not_taken_for_a_request() -> None:
    """Quotes need no escaping in XML text: a memo may read like an attribute."""
    answer = (
        "<QBXML><QBXMLMsgsRs>"
        '<CustomerQueryRs requestID="1-1" statusCode="0"><CustomerRet><Name>A</Name></CustomerRet>'
        "</CustomerQueryRs>"
        '<InvoiceAddRs requestID="2-1" statusCode="0"><InvoiceRet><Memo>see requestID="1-1"</Memo>'
        "</InvoiceRet></InvoiceAddRs></QBXMLMsgsRs></QBXML>"
    )
    first, after = result_xml(answer, "1-1", 2)
    assert first.startswith('<CustomerQueryRs requestID="1-1"') and "<Name>A</Name>" in first
    # A second item of the same (grouped) lookup: looked for after the first, found at the start.
    assert result_xml(answer, "1-1", 2, after)[0] == first
    memo_first = answer.replace("<Name>A</Name>", '<Name>requestID="2-1"</Name>')
    second, _ = result_xml(memo_first, "2-1", 2)
    assert second.startswith('<InvoiceAddRs requestID="2-1"')
