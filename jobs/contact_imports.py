"""The contact import job: one task per import (and per continuation of a long one)."""

from __future__ import annotations

from arq import Retry

from resolvers.common.tasks import run_task
from resolvers.contacts import import_job


async def import_contacts(ctx: dict, task_id: int) -> None:
    settings = ctx["settings"]
    try:
        await run_task(task_id, import_job.run_import, settings.job_max_tries, ctx["job_try"])
    except Exception as exc:
        # Each chunk commits with its resume point, so a retry carries on after the last
        # committed chunk; the last try marks the import FAILED (`import_job._give_up`).
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc
