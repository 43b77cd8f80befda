"""Batch actions on contacts, each its own mutation creating a bulk operation on a
`BulkContactTargetInput`; each needs bulk.run AND what the action changes."""

from __future__ import annotations

import strawberry

from models.bulk import BulkOperationKind
from resolvers.colours import bulk as colour_bulk
from resolvers.common.permissions import Permission
from resolvers.groups import bulk as group_bulk
from schema.bulk import BulkContactTargetInput, BulkOperationPayload, contact_target
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none


@strawberry.input
class ContactsBulkColourSetInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput
    colour_id: strawberry.ID | None = strawberry.field(
        default=None, description="The palette's colour; null clears the contacts' colour."
    )


@strawberry.input
class ContactsBulkGroupInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput
    group_id: strawberry.ID


@strawberry.type
class BulkContactsMutation:
    @strawberry.mutation(
        **describe(
            "Gives every contact of the target one colour, or none, as a bulk operation "
            "(undoable). Contacts that already had it are SKIPPED (UNCHANGED).",
            requires(
                Permission.BULK_RUN, also=Permission.CONTACTS_WRITE, scope="input.organizationId"
            ),
        )
    )
    async def contacts_bulk_colour_set(
        self, info: strawberry.Info, input: ContactsBulkColourSetInput
    ) -> BulkOperationPayload:
        colour_id = await scoped_id_or_none(info, input.colour_id, "Colour", ("input", "colourId"))
        target = await contact_target(info, input.target)
        operation = await colour_bulk.start_colour_set(info.context.actor(info), target, colour_id)
        return BulkOperationPayload(operation=operation)

    @strawberry.mutation(
        **describe(
            "Puts every contact of the target into a group, as a bulk operation (undoable). "
            "Contacts already in it are SKIPPED (ALREADY_MEMBER).",
            requires(
                Permission.BULK_RUN, also=Permission.CONTACTS_WRITE, scope="input.organizationId"
            ),
        )
    )
    async def contacts_bulk_group_add(
        self, info: strawberry.Info, input: ContactsBulkGroupInput
    ) -> BulkOperationPayload:
        return await _group_operation(info, input, BulkOperationKind.CONTACT_GROUP_ADD)

    @strawberry.mutation(
        **describe(
            "Takes every contact of the target out of a group, as a bulk operation (undoable). "
            "Contacts not in it are SKIPPED (NOT_MEMBER).",
            requires(
                Permission.BULK_RUN, also=Permission.CONTACTS_WRITE, scope="input.organizationId"
            ),
        )
    )
    async def contacts_bulk_group_remove(
        self, info: strawberry.Info, input: ContactsBulkGroupInput
    ) -> BulkOperationPayload:
        return await _group_operation(info, input, BulkOperationKind.CONTACT_GROUP_REMOVE)


async def _group_operation(
    info: strawberry.Info, input: ContactsBulkGroupInput, kind: BulkOperationKind
) -> BulkOperationPayload:
    group_id = await scoped_id(info, input.group_id, "Group", ("input", "groupId"))
    target = await contact_target(info, input.target)
    operation = await group_bulk.start(info.context.actor(info), kind, target, group_id)
    return BulkOperationPayload(operation=operation)
