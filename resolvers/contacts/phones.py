"""A fast path for phone numbers in the common clean formats of the North American
numbering plan ("+15145550123", "+1 514-555-0123", "(514) 555-0123" read as CA or US):
the same E.164 result as `phonenumbers.parse` + `is_valid_number` + `format_number`,
without their general machinery (a file import validates one number per row, and those
calls were a third of a row's CPU).

Exact by construction: the validity test is phonenumbers' own, on its own metadata —
the region is the first NANP region whose leading digits match, or, for regions without
them, whose number types accept the number; valid when that region's general pattern and
one of its type patterns (of the right length) match in full, as `_number_type_helper`
decides. Anything else (another country, letters, an extension, other punctuation, a
national prefix, a region outside CA and US for a number without "+1") answers `None`:
the caller takes phonenumbers' full path. tests/contacts/test_phones_fast.py compares both
with hypothesis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata

NOT_FAST = object()  # the text is not in a format this module reads: use phonenumbers

_AREA = r"(?:\(([2-9]\d\d)\)|([2-9]\d\d))"
_REST = r"[ .-]?(\d{3})[ .-]?(\d{4})"
_WITH_CODE = re.compile(r"\+1[ .-]?" + _AREA + _REST)
_WITHOUT_CODE = re.compile(_AREA + _REST)
_NSN_LENGTH = 10
# Regions whose numbers without "+1" are read here: their national prefix for parsing is
# "1" only (checked in _regions), so 10 digits starting with 2-9 are the number itself.
_LOCAL_REGIONS = ("CA", "US")


@dataclass(frozen=True)
class _Region:
    leading: re.Pattern | None
    general: re.Pattern | None
    types: tuple[re.Pattern, ...]

    def accepts(self, nsn: str) -> bool:
        """`_number_type_helper(nsn) != UNKNOWN` for a 10-digit national number."""
        if self.general is None or not self.general.fullmatch(nsn):
            return False
        return any(pattern.fullmatch(nsn) for pattern in self.types)


def _pattern(desc) -> re.Pattern | None:
    """The description's pattern if a number of 10 digits can match it (as
    `_is_number_matching_desc` checks the length first)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and _NSN_LENGTH not in desc.possible_length:
        return None
    return re.compile(desc.national_number_pattern)


@cache
def _regions() -> tuple[_Region, ...] | None:
    """The NANP regions in phonenumbers' order; None (no fast path) if the metadata is not
    shaped as this module assumes."""
    for code in _LOCAL_REGIONS:
        metadata = PhoneMetadata.metadata_for_region(code, None)
        if (
            metadata is None
            or metadata.country_code != 1
            or metadata.national_prefix_for_parsing != "1"
            or metadata.national_prefix_transform_rule
        ):
            return None
    regions = []
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ()):
        metadata = PhoneMetadata.metadata_for_region(code.upper(), None)
        if metadata is None:
            continue
        kinds = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            kinds.append(metadata.mobile)
        types = tuple(p for p in map(_pattern, kinds) if p is not None)
        leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        regions.append(_Region(leading, _pattern(metadata.general_desc), types))
    return tuple(regions)


def _valid(nsn: str, regions: tuple[_Region, ...]) -> bool:
    """`is_valid_number` of +1 `nsn`: `region_code_for_number`, then its type."""
    for region in regions:
        if region.leading is not None:
            if region.leading.match(nsn):
                return region.accepts(nsn)
        elif region.accepts(nsn):
            return True
    return False


def e164(text: str, region: str):
    """The E.164 form of `text` ("+1" and 10 digits), None if phonenumbers would find it
    invalid, or NOT_FAST when `text` is not in a format read here."""
    found = _WITH_CODE.fullmatch(text)
    if found is None and region in _LOCAL_REGIONS:
        found = _WITHOUT_CODE.fullmatch(text)
    if found is None:
        return NOT_FAST
    regions = _regions()
    if regions is None:
        return NOT_FAST
    area, bare_area, exchange, line = found.groups()
    nsn = f"{area or bare_area}{exchange}{line}"
    return f"+1{nsn}" if _valid(nsn, regions) else None


def nanp_digits(stored: str) -> list[str] | None:
    """`records.phone_digits` of a stored +1 number: its digits alone, since its national
    form's digits ("5145550123", or "15145550123") are part of them. None for others."""
    if len(stored) == 12 and stored.startswith("+1") and stored[1:].isdigit():
        return [stored[1:]]
    return None
