"""Bulk operation jobs: one per chunk, and one freezing a large target first. The action
modules are imported here so that the registry is full in the worker
(resolvers.bulk.actions)."""

from __future__ import annotations

from resolvers.billing import bulk_refunds as refund_actions
from resolvers.bulk import chunks, freezing
from resolvers.colours import bulk as colour_actions
from resolvers.common.tasks import run_job
from resolvers.contacts import bulk_actions as contact_actions
from resolvers.groups import bulk as group_actions
from resolvers.messaging import deliveries as message_actions
from resolvers.transfers import exports as export_actions
from resolvers.transfers import import_job as import_actions

# The modules that register batch actions (resolvers.bulk.actions.register), imported so
# that the worker's registry is full.
ACTION_MODULES = (
    colour_actions,
    group_actions,
    contact_actions,  # update, archive, restore, and every contact undoer
    export_actions,  # contact exports, one part of the file per chunk
    import_actions,  # contact imports, one chunk of the file's rows per chunk, in order
    message_actions,  # group messages: one delivery per recipient
    refund_actions,  # batch refunds of payments
)


async def bulk_chunk(ctx: dict, task_id: int) -> None:
    # The chunk commits its results with its DONE state, so a retry or a second run of the
    # same task finds it done; the last try marks it FAILED (chunks.fail_chunk).
    await run_job(ctx, task_id, chunks.run_chunk)


async def bulk_freeze(ctx: dict, task_id: int) -> None:
    # A large target's first job: freezes it and queues the chunks, in one transaction
    # (run again, it finds the target frozen); the last try marks the operation FAILED.
    await run_job(ctx, task_id, freezing.run_freeze)
