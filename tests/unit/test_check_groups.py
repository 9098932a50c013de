"""Splitting a grouped lookup's answer: each item gets QuickBooks' status and its own records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.db.sync_models import SyncItem
from desktop_app.services.queue_states import Phase
from qbwc_server import qbxml as q
from qbwc_server.sync.check_groups import GROUP_MAX, KEY, LookupGroups, result_for


def _status(code: int = 0, severity: str = "Info") -> q.Status:
    return q.Status("g1-1", "InvoiceQueryRs", code, severity, "Status OK")


def _invoice(number: str) -> q.Record:
    return q.Record("InvoiceRet", "g1-1", {"RefNumber": (number,), "TxnID": (f"T-{number}",)})


def _item(item_id: int) -> SyncItem:
    return SyncItem(id=item_id, entity_type="invoice", entity_id=item_id, action="upsert", attempts=0)


def test_an_item_gets_only_the_records_of_its_own_number() -> None:
    answer = q.Result(_status(), (_invoice("1001"), _invoice("1003"), _invoice("1001")))
    mine = result_for(_item(1), answer, {KEY: "1001"})
    assert [r.ref_number for r in mine.records] == ["1001", "1001"]
    assert mine.status == answer.status
    assert result_for(_item(2), answer, {KEY: "1002"}).records == ()


def test_an_answer_to_a_request_of_its_own_is_left_as_it_is() -> None:
    answer = q.Result(_status(), (_invoice("1001"),))
    assert result_for(_item(1), answer, {}) is answer


def test_a_refusal_of_the_group_concerns_every_item_in_it() -> None:
    locked = q.Result(_status(3175, "Error"))
    for key in ("1001", "1002"):
        share = result_for(_item(1), locked, {KEY: key})
        assert share.status.is_error and share.status.status_code == 3175


numbers = st.text(alphabet="abAB-0129", min_size=1, max_size=11)


@given(
    keys=st.lists(numbers, min_size=1, max_size=8, unique_by=str.casefold),
    found=st.lists(numbers, max_size=12),
)
def test_every_record_goes_to_exactly_the_items_whose_number_it_is(keys: list[str], found: list[str]) -> None:
    answer = q.Result(_status(), tuple(_invoice(n) for n in found))
    shares = {key: result_for(_item(n), answer, {KEY: key}) for n, key in enumerate(keys, start=1)}
    for key, share in shares.items():
        assert [r.ref_number for r in share.records] == [n for n in found if n.casefold() == key.casefold()]
    given_out = sum(len(share.records) for share in shares.values())
    asked = {key.casefold() for key in keys}
    assert given_out == sum(1 for n in found if n.casefold() in asked)


def test_groups_hold_at_most_group_max_keys_and_count_once_each() -> None:
    groups = LookupGroups()
    for n in range(1, GROUP_MAX * 2 + 2):
        groups.add(_item(n), str(1000 + n), Phase.CHECK)
    assert groups.requests == 3
    built = groups.built()
    assert len(built) == GROUP_MAX * 2 + 1
    request_ids = [request_id for _item, _built, request_id in built]
    assert len(set(request_ids)) == 3
    assert all(not request_id.split("-")[0].isdigit() for request_id in request_ids)
    first_group = [b for _i, b, r in built if r == request_ids[0]]
    assert len(first_group) == GROUP_MAX
    assert all(b.element is first_group[0].element for b in first_group)
    assert first_group[0].xml.count("<RefNumber>") == GROUP_MAX
