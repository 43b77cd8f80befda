"""Housekeeping crons: the task sweeper and purge, the outbox purge, the sign-in history
purge."""

from __future__ import annotations

import logging
from datetime import timedelta

from resolvers.common import tasks
from resolvers.common.time import now
from resolvers.identity import sign_in_attempts
from resolvers.messaging import email

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


async def purge_outbox(ctx: dict) -> int:
    """Blanks what finished emails kept, once past `CARNET_OUTBOX_RETENTION_DAYS`."""
    retention = timedelta(days=ctx["settings"].outbox_retention_days)
    count = await email.purge_finished(older_than=now() - retention)
    if count:
        log.info("blanked %d sent email(s) past the outbox retention", count)
    return count


async def purge_sign_in_attempts(ctx: dict) -> int:
    """Deletes failed sign-ins and lockouts older than
    `CARNET_SIGN_IN_ATTEMPT_RETENTION_DAYS`."""
    retention = timedelta(days=ctx["settings"].sign_in_attempt_retention_days)
    count = await sign_in_attempts.purge(older_than=now() - retention)
    if count:
        log.info("deleted %d sign-in attempt(s) past their retention", count)
    return count


async def purge_tasks(ctx: dict) -> int:
    """Deletes tasks finished more than `CARNET_TASK_RETENTION_DAYS` ago (their work is
    recorded where it belongs: the audit log, the outbox, the operation's results)."""
    retention = timedelta(days=ctx["settings"].task_retention_days)
    count = await tasks.purge_finished(older_than=now() - retention)
    if count:
        log.info("deleted %d finished task(s) past their retention", count)
    return count
