"""Undoing a bulk operation: a new operation (kind UNDO, `undo_of` set) whose target is the
records the original changed (its SUCCEEDED items), frozen like any other target, and whose
chunks put back each item's `before` where the record still shows its `after`; a record
changed since is SKIPPED with CHANGED_SINCE.

What "put back" means is the original action's: each undoable kind registers its undoer
here (`register_undo`), from its own domain, next to the action. An operation is undone at
most once (`undone_by`, set under a lock of the original's row when the undo starts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.expressions import Subquery
from tortoise.models import Model

from carnet.i18n import N_
from models.bulk import (
    BulkItemStatus,
    BulkOperation,
    BulkOperationItem,
    BulkOperationKind,
)
from resolvers.bulk import operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, action_for, register
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import Forbidden, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work

FIELD = ("input", "id")

# (before, after) of each record, as the original operation's items recorded them.
Recorded = dict[int, tuple[dict[str, Any], dict[str, Any]]]
# Called with the undo's chunk context, the original operation, and its records' values.
Undoer = Callable[[ChunkContext, BulkOperation, Recorded], Awaitable[list[RecordResult]]]

_UNDOERS: dict[str, Undoer] = {}
# The model of each undoable kind's records: the undo's target is those still there.
_MODELS: dict[str, type[Model]] = {}


def register_undo(kind: str, undoer: Undoer, model: type[Model]) -> None:
    _UNDOERS[kind] = undoer
    _MODELS[kind] = model


def can_undo(operation: BulkOperation) -> bool:
    """Whether `bulkOperationUndo` would start for it now (permissions aside)."""
    return (
        operation.kind in _UNDOERS
        and operation.undone_by_id is None
        and operation.finished_at is not None
        and operation.succeeded > 0
    )


def check_undoable(actor: Actor, original: BulkOperation) -> None:
    """Raises what refuses undoing `original` (locked by the caller)."""
    if original.kind not in _UNDOERS:
        raise UserErrors.single(
            UserErrorCode.NOT_UNDOABLE, FIELD, N_("This kind of operation cannot be undone.")
        )
    if not actor.can(action_for(original.kind).permission):
        raise Forbidden()
    if original.succeeded == 0 and original.finished_at is not None:
        raise UserErrors.single(
            UserErrorCode.NOT_UNDOABLE, FIELD, N_("This operation changed nothing to undo.")
        )
    if original.undone_by_id is not None:
        raise UserErrors.single(
            UserErrorCode.ALREADY_UNDONE, FIELD, N_("This operation was already undone.")
        )
    if original.finished_at is None:  # canceled ones too, until their last chunk has run
        raise UserErrors.single(
            UserErrorCode.NOT_FINISHED,
            FIELD,
            N_("This operation is still running: cancel it or wait for it to finish."),
        )


async def locked_operation(actor: Actor, operation_id: int | None) -> BulkOperation:
    operation = None
    if operation_id is not None:
        operation = (
            await BulkOperation.filter(id=operation_id, organization_id=actor.organization_id)
            .select_for_update()
            .first()
        )
    if operation is None:
        raise NotFound(FIELD)
    return operation


async def start_undo(actor: Actor, operation_id: int | None) -> BulkOperation:
    """Starts undoing the operation; refused (nothing written) when it is another
    organization's (NOT_FOUND), not undoable, already undone or not finished."""
    async with unit_of_work():
        original = await locked_operation(actor, operation_id)
        check_undoable(actor, original)
        changed = BulkOperationItem.filter(
            operation_id=original.id, status=BulkItemStatus.SUCCEEDED
        ).values("record_id")
        records = _MODELS[original.kind].filter(
            organization_id=actor.organization_id, id__in=Subquery(changed)
        )
        undo = await operations.start(
            actor,
            BulkOperationKind.UNDO,
            records,
            target={"undo_of": original.id},
            params={},
            target_field=FIELD,
            undo_of_id=original.id,
        )
        # The undo's records are the original's, whatever their type.
        undo.record_type = original.record_type
        await BulkOperation.filter(id=undo.id).update(record_type=original.record_type)
        await BulkOperation.filter(id=original.id).update(undone_by_id=undo.id)
        await _record_start(actor, original, undo)
    return undo


async def _record_start(actor: Actor, original: BulkOperation, undo: BulkOperation) -> None:
    await audit.record(
        "bulk_operation.undo",
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=("BulkOperation", original.id),
        after={"undo_operation_id": undo.id, "kind": original.kind, "total": undo.total},
    )


async def _apply(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    original = await BulkOperation.get(id=context.operation.undo_of_id)
    rows = await BulkOperationItem.filter(
        operation_id=original.id, record_id__in=list(record_ids), status=BulkItemStatus.SUCCEEDED
    ).values_list("record_id", "before", "after")
    recorded = {pk: (before or {}, after or {}) for pk, before, after in rows}
    return await _UNDOERS[original.kind](context, original, recorded)


# Starting an undo needs bulk.run and the original action's permission (check_undoable).
register(
    BulkOperationKind.UNDO,
    Action(record_type="", permission=Permission.BULK_RUN, apply=_apply, undoable=False),
)
