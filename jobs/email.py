"""Email delivery jobs."""

from __future__ import annotations

from arq import Retry

from resolvers.common.tasks import run_task
from resolvers.messaging import email


async def send_email(ctx: dict, task_id: int) -> None:
    settings = ctx["settings"]
    try:
        await run_task(task_id, email.deliver, settings.job_max_tries, ctx["job_try"])
    except Exception as exc:
        # Not only OSError (the relay unreachable): a relay's 4xx reply, such as
        # greylisting's "451 try again later", raises aiosmtplib's SMTPResponseException,
        # and a job that fails without `Retry` is never run again by arq. The job is
        # idempotent, so any failure may be retried; the last try marks the task FAILED.
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc
