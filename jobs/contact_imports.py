"""The contact import job: one task per import (and per continuation of a long one)."""

from __future__ import annotations

from resolvers.common.tasks import run_job
from resolvers.contacts import import_job


async def import_contacts(ctx: dict, task_id: int) -> None:
    # Each chunk commits with its resume point, so a retry carries on after the last
    # committed chunk; the last try marks the import FAILED (`import_job._give_up`).
    await run_job(ctx, task_id, import_job.run_import)
