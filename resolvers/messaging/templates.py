"""Group message templates: Jinja2 in a sandbox (no attribute of Python internals, no
import, no file), with StrictUndefined so that a name not offered is an error, and
autoescaped for the HTML body of an email.

A template is checked when its draft is saved by rendering it once with sample values of
every variable offered: a syntax error, an unsafe expression or an unknown variable is a
field error there, and nothing is written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from carnet.i18n import N_
from models.messaging import MessageChannel
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode

# The placeholder an email's unsubscribe link renders as until sending fills it in.
UNSUBSCRIBE_PLACEHOLDER = "{{unsubscribe_url}}"


@dataclass(frozen=True)
class TemplateVariable:
    name: str  # as written in a template: contact.first_name
    description: str  # N_ message


VARIABLES = (
    TemplateVariable("contact.first_name", N_("The recipient's first name.")),
    TemplateVariable("contact.last_name", N_("The recipient's last name.")),
    TemplateVariable(
        "contact.display_name", N_("The recipient's name as the contacts list shows it.")
    ),
    TemplateVariable("organization.name", N_("Your organization's name.")),
    TemplateVariable("unsubscribe_url", N_("The recipient's own unsubscribe link.")),
)

SAMPLE = {
    "contact": {"first_name": "Ada", "last_name": "Lovelace", "display_name": "Ada Lovelace"},
    "organization": {"name": "Carnet"},
    "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
}

# Formatting filters whose output is never much longer than their input; not `safe` (a
# contact's name must stay escaped in HTML), nor those taking a width or a count.
FILTERS = (
    "capitalize",
    "d",
    "default",
    "e",
    "escape",
    "length",
    "lower",
    "striptags",
    "title",
    "trim",
    "truncate",
    "upper",
)
# Loops, macros, calls and includes: nothing a message needs, and the ways to make a
# template run for minutes or fill the memory (nested loops, "x".center(10**9)).
REFUSED_NODES = (
    nodes.For,
    nodes.Macro,
    nodes.CallBlock,
    nodes.Call,
    nodes.FilterBlock,
    nodes.Extends,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Scope,
    nodes.With,
)


class MessageSandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no private or internal attribute), with no globals (no `range`),
    a few filters, and `*`, `%` and `**` refused except between small numbers."""

    intercepted_binops = frozenset({"*", "%", "**"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=autoescape)
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in FILTERS}

    def call_binop(self, context, operator: str, left, right):
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 10**9
            for v in (left, right)
        )
        if operator == "**" or not numbers:
            raise SecurityError(f"{operator} is only for numbers")
        return super().call_binop(context, operator, left, right)


_PLAIN = MessageSandbox(autoescape=False)
_HTML = MessageSandbox(autoescape=True)


def environment(channel: MessageChannel, part: str) -> SandboxedEnvironment:
    """An email's body is HTML (autoescaped); subjects, SMS and internal messages are text."""
    return _HTML if channel is MessageChannel.EMAIL and part == "body" else _PLAIN


def render(channel: MessageChannel, part: str, source: str, values: dict) -> str:
    """SecurityError for what templates may not use, before anything runs."""
    return compiled(channel, part, source).render(values)


def compiled(channel: MessageChannel, part: str, source: str) -> Template:
    """The template of `part`, compiled (once per process); SecurityError as `render`."""
    return _compiled(environment(channel, part) is _HTML, source)


@functools.lru_cache(maxsize=256)
def _compiled(html: bool, source: str) -> Template:
    """A template parsed, checked and compiled once per process, not once per recipient:
    a send chunk renders the same two templates for each of its contacts."""
    env = _HTML if html else _PLAIN
    parsed = env.parse(source)
    if any(True for _ in parsed.find_all(REFUSED_NODES)):
        raise SecurityError("loops, macros, calls and includes are not allowed")
    return env.from_string(parsed)


def unknown_variable(channel: MessageChannel, part: str, source: str) -> str:
    """The first name the template uses that SAMPLE does not offer, as written in it
    (`password`, `contact.nickname`)."""
    parsed = environment(channel, part).parse(source)
    for node in parsed.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in SAMPLE:
                return node.name
            continue
        owner = node.node
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(owner, nodes.Name) and isinstance(SAMPLE.get(owner.name), dict):
            if key not in SAMPLE[owner.name]:
                return f"{owner.name}.{key}"
    return "?"


def check(
    channel: MessageChannel, part: str, source: str, errors: ErrorCollector, field: FieldPath
) -> None:
    """Adds a field error when the template does not render with the variables offered."""
    try:
        render(channel, part, source, SAMPLE)
    except TemplateSyntaxError as error:
        errors.add(
            UserErrorCode.TEMPLATE_INVALID,
            field,
            N_("This template has a syntax error on line {line}: {detail}"),
            line=error.lineno,
            detail=error.message or "",
        )
    except SecurityError:
        errors.add(
            UserErrorCode.TEMPLATE_INVALID,
            field,
            N_("This template uses something templates may not use."),
        )
    except UndefinedError:
        # Our own words, naming the variable as written: Jinja's message is English only.
        errors.add(
            UserErrorCode.UNKNOWN_VARIABLE,
            field,
            N_("This template uses “{name}”, which is not one of the variables offered."),
            name=unknown_variable(channel, part, source),
        )
    except Exception:  # a filter misused, a division by zero...: still the template's fault
        errors.add(
            UserErrorCode.TEMPLATE_INVALID,
            field,
            N_("This template cannot be rendered."),
        )
