from __future__ import annotations

import pytest

from desktop_app.domain.numbering import (
    MAX_REF,
    NumberingMode,
    check_counter_format,
    check_invoice_number,
    check_job_number,
    deposit_number,
    job_number_room,
    sequence_number,
)
from desktop_app.errors import ValidationError


def test_formats() -> None:
    assert deposit_number("11503") == "D-11503"
    assert sequence_number("1003", 2) == "1003-2"


@pytest.mark.parametrize(
    ("mode", "progress", "room"),
    [
        (NumberingMode.SIMPLE, False, 11),
        (NumberingMode.MATCH, False, 9),
        (NumberingMode.SIMPLE, True, 8),
    ],
)
def test_job_number_room(mode: NumberingMode, progress: bool, room: int) -> None:
    assert job_number_room(mode, progress) == room
    assert check_job_number("9" * room, mode, progress) == "9" * room
    with pytest.raises(ValidationError) as err:
        check_job_number("9" * (room + 1), mode, progress)
    assert f"at most {room}" in str(err.value)
    assert str(MAX_REF) in str(err.value)


def test_match_mode_message_explains_deposit_prefix() -> None:
    with pytest.raises(ValidationError) as err:
        check_job_number("ABCDEFGHIJ", NumberingMode.MATCH, False)
    assert "D-ABCDEFGHIJ" in str(err.value)


def test_job_number_blank_or_spaces_refused() -> None:
    for bad in ("", "  ", "10 03"):
        with pytest.raises(ValidationError):
            check_job_number(bad, NumberingMode.SIMPLE, False)


def test_invoice_number_limit() -> None:
    assert check_invoice_number("12345678901") == "12345678901"
    with pytest.raises(ValidationError, match="at most 11"):
        check_invoice_number("123456789012")


def test_counter_format_refuses_long_prefix_plus_number() -> None:
    assert check_counter_format("INV-", 1234567, room=11, what="next invoice", field="f") == "INV-1234567"
    with pytest.raises(ValidationError) as err:
        check_counter_format("INV-", 12345678, room=11, what="next invoice", field="f")
    assert err.value.field == "f"
    assert "INV-12345678" in str(err.value) and "12 characters" in str(err.value)
