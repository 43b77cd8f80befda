"""Messaging jobs: delivering an email or an SMS from the outbox (or a send chunk's), and
starting the group messages whose scheduled time has come."""

from __future__ import annotations

from functools import partial

from resolvers.common.tasks import run_job
from resolvers.messaging import email, fanout, sends, sms


async def send_email(ctx: dict, task_id: int) -> None:
    # Retried on any failure (a relay's 451 included); `deliver` never sends twice.
    await run_job(ctx, task_id, partial(email.deliver, settings=ctx["settings"]))


async def send_messages(ctx: dict, task_id: int) -> None:
    # A send chunk's emails or SMS over one connection; each message at most once, the
    # rest retried with backoff when the provider did not take them.
    await run_job(ctx, task_id, fanout.deliver_batch)


async def send_sms(ctx: dict, task_id: int) -> None:
    # Retried with backoff when the provider did not take the message; never sent twice.
    await run_job(ctx, task_id, sms.deliver)


async def start_scheduled_messages(ctx: dict) -> int:
    """Cron: starts the scheduled messages that are due (each once, however many sweeps)."""
    return await sends.start_due()
