"""Bounds of customer profile fields: names, tiers and free-form attributes."""

from __future__ import annotations

import pytest

from ccengine.store.customer_fields import (
    MAX_ATTRIBUTES,
    name_field,
    patched_attributes,
    plain_text,
    tier_field,
)
from ccengine.store.errors import InvalidRecord


def test_given_patch_when_applied_then_keys_set_and_null_removes() -> None:
    current = {"crm_id": "C-1", "lang": "en"}
    assert patched_attributes(current, {"lang": None, "score": 4.5, "vip": False}) == \
        {"crm_id": "C-1", "score": 4.5, "vip": False}
    assert current == {"crm_id": "C-1", "lang": "en"}  # not modified in place
    assert patched_attributes(None, {"gone": None}) == {}


@pytest.mark.parametrize("patch", [
    ["a"], {"": 1}, {"bad key": 1}, {"k" * 65: 1}, {"a": {"b": 1}}, {"a": [1]},
    {"a": float("nan")}, {"a": float("inf")}, {"a": "x" * 1001}, {"a": "nul\x00"},
    {f"k{i}": i for i in range(MAX_ATTRIBUTES + 1)},
    {f"k{i}": "x" * 1000 for i in range(20)},  # 20 000 characters of JSON
])
def test_given_out_of_bounds_attributes_when_patched_then_invalid(patch: object) -> None:
    with pytest.raises(InvalidRecord):
        patched_attributes({}, patch)


def test_given_html_like_text_when_checked_then_kept_as_given() -> None:
    assert name_field("<b>Jane</b> & Co") == "<b>Jane</b> & Co"
    assert name_field(None) is None
    with pytest.raises(InvalidRecord, match="required"):
        plain_text(None, "text", 10, required=True)
    with pytest.raises(InvalidRecord, match="empty"):
        plain_text("  ", "text", 10, required=True)


@pytest.mark.parametrize("tier", ["standard", "key_account", "gold2"])
def test_given_identifier_tier_when_checked_then_kept(tier: str) -> None:
    assert tier_field(tier) == tier


@pytest.mark.parametrize("tier", ["", "Key", "key account", "2gold", "x" * 41, None, 3])
def test_given_bad_tier_when_checked_then_invalid(tier: object) -> None:
    with pytest.raises(InvalidRecord, match="tier"):
        tier_field(tier)
