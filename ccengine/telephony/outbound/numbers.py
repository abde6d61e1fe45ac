"""The dialling policy: which destinations agents and callbacks may call, and how the
carrier wants the number written. Pure (no I/O): numbers are read with ``phonenumbers``.

A number is read in the policy's region (national numbers, "00" international prefixes and
"+" all understood) and classified by type (fixed, mobile, premium...) and by whether it is
international (another country calling code). It is allowed when its E.164 form starts with
one of ``allow_prefixes``, or when it matches none of ``deny_prefixes`` and its type is in
``allow`` (plus ``international`` in ``allow`` for another country).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from ccengine.core.errors import CoreError

# destination categories an admin can allow, by phonenumbers' number type
CATEGORY_OF_TYPE = {
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
CATEGORIES = frozenset({*CATEGORY_OF_TYPE.values(), "international"} - {"fixed_or_mobile"})
FORMATS = ("e164", "e164_digits", "national", "international")
DEFAULT_ALLOW = frozenset({"fixed", "mobile", "toll_free"})
# what people type: digits, an optional leading +, and the usual separators
_TYPED = re.compile(r"^\+?[0-9(][0-9 ()./-]{1,30}$")
_SEPARATORS = str.maketrans("", "", " ()./-")
PREFIX_CHARS = re.compile(r"^[0-9*#]*$")


class BadNumber(CoreError):
    """Not a phone number (malformed, impossible length)."""

    code = "bad_number"


class NumberRefused(CoreError):
    """A real number the dialling policy does not allow (premium, international...)."""

    code = "number_refused"


@dataclass(frozen=True)
class Destination:
    """A number the policy allows: its E.164 form, what the carrier is sent, its category."""

    e164: str
    dial: str
    category: str
    international: bool

    def to_dict(self) -> dict[str, object]:
        return {"number": self.e164, "dialled": self.dial, "category": self.category,
                "international": self.international}


@dataclass(frozen=True)
class DialPolicy:
    """Where numbers may be dialled and how they are written for the carrier.

    ``format``: ``e164`` (+441632960123), ``e164_digits`` (441632960123), ``national``
    (01632960123; other countries with the region's international prefix, 0033...) or
    ``international`` (00441632960123 from GB); ``prefix`` goes in front of the result."""

    region: str = "GB"
    format: str = "e164"
    prefix: str = ""
    allow: frozenset[str] = DEFAULT_ALLOW
    allow_prefixes: tuple[str, ...] = ()
    deny_prefixes: tuple[str, ...] = ()

    def parse(self, typed: str) -> phonenumbers.PhoneNumber:
        """The number ``typed`` means, read in the policy's region (BadNumber if none)."""
        if not isinstance(typed, str) or not _TYPED.match(typed.strip()):
            raise BadNumber(f"{typed!r} is not a phone number (digits, an optional leading "
                            "+, spaces or dashes)")
        try:
            number = phonenumbers.parse(typed.strip().translate(_SEPARATORS), self.region)
        except phonenumbers.NumberParseException as e:
            raise BadNumber(f"{typed!r} is not a phone number: {e}") from e
        if not phonenumbers.is_possible_number(number):
            raise BadNumber(f"{typed!r} is not a possible phone number (length)")
        return number

    def category(self, number: phonenumbers.PhoneNumber) -> str:
        return CATEGORY_OF_TYPE.get(phonenumbers.number_type(number), "unknown")

    def check(self, typed: str) -> Destination:
        """The destination for ``typed`` if the policy allows it; BadNumber or
        NumberRefused (saying why) otherwise."""
        number = self.parse(typed)
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        home = phonenumbers.country_code_for_region(self.region)
        international = number.country_code != home
        category = self.category(number)
        destination = Destination(e164, self.dial_string(number), category, international)
        if any(e164.startswith(p) for p in self.allow_prefixes):
            return destination
        if any(e164.startswith(p) for p in self.deny_prefixes):
            raise NumberRefused(f"{e164} is refused: numbers starting "
                                f"{_first(self.deny_prefixes, e164)} may not be dialled")
        if international and "international" not in self.allow:
            raise NumberRefused(f"{e164} is refused: international numbers may not be "
                                "dialled (allow: international)")
        kinds = {"fixed", "mobile"} if category == "fixed_or_mobile" else {category}
        if not kinds & self.allow:
            what = "an unknown or unassigned number" if category == "unknown" \
                else f"a {category.replace('_', ' ')} number"
            raise NumberRefused(f"{e164} is refused: {what} may not be dialled "
                                f"(allowed: {', '.join(sorted(self.allow))})")
        return destination

    def dial_string(self, number: phonenumbers.PhoneNumber) -> str:
        """The number as the carrier wants it, with the policy's prefix."""
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if self.format == "e164":
            text = e164
        elif self.format == "e164_digits":
            text = e164[1:]
        elif self.format == "national":
            text = _digits(phonenumbers.format_out_of_country_calling_number(number,
                                                                              self.region))
        else:  # international: always with the region's international dialling prefix
            idd = _international_prefix(self.region)
            text = idd + e164[1:]
        return self.prefix + text

    def speakable(self, typed: str) -> str:
        """Digits to read back to a caller (what they typed, or the national form)."""
        try:
            number = self.parse(typed)
        except BadNumber:
            return _digits(typed)
        if number.country_code == phonenumbers.country_code_for_region(self.region):
            return _digits(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
        return _digits(typed)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _first(prefixes: tuple[str, ...], e164: str) -> str:
    return next(p for p in prefixes if e164.startswith(p))


def _international_prefix(region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    idd = (metadata.preferred_international_prefix or metadata.international_prefix or "00") \
        if metadata is not None else "00"
    return idd if idd.isdigit() else "00"


__all__ = ["CATEGORIES", "DEFAULT_ALLOW", "FORMATS", "BadNumber", "Destination",
           "DialPolicy", "NumberRefused"]
