"""Transactional email: recorded in the outbox in the caller's transaction, written and sent
by a job.

A one-time link's token is minted by that job, just before the message goes: the outbox row
names the token and the page its link opens, never the secret, so a copy of the database
opens no account. Only the development `outbox` backend keeps each message as sent, links
included, on its row (for `carnet outbox`); the maintenance cron blanks what a sent message
kept once `CARNET_OUTBOX_RETENTION_DAYS` have passed.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from carnet.providers import email as email_provider
from carnet.settings import Settings
from carnet.templates_env import RenderedEmail, render_email
from models.identity import OneTimeToken
from models.message_sends import Delivery, DeliveryStatus
from models.messaging import Channel, OutboxMessage, OutboxStatus
from resolvers.common.tasks import current_unit_of_work, on_give_up, unit_of_work
from resolvers.common.time import now
from resolvers.identity import tokens

SEND_EMAIL = "send_email"

# Rows that no job will touch again.
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


async def queue_email(
    *,
    template: str,
    to: str,
    locale: str,
    organization_id: int | None = None,
    token: OneTimeToken | None = None,
    link_path: str = "",
    **context: object,
) -> OutboxMessage:
    """Records an email for the send_email job, sent once the current unit of work commits.

    With `token` (from `tokens.issue`), the template's `link` is the web app's `link_path`
    page carrying that token, minted when the message is sent; without, the app's home.
    `context` (stored as JSON) holds the template's other values, and nothing secret.
    """
    message = await OutboxMessage.create(
        organization_id=organization_id,
        channel=Channel.EMAIL,
        template=template,
        recipient=to,
        locale=locale,
        context=context,
        token=token,
        link_path=link_path if token is not None else "",
    )
    await current_unit_of_work().defer(SEND_EMAIL, message.id)
    return message


async def deliver(message_id: int, settings: Settings) -> None:
    """Writes and sends one outbox email, at most once per successful run.

    The claim (PENDING/SENDING → SENDING) and the minting of its token are committed before
    the provider is called, and SENT is written right after; a second run finds SENT and
    does nothing. A token revoked, used or expired before its message went is not minted,
    and the message is SKIPPED.

    The trade-off of a token that exists only in the mail: a run that dies after the relay
    accepted the message but before SENT is committed cannot send that same message again.
    The next run mints a new secret (the first link stops working: "not valid, ask for a
    new one") and sends a second message, with a Message-ID of its own so that the relay
    does not drop it as a duplicate of the first. The person may then get two mails of which
    only the latest works: never two working links, never one readable from the database.
    Minting and sending in one transaction would not spare that second mail (a commit that
    fails after the relay's "250" leaves a dead link all the same) and would hold a write
    lock for a whole SMTP conversation. A message without a token is the same every time and
    keeps one Message-ID, so that a relay can recognise a resend.
    """
    claimed = await _claim(message_id, settings.app_url)
    if claimed is None:
        return
    message, link = claimed
    at_most_once = bool(message.context.get("at_most_once"))
    # `link`: the message's own page with its token, else the web app's home page.
    values = {**message.context, "link": link or settings.app_url.rstrip("/") + "/"}
    rendered = render_email(message.template, message.locale, **values)
    try:
        await email_provider.send(
            email_provider.Email(
                message_id=message_id_of(message),
                recipient=message.recipient,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                sender=str(message.context.get("sender") or ""),
                headers=headers_of(message.context),
            )
        )
    except Exception as exc:
        # The provider refused or could not be reached: a group message may be tried again.
        back = {"status": OutboxStatus.PENDING} if at_most_once else {}
        await OutboxMessage.filter(id=message_id).update(last_error=repr(exc)[:2000], **back)
        raise
    moment = now()
    await OutboxMessage.filter(id=message_id).update(
        status=OutboxStatus.SENT,
        sent_at=moment,
        subject=rendered.subject,
        **_copy_kept(rendered, values.get("link")),
    )
    await Delivery.filter(outbox_message_id=message_id).update(
        status=DeliveryStatus.SENT, sent_at=moment
    )


async def _claim(message_id: int, app_url: str) -> tuple[OutboxMessage, str | None] | None:
    """The message, claimed, with its freshly minted link (None without a token); None when
    there is nothing to send."""
    async with unit_of_work():
        if not await claim_at_most_once(message_id):
            return None
        message = await OutboxMessage.get(id=message_id)
        if not message.link_path:
            return message, None
        plain = await tokens.mint(message.token_id) if message.token_id else None
        if plain is None:
            await OutboxMessage.filter(id=message_id).update(status=OutboxStatus.SKIPPED)
            return None
        return message, tokens.link(app_url, message.link_path, plain)


async def claim_at_most_once(message_id: int) -> bool:
    """Claims the row (→ SENDING) for this run, in the caller's transaction; False when
    there is nothing to send. A group message's row (`at_most_once`) found SENDING was
    being sent by a worker that died: it may have gone, so it is never sent again (FAILED,
    its delivery UNKNOWN). Other rows are resent (see `deliver`)."""
    claimed = await OutboxMessage.filter(
        id=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).update(status=OutboxStatus.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = await OutboxMessage.get(id=message_id)
    if not message.context.get("at_most_once"):
        return True
    if message.attempts > 1 and not message.last_error:
        await OutboxMessage.filter(id=message_id).update(
            status=OutboxStatus.FAILED, last_error="interrupted while sending: not resent"
        )
        await Delivery.filter(outbox_message_id=message_id).update(status=DeliveryStatus.UNKNOWN)
        return False
    await OutboxMessage.filter(id=message_id).update(last_error="")
    await Delivery.filter(outbox_message_id=message_id).update(status=DeliveryStatus.SENDING)
    return True


def headers_of(context: dict) -> tuple[tuple[str, str], ...]:
    """A message queued with `list_unsubscribe` (a URL) gets the one-click unsubscribe
    headers (RFC 8058): a mail client POSTs `List-Unsubscribe=One-Click` to that URL."""
    url = context.get("list_unsubscribe")
    if not isinstance(url, str) or not url:
        return ()
    return (
        ("List-Unsubscribe", f"<{url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def message_id_of(message: OutboxMessage) -> str:
    if message.link_path:  # a new secret on each attempt: a new message
        return f"<outbox-{message.id}.{message.attempts}@carnet>"
    return f"<outbox-{message.id}@carnet>"


def _copy_kept(rendered: RenderedEmail, link: object) -> dict[str, object]:
    if not email_provider.keeps_copy():
        return {}
    return {
        "body_text": rendered.text,
        "body_html": rendered.html,
        "links": [link] if isinstance(link, str) else [],
    }


async def purge_finished(older_than: datetime) -> int:
    """Blanks what finished messages asked for before `older_than` kept (the copy as sent,
    the template's values); returns how many. Who was sent what, and when, stays."""
    return await OutboxMessage.filter(
        status__in=FINISHED, created_at__lt=older_than, purged_at=None
    ).update(body_text="", body_html="", links=[], context={}, purged_at=now())


async def mark_failed(message_id: int) -> None:
    await OutboxMessage.filter(
        id=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).update(status=OutboxStatus.FAILED)
    await Delivery.filter(
        outbox_message_id=message_id,
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
    ).update(status=DeliveryStatus.FAILED)


on_give_up(SEND_EMAIL, mark_failed)
