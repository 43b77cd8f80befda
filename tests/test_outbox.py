"""The outbox holds no secret: a one-time link is minted by the job that mails it.

What that costs and what it keeps: a retry after the relay accepted the mail sends a second
one whose link alone works; a link cancelled before its mail went is never sent; only the
development `outbox` backend keeps the message as sent (never in production), and the
maintenance cron blanks what finished messages kept once past the retention.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from carnet.providers import email as email_provider
from carnet.settings import Environment
from jobs.maintenance import purge_outbox
from models.identity import OneTimeToken, TokenPurpose
from models.messaging import OutboxMessage, OutboxStatus
from models.tasks import Task
from resolvers.common.time import now
from resolvers.messaging.email import SEND_EMAIL
from tests.identity.flows import (
    RESET_REQUEST,
    last_email,
    register,
    request_change,
    reset,
    token_in,
)
from tests.support.mail import tokens_in
from tests.support.worker import run_worker, run_worker_skipping_retry_delays


async def ask_for_reset(api, email: str) -> None:
    (await api.execute(RESET_REQUEST, {"input": {"email": email}})).ok("passwordResetRequest")


def live_reset_tokens():
    return OneTimeToken.filter(purpose=TokenPurpose.PASSWORD_RESET, used_at=None, revoked_at=None)


async def test_a_retry_after_the_relay_accepted_mails_a_new_link_and_the_first_dies(
    api, world, use_smtp, smtp, monkeypatch
):
    settings = use_smtp()
    deliveries = []
    send = email_provider.send

    async def accepted_then_killed(message):
        await send(message)
        deliveries.append(message.message_id)
        if len(deliveries) == 1:  # the worker dies before it records SENT
            raise RuntimeError("killed after the relay's 250")

    monkeypatch.setattr(email_provider, "send", accepted_then_killed)
    await ask_for_reset(api, world.viewer.user.email)
    task = await Task.get(function=SEND_EMAIL)
    worker = await asyncio.wait_for(run_worker_skipping_retry_delays(settings, task), 10)

    assert worker.jobs_retried == 1 and worker.jobs_failed == 0
    first, second = smtp.messages
    message = await OutboxMessage.get()
    assert (first["Message-ID"], second["Message-ID"]) == (
        f"<outbox-{message.id}.1@carnet>",
        f"<outbox-{message.id}.2@carnet>",
    )
    assert message.status is OutboxStatus.SENT
    [stale], [fresh] = tokens_in(first), tokens_in(second)
    assert await live_reset_tokens().count() == 1
    assert (await reset(api, stale)).payload_codes("passwordReset") == ["TOKEN_INVALID"]
    (await reset(api, fresh)).ok("passwordReset")


async def test_a_link_replaced_before_its_mail_went_is_never_sent(api, world, use_smtp, smtp):
    settings = use_smtp()
    await ask_for_reset(api, world.viewer.user.email)
    await ask_for_reset(api, world.viewer.user.email)  # replaces the first, not yet mailed
    await run_worker(settings)
    await run_worker(settings)

    [received] = smtp.messages
    statuses = await OutboxMessage.all().order_by("id").values_list("status", flat=True)
    assert statuses == [OutboxStatus.SKIPPED, OutboxStatus.SENT]
    [token] = tokens_in(received)
    (await reset(api, token)).ok("passwordReset")


async def test_a_change_cancelled_before_its_mail_went_mails_no_working_link(
    api, world, use_smtp, smtp
):
    """A reset cancels a pending email change: the change's mail, still queued, must not
    then mint a working link (it would move the account to the intruder's address)."""
    settings = use_smtp()
    await ask_for_reset(api, world.viewer.user.email)
    await run_worker(settings)
    [to_owner] = smtp.messages
    (await request_change(api, world.viewer, "intruder@example.test")).ok("emailChangeRequest")
    (await reset(api, tokens_in(to_owner)[0])).ok("passwordReset")  # before the change's mail
    await run_worker(settings)

    assert [m["To"] for m in smtp.messages] == [world.viewer.user.email]
    change = await OutboxMessage.get(recipient="intruder@example.test")
    assert change.status is OutboxStatus.SKIPPED


async def test_the_development_outbox_keeps_the_mail_as_sent(api, world):
    await ask_for_reset(api, world.viewer.user.email)
    message = await last_email(world.viewer.user.email, "password_reset")
    assert message.status is OutboxStatus.SENT
    assert "/reset-password?token=" in message.links[0]
    (await reset(api, token_in(message))).ok("passwordReset")


async def test_in_production_the_outbox_backend_keeps_nothing(api, settings, use_smtp):
    production = use_smtp(
        environment=Environment.PRODUCTION,
        secret_key="a production secret key, not the development one",
        redis_url=settings.effective_redis_url,
        email_backend="outbox",
    )
    (await register(api, "pat@example.com")).ok("userRegister")
    await run_worker(production)

    message = await OutboxMessage.get(recipient="pat@example.com")
    assert message.status is OutboxStatus.SENT  # as far as this backend goes
    assert (message.body_text, message.body_html, message.links) == ("", "", [])
    token = await OneTimeToken.get(user__email="pat@example.com")
    assert token.token_hash not in str(message.context)


async def test_finished_mail_is_blanked_after_the_retention(api, world, settings):
    await ask_for_reset(api, world.viewer.user.email)
    await ask_for_reset(api, world.owner.user.email)
    old = await last_email(world.viewer.user.email, "password_reset")
    recent = await last_email(world.owner.user.email, "password_reset")
    retention = timedelta(days=settings.outbox_retention_days)
    await OutboxMessage.filter(id=old.id).update(created_at=now() - retention - timedelta(hours=1))

    assert await purge_outbox({"settings": settings}) == 1
    await old.refresh_from_db()
    await recent.refresh_from_db()
    assert (old.body_text, old.body_html, old.links, old.context) == ("", "", [], {})
    assert old.purged_at is not None
    # Who was sent what, and when, stays.
    assert (old.recipient, old.subject, old.status) == (
        world.viewer.user.email,
        recent.subject,
        OutboxStatus.SENT,
    )
    assert recent.body_text and recent.links and recent.context
    assert await purge_outbox({"settings": settings}) == 0
