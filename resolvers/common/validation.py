"""Field validators shared by every domain; each adds errors to an ErrorCollector."""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import get_territory_currencies
from email_validator import EmailNotValidError, validate_email

from carnet.i18n import N_
from carnet.settings import current_settings
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode

# CLDR names these territories too, but ISO 3166-1 assigns none of them: exceptionally
# reserved codes (AC Ascension, CP Clipperton, CQ Sark, DG Diego Garcia, EA Ceuta and
# Melilla, EU, EZ eurozone, IC Canary Islands, TA Tristan da Cunha, UN) and user-assigned
# ones (QO, XA, XB, XK, ZZ). What remains is ISO 3166-1's 249 countries.
_NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "TA", "UN", "QO", "XA", "XB", "XK", "ZZ"}
)

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
# Unicode's control characters (category Cc), exactly: C0, DEL and C1.
# Control characters, and lone surrogates (no encoder or database accepts them).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def normalize_email(value: str, errors: ErrorCollector, field: FieldPath) -> str:
    """The normalized, lower-cased address (no DNS look-up), or "" after adding an error."""
    # Outside production, addresses under the reserved `.test` domain are accepted
    # (demo data and tests use them); production refuses them like any undeliverable one.
    normalized = _normalized_email(value.strip(), not current_settings().is_production)
    if normalized is None:
        errors.add(UserErrorCode.INVALID_EMAIL, field, N_("Enter a valid email address."))
        return ""
    return normalized


# An ASCII dot-atom before the @ and letters, digits, dots and hyphens after it: what
# nearly every address is. For these, email-validator's verdict is its verdict on the
# domain (the part costing three quarters of its time, the same for a whole file) and the
# local part as it is, so the domain's is remembered; anything else takes the full path.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)")
_LOCAL_MAX, _ADDRESS_MAX = 64, 254  # RFC 5321's, which email-validator applies


@lru_cache(maxsize=4096)
def _normalized_email(value: str, test_environment: bool) -> str | None:
    """Pure, so remembered: a file or a bulk call repeats the same addresses."""
    plain = _PLAIN_EMAIL.fullmatch(value)
    if plain and len(plain[1]) <= _LOCAL_MAX and len(value) <= _ADDRESS_MAX:
        domain = _normalized_domain(plain[2], test_environment)
        return None if domain is None else f"{plain[1]}@{domain}".lower()
    try:
        result = validate_email(
            value, check_deliverability=False, test_environment=test_environment
        )
    except EmailNotValidError:
        return None
    return result.normalized.lower()


@lru_cache(maxsize=1024)
def _normalized_domain(domain: str, test_environment: bool) -> str | None:
    """email-validator's normalized domain, or None if it refuses it (behind any valid
    local part: its checks of the domain do not depend on the part before the @)."""
    try:
        result = validate_email(
            f"a@{domain}", check_deliverability=False, test_environment=test_environment
        )
    except EmailNotValidError:
        return None
    return result.domain


def check_password(value: str, errors: ErrorCollector, field: FieldPath, email: str = "") -> None:
    if len(value) < PASSWORD_MIN_LENGTH:
        errors.add(
            UserErrorCode.PASSWORD_TOO_WEAK,
            field,
            N_("Use at least {min} characters."),
            min=PASSWORD_MIN_LENGTH,
        )
    elif len(value) > PASSWORD_MAX_LENGTH:
        errors.add(
            UserErrorCode.TOO_LONG,
            field,
            N_("Use at most {max} characters."),
            max=PASSWORD_MAX_LENGTH,
        )
    elif email and value.lower() == email.lower():
        errors.add(
            UserErrorCode.PASSWORD_TOO_WEAK, field, N_("The password cannot be your email address.")
        )


def without_control_characters(text: str, *, keep_lines: bool = False) -> str:
    """`text` without control characters (NUL breaks PostgreSQL; escape sequences rewrite a
    terminal) nor lone surrogates; `keep_lines` keeps newlines and tabs, for multi-line text."""
    return (_CONTROLS_BUT_LINE_BREAKS if keep_lines else _CONTROLS).sub("", text)


def clean_text(
    value: str | None,
    errors: ErrorCollector,
    field: FieldPath,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    # Control characters (NUL breaks PostgreSQL) and lone surrogates (not encodable) never
    # belong in a name or a title; newlines and tabs neither, unless the text is `multiline`.
    text = without_control_characters(value or "", keep_lines=multiline).strip()
    if required and not text:
        errors.add(UserErrorCode.REQUIRED, field, N_("This field is required."))
    elif len(text) > max_length:
        errors.add(
            UserErrorCode.TOO_LONG, field, N_("Use at most {max} characters."), max=max_length
        )
    return text


@cache
def iso_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from the CLDR territories Babel ships."""
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
    )


@cache
def currencies_in_use() -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere (CLDR's territory currencies, read
    once per process): this leaves out withdrawn currencies, funds (CLF, USN), metals
    (XAU), the SDR (XDR) and the codes for testing (XTS) and "no currency" (XXX)."""
    today = date.today()
    return frozenset(
        currency
        for territory in Locale("en").territories
        for currency in get_territory_currencies(territory, today, tender=True)
    )


def clean_country(
    value: str | None, errors: ErrorCollector, field: FieldPath, *, required: bool
) -> str:
    """The upper-cased ISO 3166-1 alpha-2 code; "" when empty and allowed to be."""
    code = (value or "").strip().upper()
    if (code or required) and code not in iso_countries():
        errors.add(
            UserErrorCode.INVALID, field, N_("Use a two-letter ISO 3166 country code, e.g. CA.")
        )
    return code


def clean_currency(value: str | None, errors: ErrorCollector, field: FieldPath) -> str:
    code = (value or "").strip().upper()
    if code not in currencies_in_use():
        errors.add(UserErrorCode.INVALID, field, N_("Use an ISO 4217 currency in use, e.g. CAD."))
    return code
