"""Jinja2 (autoescaped) for email templates, one file per locale: `email/<locale>/<name>.*`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "txt"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _text_environment() -> Environment:
    return _environment().overlay(autoescape=False)


def render_email(template: str, locale: str, /, **context: object) -> RenderedEmail:
    env = _environment()
    locale = locale if (TEMPLATE_DIR / "email" / locale).is_dir() else "en"
    base = f"email/{locale}/{template}"
    # Subjects and plain text are not HTML: escaping them would mail "&amp;" to people.
    text_env = _text_environment()
    subject = text_env.get_template(f"{base}.subject.txt").render(**context).strip()
    text = text_env.get_template(f"{base}.txt").render(**context)
    html = env.get_template(f"{base}.html").render(**context)
    return RenderedEmail(subject=subject, text=text, html=html)


def render_page(name: str, locale: str, /, **context: object) -> str:
    """A public HTML page, `pages/<locale>/<name>.html` (English when the locale has none)."""
    locale = locale if (TEMPLATE_DIR / "pages" / locale).is_dir() else "en"
    return _environment().get_template(f"pages/{locale}/{name}.html").render(**context)
