"""Bulk operation jobs: one per chunk. The action modules are imported here so that the
registry is full in the worker (resolvers.bulk.actions)."""

from __future__ import annotations

from resolvers.billing import bulk_refunds as refund_actions
from resolvers.bulk import chunks
from resolvers.colours import bulk as colour_actions
from resolvers.common.tasks import run_job
from resolvers.contacts import bulk_actions as contact_actions
from resolvers.groups import bulk as group_actions
from resolvers.transfers import exports as export_actions

# The modules that register batch actions (resolvers.bulk.actions.register), imported so
# that the worker's registry is full.
ACTION_MODULES = (
    colour_actions,
    group_actions,
    contact_actions,  # update, archive, restore, and every contact undoer
    export_actions,  # contact exports, one part of the file per chunk
    refund_actions,  # batch refunds of payments
)


async def bulk_chunk(ctx: dict, task_id: int) -> None:
    # The chunk commits its results with its DONE state, so a retry or a second run of the
    # same task finds it done; the last try marks it FAILED (chunks.fail_chunk).
    await run_job(ctx, task_id, chunks.run_chunk)
