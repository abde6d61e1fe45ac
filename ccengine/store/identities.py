"""Normalisation of customer identities: phone numbers to E.164, email addresses lower-cased,
chat handles stripped. The stored form is what the UNIQUE (kind, value) index compares."""

from __future__ import annotations

import functools

import phonenumbers

from ccengine.store.errors import InvalidIdentity

KINDS = ("phone", "email", "chat")
MAX_VALUE_LENGTH = 320  # the column width; the longest valid email address is 254


@functools.lru_cache(maxsize=8192)  # parsing costs ~0.1 ms; every contact's way in asks
def normalise_phone(value: str, default_region: str) -> str:
    """E.164 form of a phone number; national numbers are read in ``default_region``
    (an ISO 3166 code such as "GB"); "00" international prefixes are understood."""
    try:
        number = phonenumbers.parse(value.strip(), default_region)
    except phonenumbers.NumberParseException as e:
        raise InvalidIdentity("phone", value, str(e)) from e
    # possible (not "valid"): metadata lags new number ranges, and a caller must not be
    # turned away because of it; impossible lengths and non-numbers are refused
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity("phone", value, "not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """Lower-cased, stripped email address with exactly one '@' and text either side."""
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in email):
        raise InvalidIdentity("email", value, "expected one '@' between a name and a domain")
    return email


def normalise_chat(value: str) -> str:
    """A chat handle without surrounding white space."""
    handle = value.strip()
    if not handle:
        raise InvalidIdentity("chat", value, "empty chat handle")
    return handle


def normalise(kind: str, value: str, default_region: str) -> str:
    """The stored form of an identity of ``kind`` (phone, email or chat)."""
    if not isinstance(value, str):
        raise InvalidIdentity(kind, str(value), "not text")
    if kind == "phone":
        result = normalise_phone(value, default_region)
    elif kind == "email":
        result = normalise_email(value)
    elif kind == "chat":
        result = normalise_chat(value)
    else:
        raise InvalidIdentity(kind, value, f"unknown kind (one of {', '.join(KINDS)})")
    if len(result) > MAX_VALUE_LENGTH:
        raise InvalidIdentity(kind, value, f"longer than {MAX_VALUE_LENGTH} characters")
    return result
