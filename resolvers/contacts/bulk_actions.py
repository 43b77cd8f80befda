"""The contact batch actions on the bulk-operation engine: starting `contactsBulkUpdate`,
`contactsBulkArchive` and `contactsBulkRestore`, and their chunk functions, registered with
resolvers.bulk; importing this module also registers every contact undoer (bulk_undoers).
jobs.bulk imports it so the worker knows them all.

What each action does to a chunk is in bulk_update.py / bulk_archive.py."""

from __future__ import annotations

from collections.abc import Sequence

import resolvers.contacts.bulk_undoers  # noqa: F401  (registers the contact undoers)
from models.bulk import BulkOperation, BulkOperationKind
from models.identity import User
from resolvers.bulk import contact_targets, operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.bulk.contact_targets import ContactTarget
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work
from resolvers.contacts import bulk_archive, bulk_update
from resolvers.contacts.bulk_results import results


async def _update(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    user = None
    if "withdraw_consent" in context.params and context.started_by_id is not None:
        # Who withdrew consent is named in its history, as when recorded by hand.
        user = await User.get_or_none(id=context.started_by_id)
    outcomes = await bulk_update.apply(
        context.organization.id,
        context.operation.id,
        user,
        RequestMeta(),
        context.params,
        list(record_ids),
    )
    return results(outcomes)


async def _archive(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    return results(await bulk_archive.apply(context.organization.id, list(record_ids), True))


async def _restore(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    return results(await bulk_archive.apply(context.organization.id, list(record_ids), False))


for _kind, _apply in (
    (BulkOperationKind.CONTACT_UPDATE, _update),
    (BulkOperationKind.CONTACT_ARCHIVE, _archive),
    (BulkOperationKind.CONTACT_RESTORE, _restore),
):
    register(
        _kind,
        Action(contact_targets.RECORD_TYPE, Permission.CONTACTS_WRITE, _apply, undoable=True),
    )


async def start_update(
    actor: Actor, target: ContactTarget, changes: bulk_update.Changes
) -> BulkOperation:
    """Checks the changes once, then starts the operation; nothing is written on error."""
    params = await bulk_update.check_changes(actor, changes)
    return await _start(actor, BulkOperationKind.CONTACT_UPDATE, target, params)


async def start_archive(actor: Actor, target: ContactTarget, archive: bool) -> BulkOperation:
    kind = BulkOperationKind.CONTACT_ARCHIVE if archive else BulkOperationKind.CONTACT_RESTORE
    return await _start(actor, kind, target, {})


async def _start(actor: Actor, kind: str, target: ContactTarget, params: dict) -> BulkOperation:
    async with unit_of_work():
        records = await contact_targets.records(actor, target)
        return await operations.start(
            actor, kind, records, target=target.describe(), params=params
        )
