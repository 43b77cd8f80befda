"""Running one chunk of an operation, exactly once.

A chunk runs in one transaction that locks its chunk row, returns at once if the chunk is
no longer PENDING, applies the action to its PENDING items, writes their results and the
operation's counters, and marks itself DONE: a chunk job run twice (a retry, a killed
worker, a re-enqueue by the sweeper) has the effect of one run. Chunks of one operation
may run at once on several workers; they meet only on the operation's row, last, for its
counters, one statement before their commit. The chunk whose counters bring `processed`
to `total` ends the operation (`settle`, which checks that no chunk is left PENDING).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from carnet.i18n import N_
from models.bulk import (
    BulkChunkState,
    BulkItemStatus,
    BulkOperation,
    BulkOperationChunk,
    BulkOperationItem,
    BulkOperationState,
)
from models.tasks import Task, TaskStatus
from resolvers.bulk import progress, turns
from resolvers.bulk.actions import ChunkContext, RecordResult, action_for
from resolvers.bulk.operations import JOB, counts, in_order_depth
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.tasks import current_unit_of_work, on_give_up, unit_of_work
from resolvers.common.time import now

CANCELED = "CANCELED"
NOT_FOUND = "NOT_FOUND"
CHUNK_FAILED = "CHUNK_FAILED"
_MESSAGES = {
    CANCELED: N_("The operation was canceled before this record's turn."),
    NOT_FOUND: N_("The record no longer exists."),
    CHUNK_FAILED: N_("This record's part of the operation failed after repeated errors."),
}
# Rows per results statement: well under SQLite's and PostgreSQL's parameter limits.
_RESULTS_PER_STATEMENT = 1000


async def run_chunk(operation_id: int, number: int) -> None:
    """The `bulk_chunk` job's body."""
    for attempt in (1, 2):
        try:
            operation = await _run_chunk(operation_id, number)
        except turns.Respeculate:
            if attempt == 2:
                raise
            continue
        except turns.PredecessorFailed:
            await fail_chunk(operation_id, number)
            return
        except turns.NotYourTurn:
            # Rolled back. Queued again as a new task, behind the one before it, rather
            # than kept waiting: a job slot held that long (and retries spent on it, then
            # the import failed) for a chunk that is not late itself. The one before it is
            # queued too if no task of it is pending: one never queued (a chunk before it
            # run by a version of Carnet that queued only the next) would hold them all.
            async with unit_of_work():
                await _queue_unless_pending(operation_id, number - 1)
                await current_unit_of_work().defer(JOB, operation_id, number)
            return
        if operation is not None:
            await progress.publish(operation)
        return


async def _run_chunk(operation_id: int, number: int) -> BulkOperation | None:
    async with unit_of_work():
        chunk = await _locked_pending(operation_id, number)
        if chunk is None:
            return None
        operation = await BulkOperation.get(id=operation_id).select_related("organization")
        moment = now()
        record_ids = await _pending_records(chunk)
        action = action_for(operation.kind)
        depth = in_order_depth() if action.in_order else 0
        turn = turns.Turn(operation_id, number, waits=depth > 1)
        alongside = not turn.taken
        if operation.state is BulkOperationState.CANCELED:
            results = [_reason(pk, BulkItemStatus.SKIPPED, CANCELED) for pk in record_ids]
        else:
            context = ChunkContext(
                operation=operation,
                organization=operation.organization,
                started_by_id=operation.started_by_id,
                params=operation.params or {},
                connection=current_unit_of_work().connection,
                moment=moment,
                chunk_number=number,
                turn=turn,
                alongside=alongside,
            )
            results = await action.apply(context, record_ids)
        await turn()  # before the operation's counters, which chunks share
        running = operation.state is not BulkOperationState.CANCELED
        if alongside and running and await _canceled(operation_id):
            raise turns.Respeculate()  # canceled while it waited: run again, skipping
        operation = await _record(chunk, record_ids, results, BulkChunkState.DONE, moment)
        if action.in_order:
            await _queue_next(operation_id, number + depth)
    return operation


async def _canceled(operation_id: int) -> bool:
    return await BulkOperation.exists(id=operation_id, state=BulkOperationState.CANCELED)


async def _queue_unless_pending(operation_id: int, number: int) -> None:
    """The chunk's job, unless the chunk is done or a task of it is pending already."""
    if not await BulkOperationChunk.exists(
        operation_id=operation_id, number=number, state=BulkChunkState.PENDING
    ):
        return
    if not await Task.exists(function=JOB, status=TaskStatus.PENDING, args=[operation_id, number]):
        await current_unit_of_work().defer(JOB, operation_id, number)


async def _queue_next(operation_id: int, number: int) -> None:
    """An in-order action's next chunk (`depth` after this one), queued in this chunk's
    transaction: enqueued once this one has committed (a second run of this chunk finds it
    done and queues nothing)."""
    if await BulkOperationChunk.exists(
        operation_id=operation_id, number=number, state=BulkChunkState.PENDING
    ):
        await current_unit_of_work().defer(JOB, operation_id, number)


async def fail_chunk(operation_id: int, number: int) -> None:
    """When the chunk's task is given up: its records FAILED, the operation FAILED once
    its other chunks are done. An in-order action stops there: the chunks after it fail
    too."""
    async with unit_of_work():
        chunk = await _locked_pending(operation_id, number)
        if chunk is None:
            return
        failing = [chunk]
        kind = await BulkOperation.filter(id=operation_id).values_list("kind", flat=True)
        if action_for(kind[0]).in_order:
            # Not the one running after it (PostgreSQL runs two at once): at its turn it
            # finds this one FAILED and fails itself and those after it.
            failing += await BulkOperationChunk.filter(
                operation_id=operation_id, number__gt=number, state=BulkChunkState.PENDING
            ).order_by("number").select_for_update(skip_locked=True)
        moment = now()
        for each in failing:
            record_ids = await _pending_records(each)
            results = [_reason(pk, BulkItemStatus.FAILED, CHUNK_FAILED) for pk in record_ids]
            operation = await _record(each, record_ids, results, BulkChunkState.FAILED, moment)
    await progress.publish(operation)


on_give_up(JOB, fail_chunk)


def _reason(record_id: int, status: BulkItemStatus, code: str) -> RecordResult:
    return RecordResult(record_id, status, code, _MESSAGES[code])


async def _locked_pending(operation_id: int, number: int) -> BulkOperationChunk | None:
    """The chunk, locked, if still PENDING. Locked by a write that changes nothing rather
    than SELECT … FOR UPDATE: a second run waits for the first to commit, then matches no
    row (PostgreSQL); and SQLite, which has no row locks, takes its write lock before the
    transaction reads anything, so a worker process never finds the snapshot it read from
    outdated by another's commit ("database is locked", without waiting)."""
    pending = BulkOperationChunk.filter(
        operation_id=operation_id, number=number, state=BulkChunkState.PENDING
    )
    if not await pending.update(state=BulkChunkState.PENDING):
        return None
    return await pending.first()


async def _pending_records(chunk: BulkOperationChunk) -> list[int]:
    return await (
        BulkOperationItem.filter(
            operation_id=chunk.operation_id,
            position__gte=chunk.first_position,
            position__lte=chunk.last_position,
            status=BulkItemStatus.PENDING,
        )
        .order_by("position")
        .values_list("record_id", flat=True)
    )


async def _record(
    chunk: BulkOperationChunk,
    record_ids: Sequence[int],
    results: Sequence[RecordResult],
    state: BulkChunkState,
    moment: datetime,
) -> BulkOperation:
    """Writes the chunk's results, its state and the operation's counters; ends the
    operation when no chunk is left. The fresh operation, for progress."""
    wanted = set(record_ids)
    given = {r.record_id: r for r in results if r.record_id in wanted}
    complete = [
        given.get(pk) or _reason(pk, BulkItemStatus.SKIPPED, NOT_FOUND) for pk in record_ids
    ]
    await write_results(chunk.operation_id, complete, moment)
    await BulkOperationChunk.filter(id=chunk.id).update(state=state, done_at=moment)
    tally = Counter(r.status for r in complete)
    # Last: the operation's row is where concurrent chunks meet. Its lock is taken at the
    # end of each chunk only, so chunks never wait for each other's work (and never
    # deadlock: every other lock a chunk takes comes before this one).
    # One statement, then the commit: all the time a chunk holds that lock, unless it is
    # the last one, which settles the operation.
    counted = await _count(chunk.operation_id, tally, moment)
    if counted.finished_at is None and counted.processed >= counted.total:
        return await settle(chunk.operation_id, moment)
    return counted


_COUNTED = ("id", "kind", "state", "total", "processed", "succeeded", "skipped", "failed")


async def _count(operation_id: int, tally: Counter, moment: datetime) -> BulkOperation:
    """The chunk's results added to the operation's counters, and the operation RUNNING if
    it was still CREATED, in one statement that answers the counters after it (an unsaved
    BulkOperation holding them, for progress). Every item is processed by its chunk only,
    once, so the chunk that brings `processed` to `total` is the last one; the counters
    read back are the row's latest (the statement waited for any other chunk's commit),
    not those of a snapshot taken before."""
    connection = current_unit_of_work().connection
    postgres = connection.capabilities.dialect == "postgres"
    at, started = ("$1", "$2") if postgres else ("?", "?")
    created, running = BulkOperationState.CREATED.value, BulkOperationState.RUNNING.value
    succeeded, skipped, failed = (
        int(tally[status])
        for status in (BulkItemStatus.SUCCEEDED, BulkItemStatus.SKIPPED, BulkItemStatus.FAILED)
    )
    # ints and constants only in the text: safe to format
    rows = await connection.execute_query_dict(
        f"UPDATE bulk_operation SET processed = processed + {succeeded + skipped + failed}, "
        f"succeeded = succeeded + {succeeded}, skipped = skipped + {skipped}, "
        f"failed = failed + {failed}, updated_at = {at}, "
        f"started_at = CASE WHEN state = '{created}' THEN {started} ELSE started_at END, "
        f"state = CASE WHEN state = '{created}' THEN '{running}' ELSE state END "
        f"WHERE id = {int(operation_id)} "
        f"RETURNING {', '.join(_COUNTED)}, finished_at",
        [moment, moment],
    )
    values = rows[0]
    return BulkOperation(
        **{name: values[name] for name in _COUNTED if name != "state"},
        state=BulkOperationState(values["state"]),
        finished_at=values["finished_at"],
    )


async def write_results(
    operation_id: int, results: Sequence[RecordResult], moment: datetime
) -> None:
    """The results written over their PENDING items, whatever the results hold: on
    PostgreSQL one UPDATE … FROM unnest(arrays) for the whole chunk (one statement of
    fixed text, so its plan is cached, with seven parameters however many records);
    elsewhere one UPDATE … FROM (VALUES …) per thousand records."""
    connection = current_unit_of_work().connection
    if connection.capabilities.dialect == "postgres":
        await _write_results_postgres(connection, operation_id, results, moment)
        return
    for start in range(0, len(results), _RESULTS_PER_STATEMENT):
        batch = results[start : start + _RESULTS_PER_STATEMENT]
        params: list = [moment]
        for result in batch:
            params += [int(result.record_id), *_columns(result)]
        rows = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(batch))
        await connection.execute_query(
            "UPDATE bulk_operation_item SET status = v.column2, reason_code = v.column3, "
            'message = v.column4, "before" = v.column5, "after" = v.column6, '
            f"processed_at = ? FROM (VALUES {rows}) AS v "
            f"WHERE bulk_operation_item.operation_id = {int(operation_id)} "
            "AND bulk_operation_item.record_id = v.column1",
            params,
        )


_WRITE_RESULTS_POSTGRES = (
    "UPDATE bulk_operation_item AS i SET status = v.status, reason_code = v.code, "
    'message = v.message, "before" = v.before::jsonb, "after" = v.after::jsonb, '
    "processed_at = $1::timestamptz "
    "FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) "
    "AS v(record_id, status, code, message, before, after) "
    "WHERE i.operation_id = $2::bigint AND i.record_id = v.record_id "
    # The same rows, said so that they are looked up in the (operation, record) index
    # whatever the statistics of a table filled since its last ANALYZE say.
    "AND i.record_id = ANY($3::bigint[])"
)


async def _write_results_postgres(
    connection, operation_id: int, results: Sequence[RecordResult], moment: datetime
) -> None:
    if not results:
        return
    columns: list[list] = [[], [], [], [], [], []]
    for result in results:
        columns[0].append(int(result.record_id))
        for column, value in zip(columns[1:], _columns(result), strict=True):
            column.append(value)
    await connection.execute_query(_WRITE_RESULTS_POSTGRES, [moment, int(operation_id), *columns])


def _columns(result: RecordResult) -> tuple[str, str, str, str | None, str | None]:
    """status, reason code, message, before and after (JSON text) of one result."""
    return (
        BulkItemStatus(result.status).value,
        result.reason_code,
        result.message,
        _json(result.before),
        _json(result.after),
    )


def _json(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value)


async def settle(operation_id: int, moment: datetime) -> BulkOperation:
    """The operation, ended if no chunk is left PENDING and its target is all frozen (run
    holding its row's lock, so of two last chunks committing at once, the second sees the
    first's)."""
    operation = await BulkOperation.get(id=operation_id)
    if (
        operation.finished_at is not None
        or operation.target_query is not None  # still freezing (resolvers.bulk.freezing)
        or await BulkOperationChunk.exists(operation_id=operation_id, state=BulkChunkState.PENDING)
    ):
        return operation
    # FAILED already: a freeze given up after some of its slices (resolvers.bulk.freezing)
    if operation.state not in (BulkOperationState.CANCELED, BulkOperationState.FAILED):
        failed = await BulkOperationChunk.exists(
            operation_id=operation_id, state=BulkChunkState.FAILED
        )
        operation.state = BulkOperationState.FAILED if failed else BulkOperationState.COMPLETED
    operation.finished_at = moment
    await BulkOperation.filter(id=operation_id).update(
        state=operation.state, finished_at=moment, updated_at=moment
    )
    finish = action_for(operation.kind).finish
    if finish is not None:
        await finish(operation)
    event = {
        BulkOperationState.COMPLETED: "bulk_operation.complete",
        BulkOperationState.FAILED: "bulk_operation.fail",
        BulkOperationState.CANCELED: "bulk_operation.stop",
    }[operation.state]
    await audit.record(
        event,
        actor=None,
        meta=RequestMeta(),
        organization_id=operation.organization_id,
        target=("BulkOperation", operation.id),
        after={"kind": operation.kind, **counts(operation)},
    )
    return operation
