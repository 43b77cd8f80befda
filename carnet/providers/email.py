"""Email delivery. `outbox`: the database row is the delivery (development); `smtp`: aiosmtplib."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

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


async def send(email: Email) -> None:
    settings = current_settings()
    if settings.email_backend == "outbox":
        log.info("email to %s: %s (outbox; see `carnet outbox`)", email.recipient, email.subject)
        return
    message = EmailMessage()
    message["From"] = email.sender or settings.email_from
    message["To"] = email.recipient
    message["Subject"] = email.subject
    # Stable per outbox row: a resend after a crash is recognisable as the same message.
    message["Message-ID"] = email.message_id
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password.get_secret_value() or None,
        start_tls=settings.smtp_starttls,
        # Well inside the job's timeout: a slow relay becomes a retry, not a job that
        # arq cancels while the SMTP conversation goes on.
        timeout=max(5, settings.job_timeout_seconds // 3),
    )
