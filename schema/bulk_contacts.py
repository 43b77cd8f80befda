"""Batch actions on contacts, each its own mutation creating a bulk operation on a
`BulkContactTargetInput`; each needs bulk.run AND what the action changes."""

from __future__ import annotations

import strawberry

from resolvers.colours import bulk as colour_bulk
from resolvers.common.permissions import Permission
from schema.bulk import BulkContactTargetInput, BulkOperationPayload, contact_target
from schema.permissions import describe, requires
from schema.scope import scoped_id_or_none


@strawberry.input
class ContactsBulkColourSetInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput
    colour_id: strawberry.ID | None = strawberry.field(
        default=None, description="The palette's colour; null clears the contacts' colour."
    )


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
