"""`contactsBulkGroupAdd` / `contactsBulkGroupRemove`: every contact of a target put into,
or taken out of, one group, as bulk operations. Each change records the membership before
it (`{"member": false}` / `{"member": true}`), for undo."""

from __future__ import annotations

from collections.abc import Sequence

from carnet.i18n import N_
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind
from models.contacts import Contact
from models.groups import Group, GroupMember
from resolvers.bulk import contact_targets, operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.bulk.contact_targets import ContactTarget
from resolvers.common.actor import Actor
from resolvers.common.locks import locked_row
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work

ALREADY_MEMBER = "ALREADY_MEMBER"
NOT_MEMBER = "NOT_MEMBER"
GROUP_DELETED = "GROUP_DELETED"
_IN, _OUT = {"member": True}, {"member": False}


async def start(
    actor: Actor, kind: BulkOperationKind, target: ContactTarget, group_id: int | None
) -> BulkOperation:
    async with unit_of_work():
        group = await locked_row(Group, actor, group_id, ("input", "group_id"))
        records = await contact_targets.records(actor, target)
        return await operations.start(
            actor, kind, records, target=target.describe(), params={"group_id": group.id}
        )


async def _group(context: ChunkContext) -> Group | None:
    # Not locked (every chunk would wait for the one holding it): a group deleted after
    # this read makes the INSERT's foreign key fail, and the retry reports it deleted; a
    # membership added meanwhile by groupAddContacts is left as it is (ON CONFLICT).
    return await Group.get_or_none(
        id=context.params.get("group_id"), organization_id=context.organization.id
    )


def _group_deleted(record_ids: Sequence[int]) -> list[RecordResult]:
    message = N_("The group was deleted.")
    return [RecordResult(pk, BulkItemStatus.FAILED, GROUP_DELETED, message) for pk in record_ids]


async def _existing(context: ChunkContext, record_ids: Sequence[int]) -> list[int]:
    return await Contact.filter(
        id__in=list(record_ids), organization_id=context.organization.id
    ).values_list("id", flat=True)


async def _members(group: Group, contact_ids: list[int]) -> set[int]:
    if not contact_ids:
        return set()
    return set(
        await GroupMember.filter(group_id=group.id, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )


async def add_to_group(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    group = await _group(context)
    if group is None:
        return _group_deleted(record_ids)
    existing = await _existing(context, record_ids)
    added = await _insert_members(context, group, existing)
    skipped = N_("The contact was already in the group.")
    return [
        RecordResult(pk, BulkItemStatus.SUCCEEDED, before=_OUT, after=_IN)
        if pk in added
        else RecordResult(pk, BulkItemStatus.SKIPPED, ALREADY_MEMBER, skipped)
        for pk in existing
    ]


async def _insert_members(context: ChunkContext, group: Group, contact_ids: list[int]) -> set[int]:
    """The memberships of `contact_ids` in `group`, in one INSERT … ON CONFLICT DO NOTHING
    RETURNING: the contacts it added (those it did not were members already, including
    one a concurrent groupAddContacts added since)."""
    if not contact_ids:
        return set()
    postgres = context.connection.capabilities.dialect == "postgres"
    listed = ", ".join(str(int(pk)) for pk in contact_ids)  # ints: safe in the statement
    # execute_query_dict: Tortoise's execute_query drops what an INSERT returns on PostgreSQL
    rows = await context.connection.execute_query_dict(
        "INSERT INTO contact_group_member (group_id, contact_id, added_at) "
        f"SELECT {int(group.id)}, id, {'$1' if postgres else '?'} FROM contact "
        f"WHERE id IN ({listed}) ORDER BY id ON CONFLICT DO NOTHING RETURNING contact_id",
        [context.moment],
    )
    return {int(row["contact_id"]) for row in rows}


async def remove_from_group(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    group = await _group(context)
    if group is None:
        return _group_deleted(record_ids)
    existing = await _existing(context, record_ids)
    members = await _members(group, existing)
    if members:
        await GroupMember.filter(group_id=group.id, contact_id__in=list(members)).delete()
    skipped = N_("The contact was not in the group.")
    return [
        RecordResult(pk, BulkItemStatus.SUCCEEDED, before=_IN, after=_OUT)
        if pk in members
        else RecordResult(pk, BulkItemStatus.SKIPPED, NOT_MEMBER, skipped)
        for pk in existing
    ]


for _kind, _apply in (
    (BulkOperationKind.CONTACT_GROUP_ADD, add_to_group),
    (BulkOperationKind.CONTACT_GROUP_REMOVE, remove_from_group),
):
    register(
        _kind,
        Action(
            record_type=contact_targets.RECORD_TYPE,
            permission=Permission.CONTACTS_WRITE,
            apply=_apply,
            undoable=True,
        ),
    )
