"""The one table that says what an answer from QuickBooks means (``sync.decisions``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.services.queue_states import Phase
from qbwc_server.sync.decisions import RULES, Act, Answer, decide, rule_for
from qbwc_server.sync.fast_apply import FAST_ACTS


def ok(phase: str, **facts: object) -> Answer:
    return Answer(kind=str(facts.pop("kind", "customer")), phase=phase, code=0, is_error=False, **facts)  # type: ignore[arg-type]


def refused(phase: str, code: int, **facts: object) -> Answer:
    return Answer(kind=str(facts.pop("kind", "customer")), phase=phase, code=code, is_error=True, **facts)  # type: ignore[arg-type]


CASES: list[tuple[Answer, Act, str]] = [
    (refused(Phase.IMPORT, 3391, kind="import", continued=True), Act.RESTART_IMPORT, Phase.IMPORT),
    # No iterator to lose, or lost a second time in one session: never documented, an alert.
    (refused(Phase.IMPORT, 3391, kind="import"), Act.FAILED, ""),
    (refused(Phase.IMPORT, 3391, kind="import", continued=True, restarted_this_session=True), Act.FAILED, ""),
    (refused(Phase.DELETE_DUPLICATE, 3120, kind="invoice"), Act.ALREADY_GONE, ""),
    (refused(Phase.MOD, 3175, attempts=5), Act.LOCKED_TOO_LONG, ""),
    (refused(Phase.ADD, 3180, attempts=2), Act.RETRY_LATER, Phase.ADD),
    (refused(Phase.ADD, 3100, is_list=True), Act.CLAIM, Phase.CLAIM),
    (refused(Phase.MOD, 3200, refreshed_once=True), Act.KEEPS_CHANGING, ""),
    (refused(Phase.MOD, 3200), Act.REFRESH, Phase.REFRESH),
    (
        refused(Phase.DELETE, 3120, kind="payment", linked_id="TX-9", message='object "TX-9" not found'),
        Act.DELETED_ALREADY,
        "",
    ),
    (
        refused(Phase.MOD, 3140, linked_id="80-1", message='invalid reference "80-1"'),
        Act.DELETED_IN_QUICKBOOKS,
        "",
    ),
    (
        refused(Phase.VOID, 3120, kind="credit_memo", linked_id="TX-7", message='object "TX-7" not found'),
        Act.DELETED_ALREADY,
        "",
    ),
    (refused(Phase.ADD, 3140, kind="invoice", message="Item"), Act.MISSING_REFERENCE, Phase.FIRST),
    (refused(Phase.MOD, 3070), Act.FAILED, ""),
    (ok(Phase.PULL, kind="import"), Act.IMPORTED, ""),
    (ok(Phase.ADD, kind="credit_application", links_only=True), Act.LINKED_ONLY, ""),
    (ok(Phase.MOD, kind="credit_application", links_only=True), Act.NO_RECORD, ""),
    (ok(Phase.ADD), Act.NO_RECORD, ""),
    (ok(Phase.ADD, answered_id="80-2", linked_id="80-1"), Act.SECOND_COPY, ""),
    (ok(Phase.MOD, answered_id="80-1", linked_id="80-1"), Act.SAVED, ""),
    (ok(Phase.ADD, answered_id="80-1"), Act.SAVED, ""),
    (ok(Phase.DELETE_DUPLICATE, kind="invoice"), Act.DONE, ""),
    (ok(Phase.VOID, kind="invoice"), Act.DONE, ""),
    (ok(Phase.DELETE, kind="payment"), Act.UNLINKED, ""),
    (ok(Phase.CLAIM, is_list=True), Act.NAME_USED_ELSEWHERE, ""),
    (ok(Phase.CHECK, kind="invoice"), Act.NOT_FOUND, Phase.ADD),
    # A lost links-only Add not found as a payment: its links are read before adding again …
    (ok(Phase.VERIFY, kind="credit_application", links_only=True), Act.CHECK_LINKS, Phase.LINKS),
    # … and when they show nothing of it, it is added.
    (ok(Phase.LINKS, kind="credit_application", links_only=True), Act.NOT_FOUND, Phase.ADD),
    (ok(Phase.LINKS, kind="credit_application", links_only=True, found=1), Act.FOUND, ""),
    (ok(Phase.VERIFY, found=1), Act.FOUND, ""),
    (ok(Phase.REFRESH, found=1), Act.REFRESHED, ""),
    (ok("bogus"), Act.UNEXPECTED_STEP, ""),
]


@pytest.mark.parametrize(("answer", "act", "phase"), CASES, ids=[f"{c[1]}" for c in CASES])
def test_each_answer_is_decided_by_its_rule(answer: Answer, act: Act, phase: str) -> None:
    decision = decide(answer)
    assert decision.act is act, rule_for(answer)
    assert decision.phase == phase


def test_every_rule_decides_some_answer() -> None:
    used = {rule_for(answer) for answer, _, _ in CASES}
    assert used == {name for name, _, _ in RULES}


def test_a_lock_waits_longer_each_time_and_keeps_its_phase() -> None:
    delays = [decide(refused(Phase.VERIFY, 3176, attempts=n)).delay for n in range(5)]
    assert delays == [timedelta(minutes=2**n) for n in range(5)]
    assert {decide(refused(Phase.VERIFY, 3176, attempts=n)).phase for n in range(5)} == {Phase.VERIFY}


def test_a_name_in_use_on_a_transaction_is_a_plain_failure() -> None:
    # Only list records have names QuickBooks keeps unique.
    assert decide(refused(Phase.ADD, 3100, kind="invoice")).act is Act.FAILED


def test_the_fast_writer_takes_only_acts_of_the_table() -> None:
    assert set(Act) >= FAST_ACTS
    assert {Act.SAVED, Act.NOT_FOUND} <= FAST_ACTS


SUCCESS_ACTS = {
    Act.IMPORTED,
    Act.NO_RECORD,
    Act.LINKED_ONLY,
    Act.SECOND_COPY,
    Act.SAVED,
    Act.DONE,
    Act.UNLINKED,
}


@given(
    kind=st.sampled_from(["customer", "job", "item", "invoice", "payment", "import", "credit_memo"]),
    phase=st.sampled_from([p.value for p in Phase] + ["bogus"]),
    code=st.integers(min_value=0, max_value=9999),
    is_error=st.booleans(),
    attempts=st.integers(min_value=0, max_value=50),
    found=st.integers(min_value=0, max_value=3),
    linked=st.sampled_from(["", "80-1"]),
    answered=st.sampled_from(["", "80-1", "80-2"]),
    links_only=st.booleans(),
)
def test_every_answer_gets_one_decision_and_a_refusal_is_never_a_success(
    kind: str,
    phase: str,
    code: int,
    is_error: bool,
    attempts: int,
    found: int,
    linked: str,
    answered: str,
    links_only: bool,
) -> None:
    answer = Answer(
        kind=kind,
        phase=phase,
        code=code,
        is_error=is_error,
        attempts=attempts,
        found=found,
        linked_id=linked,
        answered_id=answered,
        message=f"object {linked}",
        links_only=links_only,
    )
    decision = decide(answer)
    if is_error:
        assert decision.act not in SUCCESS_ACTS | {Act.FOUND, Act.NOT_FOUND, Act.REFRESHED}
    else:
        assert decision.act not in {
            Act.FAILED,
            Act.CLAIM,
            Act.REFRESH,
            Act.RETRY_LATER,
            Act.MISSING_REFERENCE,
        }


def test_links_only_is_done_only_for_an_add_that_worked_without_a_record() -> None:
    # A record that came back is saved as ever; a refusal is a refusal; a Mod with no record
    # is still unexpected (links only are made by an Add that sets credits).
    assert decide(ok(Phase.ADD, links_only=True, answered_id="80-1")).act is Act.SAVED
    assert decide(refused(Phase.ADD, 3210, links_only=True)).act is Act.FAILED
    assert decide(ok(Phase.ADD, links_only=False)).act is Act.NO_RECORD
