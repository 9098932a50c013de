from __future__ import annotations

import pytest

from desktop_app.domain.passwords import hash_password, verify_password
from desktop_app.errors import ValidationError


def test_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second
    assert first.startswith("scrypt$") and "s3cret-pass" not in first
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)


@pytest.mark.parametrize(
    "stored", ["", "garbage", "scrypt$1$2$3$zz$zz", "md5$1$1$1$00$00", "scrypt$99999999$8$1$00$00"]
)
def test_malformed_or_missing_hash_never_verifies(stored: str) -> None:
    assert not verify_password("", stored)
    assert not verify_password("anything", stored)


@pytest.mark.parametrize("password", ["short", "x" * 300, "with\x00nul"])
def test_weak_or_odd_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        hash_password(password)
