"""Message-level behaviour: iterators, onError, injected locks, lost responses, persistence, seeding."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml import (
    AppliedPayment,
    CustomerFields,
    InvoiceFields,
    InvoiceLineFields,
    PaymentFields,
    Record,
    Ref,
    build_message,
    customer_add,
    customer_mod,
    host_query,
    invoice_add,
    list_query,
    receive_payment_add,
    txn_query,
)
from qbwc_server.simulator import QuickBooksCompany, RequestProcessorError, ResponseLostError, seed_company
from tests.integration.simulator.helpers import one, record, run
from tests.qbxml_schema import QbxmlSchema


def _page_through(company: QuickBooksCompany, tag: str, size: int) -> list[Record]:
    first = one(company, list_query(tag, "s", max_returned=size, iterator="Start"))  # type: ignore[arg-type]
    records = list(first.records)
    status = first.status
    while status.iterator_remaining_count:
        assert status.iterator_id
        page = one(
            company,
            list_query(
                tag,
                "c",
                max_returned=size,
                iterator="Continue",  # type: ignore[arg-type]
                iterator_id=status.iterator_id,
            ),
        )
        assert len(page.records) <= size
        records += page.records
        status = page.status
    return records


def test_iterator_start_continue_and_remaining_count(company: QuickBooksCompany) -> None:
    for number in range(7):
        record(company, customer_add(str(number), CustomerFields(name=f"Customer {number}")))
    first = one(company, list_query("CustomerQueryRq", "s", max_returned=3, iterator="Start"))
    assert first.status.iterator_remaining_count == 4 and len(first.records) == 3
    assert first.status.iterator_id
    second = one(
        company,
        list_query(
            "CustomerQueryRq", "c", max_returned=3, iterator="Continue", iterator_id=first.status.iterator_id
        ),
    )
    assert second.status.iterator_remaining_count == 1
    assert second.status.iterator_id == first.status.iterator_id
    last = one(
        company,
        list_query(
            "CustomerQueryRq", "c2", max_returned=3, iterator="Continue", iterator_id=first.status.iterator_id
        ),
    )
    assert last.status.iterator_remaining_count == 0
    names = [r.name for r in (*first.records, *second.records, *last.records)]
    assert names == [f"Customer {n}" for n in range(7)]


def test_unknown_iterator_gets_3391(company: QuickBooksCompany) -> None:
    result = one(
        company,
        list_query(
            "CustomerQueryRq",
            "c",
            max_returned=3,
            iterator="Continue",
            iterator_id="{00000000-dead-beef-0000-000000000000}",
        ),
    )
    assert result.status.status_code == 3391 and result.status.is_error


def test_iterator_is_refused_where_the_schema_has_none(company: QuickBooksCompany) -> None:
    message = build_message([list_query("StandardTermsQueryRq", "1", max_returned=2)])
    hacked = message.replace(
        '<StandardTermsQueryRq requestID="1">', '<StandardTermsQueryRq requestID="1" iterator="Start">'
    )
    # The schema refuses it, so QuickBooks refuses the whole message: nothing answered.
    with pytest.raises(RequestProcessorError, match="attribute 'iterator' is not allowed"):
        company.process(hacked)
    assert company.log == []


def test_invoice_iterator_over_transactions(company: QuickBooksCompany) -> None:
    record(company, customer_add("c", CustomerFields(name="Smith")))
    for number in range(5):
        record(
            company,
            invoice_add(
                str(number),
                InvoiceFields(
                    customer=Ref.by_name("Smith"),
                    ref_number=str(100 + number),
                    lines=(InvoiceLineFields(description="Work", amount=Decimal(number + 1)),),
                ),
            ),
        )
    start = one(company, txn_query("InvoiceQueryRq", "s", max_returned=2, iterator="Start"))
    assert start.status.iterator_remaining_count == 3
    refs = [r.ref_number for r in start.records]
    while start.status.iterator_remaining_count:
        start = one(
            company,
            txn_query(
                "InvoiceQueryRq",
                "c",
                max_returned=2,
                iterator="Continue",
                iterator_id=start.status.iterator_id,
            ),
        )
        refs += [r.ref_number for r in start.records]
    assert refs == ["100", "101", "102", "103", "104"]


def test_stop_on_error_skips_the_rest(company: QuickBooksCompany) -> None:
    results = run(
        company,
        customer_add("1", CustomerFields(name="Smith")),
        customer_add("2", CustomerFields(name="smith")),
        customer_add("3", CustomerFields(name="Jones")),
    )
    assert list(results) == ["1", "2"]
    assert results["2"].status.status_code == 3100
    assert [c.name for c in company.customers] == ["Smith"]


def test_continue_on_error_runs_the_rest(company: QuickBooksCompany) -> None:
    results = run(
        company,
        customer_add("1", CustomerFields(name="Smith")),
        customer_add("2", CustomerFields(name="smith")),
        customer_add("3", CustomerFields(name="Jones")),
        on_error="continueOnError",
    )
    assert [r.status.status_code for r in results.values()] == [0, 3100, 0]
    assert [c.name for c in company.customers] == ["Jones", "Smith"]


@pytest.mark.parametrize("code", [3170, 3175, 3176, 3180])
def test_injected_lock_for_next_request(company: QuickBooksCompany, code: int) -> None:
    company.inject_lock(code)
    locked = one(company, customer_add("1", CustomerFields(name="Smith")))
    assert locked.status.status_code == code and locked.status.is_error
    assert company.customers == []
    assert one(company, customer_add("2", CustomerFields(name="Smith"))).status.status_code == 0


def test_injected_lock_on_one_record_spares_others_and_reads(company: QuickBooksCompany) -> None:
    smith = record(company, customer_add("1", CustomerFields(name="Smith")))
    assert smith.list_id and smith.edit_sequence
    company.inject_lock(3175, ref=smith.list_id, requests=2)
    assert one(company, customer_add("2", CustomerFields(name="Jones"))).status.status_code == 0
    assert one(company, list_query("CustomerQueryRq", "3", list_ids=[smith.list_id])).status.status_code == 0
    mod = customer_mod("4", smith.list_id, smith.edit_sequence, CustomerFields(name="", phone="1"))
    assert one(company, mod).status.status_code == 3175
    assert (
        one(
            company, customer_mod("5", smith.list_id, smith.edit_sequence, CustomerFields(name="", phone="1"))
        ).status.status_code
        == 3175
    )
    assert (
        one(
            company, customer_mod("6", smith.list_id, smith.edit_sequence, CustomerFields(name="", phone="1"))
        ).status.status_code
        == 0
    )


def test_lost_response_does_the_work_but_answers_nothing(company: QuickBooksCompany) -> None:
    company.lose_next_response()
    with pytest.raises(ResponseLostError):
        company.process(build_message([customer_add("1", CustomerFields(name="Smith"))]))
    assert [c.name for c in company.customers] == ["Smith"]
    retry = one(company, customer_add("2", CustomerFields(name="Smith")))
    assert retry.status.status_code == 3100  # why the engine must look before it re-adds


def test_requests_and_responses_are_logged_and_validated(
    company: QuickBooksCompany, qbxml13: QbxmlSchema
) -> None:
    run(company, host_query("1"))
    request, response = company.log[-1]
    qbxml13.validate(request)
    qbxml13.validate(response)
    bogus = "<QBXML><QBXMLMsgsRq onError='stopOnError'><Bogus/></QBXMLMsgsRq></QBXML>"
    with pytest.raises(RequestProcessorError):  # the strict request processor refuses it whole
        company.process(bogus)
    lenient = QuickBooksCompany(validator=qbxml13, rules=None)  # without rules, the validator is the guard
    with pytest.raises(AssertionError):
        lenient.process(bogus)
    assert len(company.log) == 1


def test_hostile_request_is_refused(qbxml13: QbxmlSchema) -> None:
    company = QuickBooksCompany()  # no validator: the hardened parser is the guard
    with pytest.raises(QbxmlError):
        company.process('<!DOCTYPE x [<!ENTITY a "b">]><QBXML/>')


def test_save_and_load_round_trip(company: QuickBooksCompany, tmp_path: Path, qbxml13: QbxmlSchema) -> None:
    seed_company(company, customers=5, jobs=3, seed=7)
    record(
        company,
        invoice_add(
            "i",
            InvoiceFields(
                customer=Ref.by_name(company.customers[0].name),
                ref_number="1001",
                lines=(InvoiceLineFields(item=Ref.by_name("Lumber"), quantity=Decimal("3.33333")),),
            ),
        ),
    )
    invoice = company.invoices[0]
    record(
        company,
        receive_payment_add(
            "p",
            PaymentFields(
                customer=Ref.by_id(invoice.customer_id),
                total_amount=Decimal("0.10"),
                applications=(AppliedPayment(invoice.txn_id, Decimal("0.10")),),
            ),
        ),
    )
    path = tmp_path / "company.json"
    company.save(path)
    loaded = QuickBooksCompany.load(path, validator=qbxml13)
    assert loaded.state == company.state
    assert isinstance(loaded.invoices[0].lines[0].quantity, Decimal)
    assert loaded.invoice_balance(loaded.invoices[0]) == company.invoice_balance(invoice)
    # The loaded company carries on issuing fresh ids.
    new = record(loaded, customer_add("n", CustomerFields(name="After Load")))
    assert new.list_id not in {e.list_id for e in company.state.lists.values()}


def test_seeding_is_deterministic() -> None:
    first, second, other = QuickBooksCompany(), QuickBooksCompany(), QuickBooksCompany()
    seed_company(first, seed=3)
    seed_company(second, seed=3)
    seed_company(other, seed=4)
    assert first.state == second.state
    assert [c.name for c in first.customers] != [c.name for c in other.customers]
    summary = seed_company(QuickBooksCompany(), customers=30, jobs=12, vendors=4, items=10, seed=1)
    assert (summary.customers, summary.jobs, summary.vendors, summary.items) == (30, 12, 4, 10)


def test_round_trip_seed_then_query_everything_with_iterators(company: QuickBooksCompany) -> None:
    seed_company(company, customers=60, jobs=25, vendors=6, items=14, inactive_every=0, seed=11)
    customers = _page_through(company, "CustomerQueryRq", 17)
    expected = company.customers
    assert [(r.list_id, r.edit_sequence, r.full_name) for r in customers] == [
        (c.list_id, c.edit_sequence, company.full_name(c)) for c in expected
    ]
    for got, want in zip(customers, expected, strict=True):
        assert got.get("BillAddress/City") == want.data.get("BillAddress/City")
        assert got.get("Phone") == want.data.get("Phone")
        assert got.get("JobStatus") == want.data.get("JobStatus", "None")
    items = _page_through(company, "ItemQueryRq", 4)
    assert sorted(r.list_id or "" for r in items) == sorted(i.list_id for i in company.items)
    vendors = _page_through(company, "VendorQueryRq", 2)
    assert [r.name for r in vendors] == [v.name for v in company.vendors]
    accounts = one(company, list_query("AccountQueryRq", "a")).records
    assert [r.list_id for r in accounts] == [a.list_id for a in company.accounts]
    terms = one(company, list_query("StandardTermsQueryRq", "t")).records
    assert len(terms) == len([t for t in company.terms if t.kind == "StandardTerms"])


def test_seed_command_writes_a_loadable_company(tmp_path: Path) -> None:
    from qbwc_server.simulator.__main__ import main

    out = tmp_path / "demo.json"
    assert main(["seed", str(out), "--customers", "12", "--jobs", "4", "--seed", "5"]) == 0
    loaded = QuickBooksCompany.load(out)
    assert len([c for c in loaded.customers if c.parent_id is None]) == 12
