"""The phone fast path (resolvers.contacts.phones) gives exactly phonenumbers' answer: the
same E.164 number, the same verdict on validity, the same search digits."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.contacts import contacts, phones
from resolvers.contacts.records import phone_digits

REGIONS = ("CA", "US", "FR", "", "GB", "JM", "PR")
FORMATS = (
    "+1{a}{e}{l}",
    "+1 {a} {e} {l}",
    "+1-{a}-{e}-{l}",
    "+1.{a}.{e}.{l}",
    "+1 ({a}) {e}-{l}",
    "+1({a}){e}{l}",
    "({a}) {e}-{l}",
    "({a}){e}-{l}",
    "{a}-{e}-{l}",
    "{a}.{e}.{l}",
    "{a}{e}{l}",
    "{a} {e} {l}",
    "1{a}{e}{l}",  # not read by the fast path: phonenumbers decides
    "+1 {a} {e} {l} x12",
    "+44 {a} {e} {l}",
)


def reference(text: str, region: str) -> str | None:
    """What Carnet did before the fast path."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def reference_digits(e164: str) -> list[str]:
    number = phonenumbers.parse(e164, None)
    national = re.sub(
        r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    digits = [e164.lstrip("+")]
    if national and national not in digits[0]:
        digits.append(national)
    return digits


def check(text: str, region: str) -> None:
    expected = reference(text, region)
    assert contacts._e164.__wrapped__(text, region) == expected, (text, region)
    if expected is not None:
        assert phone_digits(expected) == reference_digits(expected), expected


@settings(max_examples=1500, deadline=None)
@given(
    area=st.integers(0, 999),
    exchange=st.integers(0, 999),
    line=st.integers(0, 9999),
    shape=st.sampled_from(FORMATS),
    region=st.sampled_from(REGIONS),
)
def test_the_fast_path_answers_as_phonenumbers(area, exchange, line, shape, region):
    check(shape.format(a=f"{area:03}", e=f"{exchange:03}", l=f"{line:04}"), region)


@given(text=st.text(alphabet="+1234567890 ().-x", max_size=20), region=st.sampled_from(REGIONS))
@settings(max_examples=1000, deadline=None)
def test_any_text_of_phone_characters_answers_as_phonenumbers(text, region):
    check(text, region)


def test_every_area_code_answers_as_phonenumbers():
    """Every area code with exchanges that are valid, reserved or special somewhere."""
    for area in range(200, 1000):
        for exchange in (200, 211, 311, 555, 600, 700, 911, 958, 976):
            check(f"+1{area}{exchange}0123", "")
            check(f"({area}) {exchange}-4567", "CA")


def test_the_common_formats_take_the_fast_path():
    assert phones.e164("+15142000000", "CA") == "+15142000000"
    assert phones.e164("(514) 555-0123", "US") == "+15145550123"
    assert phones.e164("514-555-0123", "FR") is phones.NOT_FAST
    assert phones.e164("+33 6 12 34 56 78", "FR") is phones.NOT_FAST
    assert phones.e164("+1 514 555 0123 x12", "CA") is phones.NOT_FAST
