"""Identity normalisation: phone numbers to E.164 in a default region, emails lower-cased,
chat handles stripped; anything else a clear InvalidIdentity."""

from __future__ import annotations

import pytest

from ccengine.store.errors import InvalidIdentity, StoreError
from ccengine.store.identities import normalise


@pytest.mark.parametrize(("kind", "raw", "region", "expected"), [
    ("phone", "+44 20 7946 0958", "GB", "+442079460958"),
    ("phone", "020 7946 0958", "GB", "+442079460958"),
    ("phone", "(020) 7946-0958", "GB", "+442079460958"),
    ("phone", "0049 30 123456", "GB", "+4930123456"),
    ("phone", "0049 30 123456", "DE", "+4930123456"),
    ("phone", "030 123456", "DE", "+4930123456"),
    ("phone", "(202) 555-0123", "US", "+12025550123"),
    ("phone", "+1 202 555 0123", "DE", "+12025550123"),
    ("email", "  Jane.Doe@Example.COM ", "GB", "jane.doe@example.com"),
    ("chat", "  web:abc123\n", "GB", "web:abc123"),
])
def test_given_identity_when_normalised_then_canonical_form(
        kind: str, raw: str, region: str, expected: str) -> None:
    assert normalise(kind, raw, region) == expected


@pytest.mark.parametrize(("kind", "raw"), [
    ("phone", "12"), ("phone", "not a number"), ("phone", ""),
    ("phone", "+44 20 7946 0958 1234 5678"),
    ("email", "jane.example.com"), ("email", "jane@@example.com"), ("email", "a@b@c"),
    ("email", "@example.com"), ("email", "jane@"), ("email", "ja ne@example.com"),
    ("email", "x" * 400 + "@example.com"),
    ("chat", "   "), ("fax", "123"),
])
def test_given_bad_identity_when_normalised_then_invalid_identity_naming_it(
        kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentity) as err:
        normalise(kind, raw, "GB")
    assert err.value.code == "invalid_identity" and err.value.kind == kind
    assert isinstance(err.value, StoreError) and isinstance(err.value, ValueError)
    assert repr(raw) in str(err.value)


def test_given_national_number_without_region_context_when_normalised_then_invalid() -> None:
    with pytest.raises(InvalidIdentity):
        normalise("phone", "020 7946 0958", "ZZ")


def test_given_non_text_value_when_normalised_then_invalid_identity() -> None:
    with pytest.raises(InvalidIdentity):
        normalise("phone", 442079460958, "GB")  # type: ignore[arg-type]
