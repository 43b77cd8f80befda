"""Bulk operation jobs: one per chunk. The action modules are imported here so that the
registry is full in the worker (resolvers.bulk.actions)."""

from __future__ import annotations

import resolvers.colours.bulk  # noqa: F401  (registers CONTACT_COLOUR_SET)
from resolvers.bulk import chunks
from resolvers.common.tasks import run_job
from resolvers.contacts import bulk_actions  # noqa: F401  (update, archive, restore, undo)


async def bulk_chunk(ctx: dict, task_id: int) -> None:
    # The chunk commits its results with its DONE state, so a retry or a second run of the
    # same task finds it done; the last try marks it FAILED (chunks.fail_chunk).
    await run_job(ctx, task_id, chunks.run_chunk)
