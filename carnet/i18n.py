"""English and French messages: msgids are English, French comes from a Babel `.po` catalog.

Code marks messages with `N_("...")` (extracted by `pybabel extract -k N_`) and renders
them late with `translate(msgid, locale, **params)`, so one error can be shown to many
readers in their own language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"
_LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when rendered."""
    return message


@lru_cache(maxsize=len(LOCALES))
def _catalog(locale: str) -> dict[str, str]:
    path = _LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def translate(message: str, locale: str | None, **params: object) -> str:
    text = _catalog(locale).get(message, message) if locale and locale != "en" else message
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
