"""A large target's freeze, left by the request to the operation's jobs (operations.start
keeps the target's selection on the operation, `target_query`, when it selects more than
`bulk_freeze_in_request_max` records).

The freeze runs in slices, one `bulk_freeze` job each, so that no job outlives the job
timeout whatever the target's size: slice N freezes the next `bulk_freeze_slice_size`
records of the selection in record-id order (a keyset on the id: those after the last one
frozen, by one INSERT … SELECT), cuts them into chunks numbered after the earlier slices'
ones, and, in the same transaction, queues those chunks' jobs and slice N + 1's (both
enqueued after commit) and records where it got to in `target_query` (`slice`, `after`,
`chunks`); the last slice (fewer records than a slice) clears `target_query`. So chunks
of early slices run while later slices freeze, and `total` counts the records frozen so
far until the last slice. A slice run again finds `slice` moved on (or `target_query`
cleared) and does nothing; two runs at once meet on the items' unique positions and the
second rolls back. An operation canceled meanwhile stops freezing at its next slice. A
selection not in record-id order, or an action run in order, is frozen in one slice.

On PostgreSQL a slice takes the operation row's lock last, for its bookkeeping only: the
chunks running meanwhile meet on that row too, for their counters, and must not wait for
a slice's INSERT.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from carnet.settings import current_settings
from models.bulk import BulkOperation, BulkOperationState
from resolvers.bulk import chunks, progress, targets
from resolvers.bulk.actions import action_for
from resolvers.bulk.operations import FREEZE_JOB, JOB, chunk_size_for, in_order_depth
from resolvers.common.tasks import current_unit_of_work, on_give_up, unit_of_work
from resolvers.common.time import now


class _Superseded(Exception):
    """Another run of this slice committed first: this one rolls back."""


async def _locked_unfrozen(operation_id: int) -> BulkOperation | None:
    """The operation, locked, if its target is still to freeze (a write first, as chunks
    do: PostgreSQL's row lock, SQLite's database lock, taken before anything is read)."""
    waiting = BulkOperation.filter(id=operation_id, target_query__isnull=False)
    if not await waiting.update(updated_at=now()):
        return None
    return await BulkOperation.get(id=operation_id)


def _slice_size(operation: BulkOperation, stored: dict) -> int | None:
    """Records per slice; None for one slice of everything (a selection not in id order,
    whose positions a keyset on the id would not follow, or an action run in order,
    whose chunks each queue the next one)."""
    if tuple(stored["order"]) != ("id",) or action_for(operation.kind).in_order:
        return None
    return current_settings().bulk_freeze_slice_size


async def run_freeze(operation_id: int, number: int = 1) -> None:
    """The `bulk_freeze` job's body: slice `number` of the operation's freeze."""
    try:
        async with unit_of_work():
            operation = await _freeze_slice(operation_id, number)
    except (_Superseded, IntegrityError):
        # A concurrent run of this slice wrote the same positions and committed first.
        if await _slice_pending(operation_id, number):
            raise
        return
    if operation is not None:
        await progress.publish(operation)


async def _slice_pending(operation_id: int, number: int) -> bool:
    stored = await BulkOperation.filter(id=operation_id).values_list("target_query", flat=True)
    return bool(stored and stored[0] and stored[0].get("slice", 1) == number)


async def _freeze_slice(operation_id: int, number: int) -> BulkOperation | None:
    connection = current_unit_of_work().connection
    if connection.capabilities.dialect != "postgres":
        # SQLite: its database lock first, before anything is read (see _locked_unfrozen).
        if await _locked_unfrozen(operation_id) is None:
            return None
    operation = await BulkOperation.get_or_none(id=operation_id)
    if operation is None or operation.target_query is None:
        return None
    stored = operation.target_query
    if stored.get("slice", 1) != number:
        return None  # this slice is done: a second run
    offset, numbered = operation.total, int(stored.get("chunks", 0))
    size = _slice_size(operation, stored)
    written, last = 0, None
    if operation.state is not BulkOperationState.CANCELED:
        if size is None:
            written = await targets.freeze_stored(operation, stored)
        else:
            written, last = await targets.freeze_stored_slice(
                operation, stored, stored.get("after"), size
            )
    operation.total = offset + written
    cut = 0
    if written:
        cut = await targets.cut(operation, chunk_size_for(operation.kind), offset, numbered)
    locked = await _locked_unfrozen(operation_id)
    if locked is None or locked.target_query.get("slice", 1) != number:
        raise _Superseded()
    ended = size is None or written < size or locked.state is BulkOperationState.CANCELED
    queued = range(numbered + 1, numbered + cut + 1)
    if action_for(operation.kind).in_order:  # the first ones, each queueing the next
        queued = range(1, min(cut, in_order_depth()) + 1) if numbered == 0 else range(0)
    for chunk_number in queued:
        await current_unit_of_work().defer(JOB, operation_id, chunk_number)
    following = None
    if not ended:
        following = {**stored, "slice": number + 1, "after": last, "chunks": numbered + cut}
        await current_unit_of_work().defer(FREEZE_JOB, operation_id, number + 1)
    await BulkOperation.filter(id=operation_id).update(
        total=operation.total, target_query=following, updated_at=now()
    )
    locked.total, locked.target_query = operation.total, following
    if ended:  # nothing more to freeze: it ends now if no chunk is left to run
        return await chunks.settle(operation_id, now())
    return locked


async def fail_freeze(operation_id: int, number: int = 1) -> None:
    """When a slice of the freeze is given up: the operation FAILED, with what earlier
    slices froze left to run (their chunks are queued) and nothing more frozen; it ends
    once no chunk is left to run (at once when nothing was frozen)."""
    async with unit_of_work():
        operation = await _locked_unfrozen(operation_id)
        if operation is None:
            return
        await BulkOperation.filter(id=operation_id).update(
            state=BulkOperationState.FAILED, target_query=None, updated_at=now()
        )
        operation = await chunks.settle(operation_id, now())
    await progress.publish(operation)


on_give_up(FREEZE_JOB, fail_freeze)
