from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain.progress import Share, next_share, percent_for, remaining
from desktop_app.errors import ValidationError

D = Decimal


def test_percent_rounds_half_up_to_the_cent() -> None:
    # 1000.05 × 50% = 500.025 → 500.03 (half-up, not banker's 500.02)
    assert next_share(D("1000.05"), [], percent=D("50")).amount == D("500.03")


def test_last_percent_takes_exact_remainder() -> None:
    total = D("100.00")
    first = next_share(total, [], percent=D("33.3333"))
    second = next_share(total, [Share(first.amount, first.percent)], percent=D("33.3333"))
    shares = [Share(first.amount, first.percent), Share(second.amount, second.percent)]
    third = next_share(total, shares, percent=D("33.3334"))
    assert (first.amount, second.amount, third.amount) == (D("33.33"), D("33.33"), D("33.34"))
    assert first.amount + second.amount + third.amount == total


def test_amount_and_percent_mix_to_exactly_100() -> None:
    total = D("1234.57")
    a = next_share(total, [], amount=D("234.57"))
    b = next_share(total, [Share(a.amount, a.percent)], percent=D("100") - a.percent)
    assert a.amount + b.amount == total


def test_over_100_refused_with_remaining_in_message() -> None:
    with pytest.raises(ValidationError) as err:
        next_share(D("1000.00"), [Share(D("700.00"), D("70"))], percent=D("40"))
    assert "$300.00 is left to invoice" in str(err.value)
    with pytest.raises(ValidationError) as err:
        next_share(D("1000.00"), [Share(D("700.00"), D("70"))], amount=D("300.01"))
    assert "$300.00 is left" in str(err.value)


def test_fully_invoiced_message() -> None:
    with pytest.raises(ValidationError, match="fully invoiced"):
        next_share(D("10.00"), [Share(D("10.00"), D("100"))], amount=D("0.01"))


@pytest.mark.parametrize(
    ("percent", "amount"),
    [(None, None), (D("10"), D("1")), (D("0"), None), (D("100.01"), None), (None, D("0")), (None, D("-1"))],
)
def test_bad_inputs(percent: D | None, amount: D | None) -> None:
    with pytest.raises(ValidationError):
        next_share(D("100.00"), [], percent=percent, amount=amount)


def test_helpers() -> None:
    assert remaining(D("10.00"), [Share(D("2.50"), D("25"))]) == D("7.50")
    assert percent_for(D("1.00"), D("3.00")) == D("33.3333")
    assert percent_for(D("1.00"), D("0")) == D("0.00")
