"""Email delivery. `smtp`: aiosmtplib. `outbox`, for development: nothing leaves, and the
message as sent stays on its outbox row for `carnet outbox` (`keeps_copy`); in production
it keeps nothing, since the copy holds working links."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from carnet.settings import current_settings

log = logging.getLogger("carnet.email")


@dataclass(frozen=True)
class Email:
    message_id: str
    recipient: str
    subject: str
    text: str
    html: str
    sender: str = ""
    # Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post for one-click.
    headers: tuple[tuple[str, str], ...] = ()


def keeps_copy() -> bool:
    """Whether the message as sent, links included, is kept on its outbox row."""
    settings = current_settings()
    return settings.email_backend == "outbox" and not settings.is_production


async def send(email: Email) -> None:
    settings = current_settings()
    if settings.email_backend == "outbox":
        if settings.is_production:
            log.warning("email to %s not delivered: set CARNET_EMAIL_BACKEND=smtp in "
                        "production (the outbox backend keeps nothing there)", email.recipient)
        else:
            log.info("email to %s: %s (outbox; see `carnet outbox`)", email.recipient,
                     email.subject)
        return
    message, envelope_sender = _build(email, settings)
    await aiosmtplib.send(
        message,
        sender=envelope_sender,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password.get_secret_value() or None,
        start_tls=settings.smtp_starttls,
        # Well inside the job's timeout: a slow relay becomes a retry, not a job that
        # arq cancels while the SMTP conversation goes on.
        timeout=max(5, settings.job_timeout_seconds // 3),
    )


def _build(email: Email, settings) -> tuple[EmailMessage, str | None]:
    """The message, and its envelope sender: an organization's own From keeps the
    platform's address as the envelope sender (bounces come back to the platform)."""
    message = EmailMessage()
    message["From"] = email.sender or settings.email_from
    message["To"] = email.recipient
    message["Subject"] = email.subject
    # Stable per outbox row: a resend after a crash is recognisable as the same message.
    message["Message-ID"] = email.message_id
    for name, value in email.headers:
        message[name] = value
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message, parseaddr(settings.email_from)[1] if email.sender else None


class Connection:
    """One SMTP connection for many messages (a send chunk's): `async with connection() as
    relay: await relay.send(email)`. Opened on the first send; the outbox backend opens
    nothing. A message the relay refuses raises, as `send` does, and the connection stays
    usable for the next one; a broken connection is reopened on the next send."""

    def __init__(self) -> None:
        self.settings = current_settings()
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, email: Email) -> None:
        settings = self.settings
        if settings.email_backend == "outbox":
            await send(email)
            return
        if self.client is None or not self.client.is_connected:
            self.client = aiosmtplib.SMTP(
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password.get_secret_value() or None,
                start_tls=settings.smtp_starttls,
                timeout=max(5, settings.job_timeout_seconds // 3),
            )
            await self.client.connect()
        message, envelope_sender = _build(email, settings)
        await self.client.send_message(message, sender=envelope_sender)

    async def close(self) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.quit()
            except aiosmtplib.SMTPException:
                self.client.close()
        self.client = None

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def connection() -> Connection:
    return Connection()
