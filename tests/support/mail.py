"""Email as a person receives it: a real SMTP server in this process, and what is in a mail.

The fixtures are a plugin of every test (tests/conftest.py): `use_smtp(**overrides)` makes
the process's settings (those of the providers and of the worker) send through `smtp`, and
puts the run's settings back after.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest

from carnet.settings import Settings, configure, current_settings
from tests.support.smtp import SmtpServer
from tests.support.worker import run_worker

_LINK = re.compile(r"https?://\S+")


@pytest.fixture
async def smtp():
    server = await SmtpServer().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def use_smtp(services, smtp):
    """Makes the process's settings send email to `smtp`; the run's settings come back after.

    Providers read `current_settings()`, and the worker's startup `configure()`s its own.
    """
    original = current_settings()

    def use(**overrides) -> Settings:
        relay = {"email_backend": "smtp", "smtp_host": smtp.host, "smtp_port": smtp.port}
        settings = services.settings(**{**relay, **overrides})
        configure(settings)
        return settings

    try:
        yield use
    finally:
        configure(original)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "a mail without a text part"
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def links_in(message: EmailMessage) -> list[str]:
    """The links of the mail's text part, in order."""
    return _LINK.findall(text_of(message))


def token_of(link: str) -> str:
    """The link's `token=` query parameter, as the web app reads it."""
    return parse_qs(urlsplit(link).query)["token"][0]


def tokens_in(message: EmailMessage) -> list[str]:
    return [token_of(link) for link in links_in(message) if "token=" in link]


def received(smtp: SmtpServer, to: str, subject_contains: str = "") -> list[EmailMessage]:
    """The mails `smtp` accepted for `to`, oldest first."""
    return [
        m
        for m in smtp.messages
        if m["To"] == to and subject_contains.lower() in str(m["Subject"]).lower()
    ]


async def send_queued_mail() -> None:
    """Runs the queued jobs, as the worker would: a mail is written (its link minted) and
    sent by its job, and only then kept, by the `outbox` backend, on its outbox row."""
    await run_worker(current_settings())
