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
    await aiosmtplib.send(
        message,
        # An organization's own From keeps the platform's address as the envelope sender
        # (bounces come back to the platform).
        sender=parseaddr(settings.email_from)[1] if email.sender else None,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password.get_secret_value() or None,
        start_tls=settings.smtp_starttls,
        # Well inside the job's timeout: a slow relay becomes a retry, not a job that
        # arq cancels while the SMTP conversation goes on.
        timeout=max(5, settings.job_timeout_seconds // 3),
    )
