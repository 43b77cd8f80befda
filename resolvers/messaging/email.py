"""Transactional email: rendered into the outbox in the caller's transaction, sent by a job."""

from __future__ import annotations

from tortoise.expressions import F

from carnet.providers import email as email_provider
from carnet.templates_env import render_email
from models.messaging import Channel, OutboxMessage, OutboxStatus
from resolvers.common.tasks import UnitOfWork, on_give_up
from resolvers.common.time import now

SEND_EMAIL = "send_email"


async def queue_email(
    uow: UnitOfWork,
    *,
    template: str,
    to: str,
    locale: str,
    links: list[str],
    organization_id: int | None = None,
    **context: object,
) -> OutboxMessage:
    rendered = render_email(template, locale, **context)
    message = await OutboxMessage.create(
        organization_id=organization_id,
        channel=Channel.EMAIL,
        template=template,
        recipient=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        links=links,
    )
    await uow.defer(SEND_EMAIL, message.id)
    return message


async def deliver(message_id: int) -> None:
    """Sends one outbox email at most once per successful run.

    The claim (PENDING/SENDING → SENDING) happens before the provider call and SENT is
    written right after it; a second run finds SENT and does nothing. A run killed
    between the provider's acceptance and SENT would resend: the Message-ID is stable,
    so the receiving server can recognise the duplicate.
    """
    claimed = await OutboxMessage.filter(
        id=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).update(status=OutboxStatus.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return
    message = await OutboxMessage.get(id=message_id)
    try:
        await email_provider.send(
            email_provider.Email(
                message_id=f"<outbox-{message.id}@carnet>",
                recipient=message.recipient,
                subject=message.subject,
                text=message.body_text,
                html=message.body_html,
            )
        )
    except Exception as exc:
        await OutboxMessage.filter(id=message_id).update(last_error=repr(exc)[:2000])
        raise
    await OutboxMessage.filter(id=message_id).update(status=OutboxStatus.SENT, sent_at=now())


async def mark_failed(message_id: int) -> None:
    await (
        OutboxMessage.filter(id=message_id)
        .exclude(status=OutboxStatus.SENT)
        .update(status=OutboxStatus.FAILED)
    )


on_give_up(SEND_EMAIL, mark_failed)
