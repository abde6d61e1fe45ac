"""Password and token hashing: only hashes are stored, verification is constant-time and a
malformed stored hash answers False instead of raising."""

from __future__ import annotations

import pytest

from ccengine.store.errors import InvalidUser
from ccengine.store.users import hash_password, hash_token, new_token, verify_password


def test_given_password_when_hashed_then_salted_scrypt_that_verifies() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$") and first != second  # fresh salt each time
    assert "correct horse" not in first
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)


@pytest.mark.parametrize("stored", [None, "", "plain", "scrypt$x$y$z$a$b", "md5$1$2$3$4$5"])
def test_given_malformed_stored_hash_when_verified_then_false(stored: str | None) -> None:
    assert verify_password("anything", stored) is False


def test_given_empty_password_when_hashed_then_invalid_user() -> None:
    with pytest.raises(InvalidUser):
        hash_password("")


def test_given_token_when_hashed_then_stable_hex_without_the_token() -> None:
    token = new_token()
    assert len(token) >= 40 and new_token() != token
    assert hash_token(token) == hash_token(token) and len(hash_token(token)) == 64
    assert token not in hash_token(token)
    with pytest.raises(InvalidUser):
        hash_token("short")
