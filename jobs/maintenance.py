"""Housekeeping crons: the task sweeper."""

from __future__ import annotations

import logging
from datetime import timedelta

from resolvers.common import tasks

log = logging.getLogger(__name__)


async def sweep_tasks(ctx: dict) -> int:
    """Re-enqueues durable tasks that were never enqueued or whose job went missing."""
    settings = ctx["settings"]
    # A job may legitimately be retried max_tries times, each up to the timeout.
    stalled_after = timedelta(seconds=settings.job_timeout_seconds * settings.job_max_tries + 60)
    count = await tasks.sweep(
        never_enqueued_after=timedelta(seconds=30),
        stalled_after=stalled_after,
        # Three rounds of arq's own tries, then the task is given up.
        max_attempts=settings.job_max_tries * 3,
    )
    if count:
        log.info("sweeper re-enqueued %d task(s)", count)
    return count
