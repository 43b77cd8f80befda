"""Bulk operation jobs: one per chunk. The action modules are imported here so that the
registry is full in the worker (resolvers.bulk.actions)."""

from __future__ import annotations

from resolvers.bulk import chunks
from resolvers.colours import bulk as colour_actions
from resolvers.common.tasks import run_job
from resolvers.groups import bulk as group_actions

# The modules that register batch actions (resolvers.bulk.actions.register), imported so
# that the worker's registry is full.
ACTION_MODULES = (
    colour_actions,
    group_actions,
)


async def bulk_chunk(ctx: dict, task_id: int) -> None:
    # The chunk commits its results with its DONE state, so a retry or a second run of the
    # same task finds it done; the last try marks it FAILED (chunks.fail_chunk).
    await run_job(ctx, task_id, chunks.run_chunk)
