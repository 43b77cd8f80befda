"""A large target's first job: the freeze the request left to it (operations.start keeps
the target's selection on the operation, `target_query`, when it selects more than
`bulk_freeze_in_request_max` records).

In one transaction it freezes the items from the kept selection, cuts them into chunks,
clears `target_query` and queues the chunks' jobs (after commit). Run twice, the second
run waits for the first's lock, then finds `target_query` cleared: one freeze. An
operation canceled before its freeze ends with nothing frozen; one whose target has
become empty completes with a total of 0.
"""

from __future__ import annotations

from models.bulk import BulkOperation, BulkOperationState
from resolvers.bulk import chunks, progress, targets
from resolvers.bulk.actions import action_for
from resolvers.bulk.operations import FREEZE_JOB, counts, queue_chunks
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.tasks import on_give_up, unit_of_work
from resolvers.common.time import now


async def _locked_unfrozen(operation_id: int) -> BulkOperation | None:
    """The operation, locked, if its target is still to freeze (a write first, as chunks
    do: PostgreSQL's row lock, SQLite's database lock, taken before anything is read)."""
    waiting = BulkOperation.filter(id=operation_id, target_query__isnull=False)
    if not await waiting.update(updated_at=now()):
        return None
    return await BulkOperation.get(id=operation_id)


async def run_freeze(operation_id: int) -> None:
    """The `bulk_freeze` job's body."""
    async with unit_of_work():
        operation = await _locked_unfrozen(operation_id)
        if operation is None:
            return
        stored = operation.target_query
        await BulkOperation.filter(id=operation_id).update(target_query=None)
        if operation.state is not BulkOperationState.CANCELED:
            operation.total = await targets.freeze_stored(operation, stored)
            if operation.total:
                await queue_chunks(operation)
        if operation.total == 0:  # nothing left to run: it ends now
            operation = await chunks.settle(operation_id, now())
    await progress.publish(operation)


async def fail_freeze(operation_id: int) -> None:
    """When the freeze is given up: the operation FAILED, with nothing frozen."""
    async with unit_of_work():
        operation = await _locked_unfrozen(operation_id)
        if operation is None:
            return
        moment = now()
        operation.state, operation.finished_at = BulkOperationState.FAILED, moment
        await BulkOperation.filter(id=operation_id).update(
            state=operation.state, finished_at=moment, target_query=None, updated_at=moment
        )
        finish = action_for(operation.kind).finish
        if finish is not None:
            await finish(operation)
        await audit.record(
            "bulk_operation.fail",
            actor=None,
            meta=RequestMeta(),
            organization_id=operation.organization_id,
            target=("BulkOperation", operation.id),
            after={"kind": operation.kind, **counts(operation)},
        )
    await progress.publish(operation)


on_give_up(FREEZE_JOB, fail_freeze)
