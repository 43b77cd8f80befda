"""How many SMS segments a text takes, as carriers count them.

A text in the GSM 03.38 alphabet is sent as GSM-7: 160 characters in one segment, 153 per
segment once it is split (the rest carries the concatenation header); the extension
characters (`^{}\\[~]|€` and form feed) take two. Any other character (an accented capital
other than É, an emoji, a curly quote...) makes the whole text UCS-2: 70 UTF-16 units in one
segment, 67 per segment once split. Group SMS are measured with the STOP wording that
deliveries append (resolvers.messaging.deliveries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from carnet.i18n import N_, translate
from carnet.settings import current_settings

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

STOP_WORDING = N_("Reply STOP to unsubscribe.")
MULTIPART_WARNING = N_(
    "This SMS takes {segments} segments ({units} {encoding} characters): each one is billed."
)

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    GSM_7 = "GSM_7"
    UCS_2 = "UCS_2"


@dataclass(frozen=True)
class SmsLength:
    encoding: SmsEncoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def measure(text: str) -> SmsLength:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, SmsEncoding.GSM_7
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, SmsEncoding.UCS_2
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsLength(encoding, units, segments)


def with_stop(text: str, locale: str) -> str:
    """The text as a group SMS is sent: with how to stop, in the recipient's language."""
    return f"{text}\n{translate(STOP_WORDING, locale)}"


def max_segments() -> int:
    return current_settings().sms_max_segments
