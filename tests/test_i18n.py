"""Every message marked for translation has a French version; templates exist in both."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

from carnet.i18n import _catalog, _po, negotiate, translate
from carnet.templates_env import TEMPLATE_DIR, render_email

ROOT = Path(__file__).resolve().parent.parent


def marked_messages() -> set[str | tuple[str, str]]:
    """Singular msgids, and (singular, plural) pairs for messages with plural forms."""
    found = set()
    for folder in ("carnet", "resolvers", "schema", "jobs"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords={"N_": None, "NP_": (1, 2)},
        ):
            found.add(message)
    return found


def test_every_marked_message_is_translated_to_french():
    plurals = {m for m in marked_messages() if isinstance(m, tuple)}
    missing = sorted(marked_messages() - plurals - set(_catalog("fr")))
    assert not missing, f"add French to carnet/locale/fr/LC_MESSAGES/messages.po: {missing}"
    # The English plural is read from the catalog too: it must match the code's.
    french_plurals = {
        (m.id[0], m.id[1]) for m in _po("fr") if isinstance(m.id, tuple) and all(m.string)
    }
    missing = sorted(plurals - french_plurals)
    assert not missing, f"add msgid_plural and both French forms to messages.po: {missing}"


def test_plural_forms_follow_each_language():
    """English says "1 second" and "0 seconds"; French says "0 seconde", "1 seconde" and
    "2 secondes" (its .po's Plural-Forms: n > 1)."""
    message = "Too many attempts. Try again in {count} second."
    assert [translate(message, "en", count=n) for n in (0, 1, 2)] == [
        "Too many attempts. Try again in 0 seconds.",
        "Too many attempts. Try again in 1 second.",
        "Too many attempts. Try again in 2 seconds.",
    ]
    assert [translate(message, "fr", count=n) for n in (0, 1, 2)] == [
        "Trop de tentatives. Réessayez dans 0 seconde.",
        "Trop de tentatives. Réessayez dans 1 seconde.",
        "Trop de tentatives. Réessayez dans 2 secondes.",
    ]


def test_translate_and_negotiate():
    assert translate("This field is required.", "fr") == "Ce champ est obligatoire."
    assert (
        translate("Use at least {min} characters.", "en", min=10) == "Use at least 10 characters."
    )
    assert negotiate("fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert negotiate("en-US,fr;q=0.5") == "en"
    assert negotiate("de, es") == "en"
    assert negotiate(None) == "en"


def test_each_email_template_exists_in_both_languages():
    english = {p.name for p in (TEMPLATE_DIR / "email" / "en").iterdir()}
    french = {p.name for p in (TEMPLATE_DIR / "email" / "fr").iterdir()}
    assert english == french


def test_email_html_is_autoescaped():
    rendered = render_email(
        "verify_email", "fr", name="<b>Zoé</b>", link="https://x.test/?a=1&b=2", hours=48
    )
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in rendered.html
    assert "<b>Zoé</b>" in rendered.text  # plain text is not HTML
    assert rendered.subject == "Confirmez votre adresse courriel"


def test_subject_and_text_are_not_html_escaped():
    rendered = render_email(
        "email_change",
        "en",
        name="Tom & Jerry",
        link="https://x.test/?a=1&b=2",
        new_email="t&j@example.test",
        hours=24,
    )
    assert "Tom & Jerry" in rendered.text and "a=1&b=2" in rendered.text
    assert "&amp;" not in rendered.text and "&amp;" not in rendered.subject
    assert "Tom &amp; Jerry" in rendered.html
