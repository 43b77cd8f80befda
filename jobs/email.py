"""Email delivery jobs."""

from __future__ import annotations

from arq import Retry

from resolvers.common.tasks import run_task
from resolvers.messaging import email


async def send_email(ctx: dict, task_id: int) -> None:
    settings = ctx["settings"]
    try:
        await run_task(task_id, email.deliver, settings.job_max_tries, ctx["job_try"])
    except OSError as exc:  # the SMTP relay is unreachable: try again later
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc
