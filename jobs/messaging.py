"""Messaging jobs: delivering an email from the outbox."""

from __future__ import annotations

from functools import partial

from resolvers.common.tasks import run_job
from resolvers.messaging import email


async def send_email(ctx: dict, task_id: int) -> None:
    # Retried on any failure (a relay's 451 included); `deliver` never sends twice.
    await run_job(ctx, task_id, partial(email.deliver, settings=ctx["settings"]))
