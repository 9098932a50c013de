"""Passwords (users' and the Web Connector's): kept only as salted scrypt hashes, checked in constant time.

Format of a stored hash: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``. scrypt is in the
standard library (``hashlib.scrypt``) and is memory-hard, so a stolen database does not
give the password away cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from desktop_app.errors import ValidationError

SCHEME = "scrypt"
N = 2**14
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 256


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=128 * n * r * p + 2**20
    )


def check_new_password(password: str) -> None:
    """A password the Web Connector user may be given, or ``ValidationError``."""
    if not isinstance(password, str):
        raise ValidationError("password", "The password must be text.")
    if len(password) < MIN_LENGTH:
        raise ValidationError("password", f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise ValidationError("password", f"The password can be at most {MAX_LENGTH} characters long.")
    if "\x00" in password:
        raise ValidationError("password", "The password contains a character that cannot be used.")


def hash_password(password: str) -> str:
    check_new_password(password)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${digest.hex()}"


# A fixed hash to compare against when no password is set, so the time taken does not
# reveal whether one exists.
_DUMMY = f"{SCHEME}${N}${R}${P}${'00' * SALT_BYTES}${'00' * KEY_BYTES}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for anything malformed."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        password = ""
    usable = bool(stored)
    parts = (stored if usable else _DUMMY).split("$")
    try:
        scheme, n_text, r_text, p_text, salt_hex, hash_hex = parts
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except ValueError:
        return False
    if scheme != SCHEME or not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    actual = _derive(password, salt, n, r, p)
    return hmac.compare_digest(actual, expected) and usable
