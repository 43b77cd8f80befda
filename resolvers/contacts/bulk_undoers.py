"""How each contact batch action is undone, registered with resolvers.bulk.undo: update,
archive and restore (this package's actions), colour and group membership (the colours' and
groups' actions, whose items record the colour or membership before and after).

Every undoer compares a record's current value with the item's `after`: equal, `before`
is put back (set-based, one statement per distinct value); different, the record is
SKIPPED with CHANGED_SINCE and left as it is.
"""

from __future__ import annotations

from collections import defaultdict

from carnet.i18n import N_
from models.bulk import BulkOperation, BulkOperationKind
from models.colours import Colour
from models.contacts import Contact
from models.groups import Group, GroupMember
from models.identity import User
from resolvers.bulk.actions import ChunkContext, RecordResult
from resolvers.bulk.undo import Recorded, register_undo
from resolvers.common.actor import RequestMeta
from resolvers.contacts import bulk_archive, bulk_update_undo
from resolvers.contacts.bulk_results import Outcome, changed, changed_since, results, skipped


async def _update(
    context: ChunkContext, original: BulkOperation, recorded: Recorded
) -> list[RecordResult]:
    user = None
    if context.started_by_id is not None:  # named in the consent history of what it puts back
        user = await User.get_or_none(id=context.started_by_id)
    outcomes = await bulk_update_undo.undo(
        context.organization.id, context.operation.id, user, RequestMeta(), recorded
    )
    return results(outcomes)


async def _archived(
    context: ChunkContext, original: BulkOperation, recorded: Recorded
) -> list[RecordResult]:
    return results(await bulk_archive.undo(context.organization.id, recorded))


async def _colour(
    context: ChunkContext, original: BulkOperation, recorded: Recorded
) -> list[RecordResult]:
    organization_id = context.organization.id
    current = dict(
        await Contact.filter(organization_id=organization_id, id__in=list(recorded))
        .select_for_update()
        .values_list("id", "colour_id")
    )
    wanted = {before.get("colour_id") for before, _ in recorded.values()} - {None}
    palette = set(
        await Colour.filter(organization_id=organization_id, id__in=list(wanted))
        .select_for_update()
        .values_list("id", flat=True)
    )
    outcomes: dict[int, Outcome] = {}
    by_colour: dict[int | None, list[int]] = defaultdict(list)
    for pk, (before, after) in recorded.items():
        if pk not in current:
            continue
        colour_id = before.get("colour_id")
        if current[pk] != after.get("colour_id"):
            outcomes[pk] = changed_since()
        elif colour_id is not None and colour_id not in palette:
            outcomes[pk] = skipped("COLOUR_DELETED", N_("The colour was deleted."))
        else:
            by_colour[colour_id].append(pk)
            outcomes[pk] = changed(after, before)
    for colour_id, pks in by_colour.items():
        await Contact.filter(id__in=pks).update(colour_id=colour_id, updated_at=context.moment)
    return results(outcomes)


async def _membership(
    context: ChunkContext, original: BulkOperation, recorded: Recorded
) -> list[RecordResult]:
    """Group add and remove alike: each item records whether the contact was a member."""
    group_id = original.params["group_id"]
    # Locked, as the group actions lock it: it cannot be deleted under the chunk.
    group = (
        await Group.filter(id=group_id, organization_id=context.organization.id)
        .select_for_update()
        .first()
    )
    if group is None:
        gone = skipped("GROUP_DELETED", N_("The group was deleted."))
        return results({pk: gone for pk in recorded})
    contacts = set(
        await Contact.filter(
            organization_id=context.organization.id, id__in=list(recorded)
        ).values_list("id", flat=True)
    )
    members = set(
        await GroupMember.filter(group_id=group_id, contact_id__in=list(contacts))
        .select_for_update()
        .values_list("contact_id", flat=True)
    )
    outcomes: dict[int, Outcome] = {}
    to_add, to_remove = [], []
    for pk, (before, after) in recorded.items():
        if pk not in contacts:
            continue
        if (pk in members) != bool(after.get("member")):
            outcomes[pk] = changed_since()
            continue
        (to_add if before.get("member") else to_remove).append(pk)
        outcomes[pk] = changed(after, before)
    if to_remove:
        await GroupMember.filter(group_id=group_id, contact_id__in=to_remove).delete()
    if to_add:
        await GroupMember.bulk_create(
            [GroupMember(group_id=group_id, contact_id=pk) for pk in to_add],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return results(outcomes)


register_undo(BulkOperationKind.CONTACT_UPDATE, _update, Contact)
register_undo(BulkOperationKind.CONTACT_ARCHIVE, _archived, Contact)
register_undo(BulkOperationKind.CONTACT_RESTORE, _archived, Contact)
register_undo(BulkOperationKind.CONTACT_COLOUR_SET, _colour, Contact)
register_undo(BulkOperationKind.CONTACT_GROUP_ADD, _membership, Contact)
register_undo(BulkOperationKind.CONTACT_GROUP_REMOVE, _membership, Contact)
