"""Starting, canceling and reading bulk operations.

`start` freezes the target, cuts it into chunks and defers one durable task per chunk, all
in the caller's unit of work: the chunks are enqueued after it commits, and the sweeper
re-enqueues any whose job died (resolvers.common.tasks). Nothing of the target is read
into Python. The action's own checks (its arguments, its permission) come first, in the
action's module (e.g. resolvers.colours.bulk). A target of more than
`bulk_freeze_in_request_max` records is not frozen in the request: its selection is kept
on the operation and a first job freezes, cuts and queues it (resolvers.bulk.freezing), so
starting costs the same few statements whatever the target's size.
"""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from carnet.i18n import N_
from carnet.settings import current_settings
from models.bulk import BulkOperation, BulkOperationItem, BulkOperationState
from resolvers.bulk import progress, targets
from resolvers.bulk.actions import action_for
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import FieldPath, Forbidden, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.permissions import Permission
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.time import now

JOB = "bulk_chunk"
FREEZE_JOB = "bulk_freeze"  # a large target's first job (resolvers.bulk.freezing)


def counts(operation: BulkOperation) -> dict[str, int]:
    return {
        "total": operation.total,
        "processed": operation.processed,
        "succeeded": operation.succeeded,
        "skipped": operation.skipped,
        "failed": operation.failed,
    }


async def start(
    actor: Actor,
    kind: str,
    records: QuerySet,
    *,
    target: dict[str, Any],
    params: dict[str, Any],
    target_field: FieldPath = ("input", "target"),
    undo_of_id: int | None = None,
) -> BulkOperation:
    """A new operation of `kind` on the records `records` selects now; EMPTY_TARGET (and
    nothing written) when it selects none. A target larger than
    `bulk_freeze_in_request_max` is frozen by the operation's first job (`FREEZE_JOB`):
    the request costs the same few statements whatever the target's size. Call it inside
    the caller's unit of work."""
    action = action_for(kind)
    if not (actor.can(Permission.BULK_RUN) and actor.can(action.permission)):
        raise Forbidden()
    async with unit_of_work():
        operation = await launch(
            actor,
            kind,
            records,
            target=target,
            params=params,
            undo_of_id=undo_of_id,
            freeze_later_if_large=True,
        )
        if operation.total == 0 and operation.target_query is None:
            raise UserErrors.single(
                UserErrorCode.EMPTY_TARGET, target_field, N_("No record matches: nothing to do.")
            )
    return operation


async def launch(
    actor: Actor,
    kind: str,
    records: QuerySet | targets.Numbered,
    *,
    target: dict[str, Any],
    params: dict[str, Any],
    order: tuple[str, ...] = ("id",),
    undo_of_id: int | None = None,
    chunk_size: int | None = None,
    freeze_later_if_large: bool = False,
) -> BulkOperation:
    """Freezes, cuts and queues the operation, with no permission check and whatever the
    target's size (an empty one has no chunk: its caller ends it). For work the engine runs
    on behalf of another feature that checked its own rights (e.g. contact exports and
    imports). `records` may be `targets.Numbered` (records 1..n of no table). An action
    that runs `in_order` has its first chunks queued only (each queues the next).
    Inside the caller's unit of work."""
    action = action_for(kind)
    async with unit_of_work():
        operation = await BulkOperation.create(
            organization_id=actor.organization_id,
            kind=kind,
            record_type=action.record_type,
            params=params,
            target=target,
            started_by=actor.user,
            undo_of_id=undo_of_id,
        )
        later = freeze_later_if_large and await _freeze_later(operation, records, order)
        if not later:
            operation.total = await targets.freeze(operation, records, order)
            if operation.total == 0:
                return operation
            await queue_chunks(operation, chunk_size)
        await audit.record(
            "bulk_operation.start",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("BulkOperation", operation.id),
            after={
                "kind": kind,
                "total": None if later else operation.total,  # frozen later: not known yet
                "target": target,
                "params": params,
            },
        )
    return operation


async def _freeze_later(
    operation: BulkOperation, records: QuerySet | targets.Numbered, order: tuple[str, ...]
) -> bool:
    """Keeps a large target's selection on the operation and queues the job that freezes
    it; False (freeze now) for a small one."""
    if not isinstance(records, QuerySet):
        return False
    if not await targets.more_than(records, current_settings().bulk_freeze_in_request_max):
        return False
    stored = targets.statement(records, order)
    if stored is None:
        return False
    operation.target_query = stored
    await BulkOperation.filter(id=operation.id).update(target_query=stored)
    await current_unit_of_work().defer(FREEZE_JOB, operation.id)
    return True


def chunk_size_for(kind: str, chunk_size: int | None = None) -> int:
    """Records per chunk: `chunk_size` or the setting, at most what the action allows."""
    size = chunk_size or current_settings().bulk_chunk_size
    largest = action_for(kind).max_chunk_size
    return size if largest is None else min(size, largest)


async def queue_chunks(operation: BulkOperation, chunk_size: int | None = None) -> None:
    """Cuts the frozen items into chunks and queues their jobs (only the first ones for an
    action run in order: each queues the next, `in_order_depth`)."""
    chunks = await targets.cut(operation, chunk_size_for(operation.kind, chunk_size))
    await BulkOperation.filter(id=operation.id).update(total=operation.total)
    queued = in_order_depth() if action_for(operation.kind).in_order else chunks
    for number in range(1, min(queued, chunks) + 1):
        await current_unit_of_work().defer(JOB, operation.id, number)


def in_order_depth() -> int:
    """How many chunks of an in-order action run at once: two on PostgreSQL (the second
    prepares while the first commits; each chunk queues the one `depth` after it as it
    commits), one on SQLite (one writer at a time)."""
    connection = current_unit_of_work().connection
    return 2 if connection.capabilities.dialect == "postgres" else 1


async def cancel(actor: Actor, operation_id: int | None) -> BulkOperation:
    """Stops the operation at its next chunk: the chunks not yet run skip their records
    (reason CANCELED); what was done stays done. ALREADY_FINISHED once it has ended.
    Besides bulk.run, it takes the permission starting the action takes."""
    async with unit_of_work():
        operation = await locked_row(BulkOperation, actor, operation_id, ("input", "id"))
        if not actor.can(action_for(operation.kind).permission):
            raise Forbidden()  # e.g. an import's operation needs contacts.import_export too
        if BulkOperationState(operation.state).finished:
            raise UserErrors.single(
                UserErrorCode.ALREADY_FINISHED,
                ("input", "id"),
                N_("This operation has already finished."),
            )
        moment = now()
        operation.state = BulkOperationState.CANCELED
        operation.canceled_at, operation.canceled_by = moment, actor.user
        await BulkOperation.filter(id=operation.id).update(
            state=operation.state,
            canceled_at=moment,
            canceled_by_id=actor.user.id,
            updated_at=moment,
        )
        await audit.record(
            "bulk_operation.cancel",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("BulkOperation", operation.id),
            after={"kind": operation.kind, **counts(operation)},
        )
    await progress.publish(operation)
    return operation


async def operation(actor: Actor, operation_id: int | None) -> BulkOperation:
    found = None
    if operation_id is not None:
        found = await BulkOperation.get_or_none(
            id=operation_id, organization_id=actor.organization_id
        )
    if found is None:
        raise NotFound(("id",))
    return found


async def operations(
    actor: Actor, state: BulkOperationState | None, kind: str | None, **page_args
) -> Page:
    """The organization's operations, newest first."""
    qs = BulkOperation.filter(organization_id=actor.organization_id)
    if state is not None:
        qs = qs.filter(state=state)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return await paginate(qs, order=("-id",), **page_args)


async def results(operation: BulkOperation, status: str | None, **page_args) -> Page:
    """The operation's records in target order, with what was done to each."""
    qs = BulkOperationItem.filter(operation_id=operation.id)
    if status is not None:
        qs = qs.filter(status=status)
    return await paginate(qs, order=("position",), **page_args)
