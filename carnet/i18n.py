"""English and French messages: msgids are English, French comes from a Babel `.po` catalog.

Code marks messages with `N_("...")`, or `NP_("...", "...")` for a message with plural
forms (extracted by `pybabel extract -k N_ -k NP_:1,2`), and renders them late with
`translate(msgid, locale, **params)`, so one error can be shown to many readers in their
own language. A plural message's msgid is its English singular; its `count` parameter
picks the form, by the Plural-Forms rule of the reader's catalog (English: n != 1). The
English plural is the catalog's msgid_plural, so every plural message is in the `.po`.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"
_LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when rendered."""
    return message


def NP_(singular: str, plural: str) -> str:
    """Marks a message with plural forms; the singular is its msgid, `count` picks."""
    return singular


@lru_cache(maxsize=len(LOCALES))
def _po(locale: str) -> Catalog | None:
    path = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _translated(locale: str):
    catalog = _po(locale)
    return [m for m in catalog or () if m.id and m.string and not m.fuzzy]


@lru_cache(maxsize=len(LOCALES))
def _catalog(locale: str) -> dict[str, str]:
    """Singular messages: msgid -> translation."""
    return {m.id: m.string for m in _translated(locale) if isinstance(m.id, str)}


@lru_cache(maxsize=len(LOCALES))
def _plural_catalog(locale: str) -> dict[str, tuple[str, ...]]:
    """Plural messages: English singular -> this language's forms, in Plural-Forms order."""
    return {
        m.id[0]: tuple(m.string)
        for m in _translated(locale)
        if not isinstance(m.id, str) and all(m.string)
    }


@lru_cache(maxsize=1)
def _english_plurals() -> dict[str, tuple[str, str]]:
    return {
        m.id[0]: (m.id[0], m.id[1])
        for locale in LOCALES
        for m in _po(locale) or ()
        if m.id and not isinstance(m.id, str)
    }


@lru_cache(maxsize=len(LOCALES))
def _plural_rule(locale: str) -> Callable[[int], int]:
    """The index of the form for n, from the catalog's Plural-Forms (French: n > 1)."""
    catalog = _po(locale)
    assert catalog is not None  # only asked for a locale whose catalog has the message
    return gettext.c2py(catalog.plural_expr)


def _plural_text(message: str, locale: str, count: int) -> str | None:
    english = _english_plurals().get(message)
    if english is None:
        return None
    forms = _plural_catalog(locale).get(message) if locale != DEFAULT_LOCALE else None
    if not forms:
        return english[count != 1]
    return forms[min(_plural_rule(locale)(count), len(forms) - 1)]


def translate(message: str, locale: str | None, **params: object) -> str:
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    count = params.get("count")
    text = _plural_text(message, locale, count) if isinstance(count, int) else None
    if text is None:
        text = _catalog(locale).get(message, message) if locale != DEFAULT_LOCALE else message
    return text.format(**params) if params else text


def negotiate(accept_language: str | None) -> str:
    """Picks en or fr from an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LOCALE
    choices = []
    for part in accept_language.split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        code = lang.strip().split("-")[0].lower()
        if code in LOCALES:
            choices.append((weight, code))
    return max(choices)[1] if choices else DEFAULT_LOCALE


def gettext_translations(locale: str) -> Translations:
    """A gettext object for Jinja2's i18n extension."""
    translations = Translations()
    translations._catalog = dict(_catalog(locale))
    return translations
