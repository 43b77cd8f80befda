"""`contactsBulkColourSet`: one colour (or none) given to every contact of a target, as a
bulk operation. Each change records the colour before it, for undo."""

from __future__ import annotations

from collections.abc import Sequence

from carnet.i18n import N_
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind
from models.colours import Colour
from models.contacts import Contact
from resolvers.bulk import contact_targets, operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.bulk.contact_targets import ContactTarget
from resolvers.common.actor import Actor
from resolvers.common.locks import locked_row
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work

KIND = BulkOperationKind.CONTACT_COLOUR_SET
UNCHANGED = "UNCHANGED"
COLOUR_DELETED = "COLOUR_DELETED"


async def start_colour_set(
    actor: Actor, target: ContactTarget, colour_id: int | None
) -> BulkOperation:
    async with unit_of_work():
        if colour_id is not None:
            await locked_row(Colour, actor, colour_id, ("input", "colour_id"))
        records = await contact_targets.records(actor, target)
        return await operations.start(
            actor, KIND, records, target=target.describe(), params={"colour_id": colour_id}
        )


async def set_colour(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    colour_id = context.params.get("colour_id")
    organization_id = context.organization.id
    # Not locked (every chunk would wait for the one holding it): a colour deleted after
    # this read makes the UPDATE's foreign key fail, and the retry reports it deleted.
    if colour_id is not None and not await Colour.exists(
        id=colour_id, organization_id=organization_id
    ):
        message = N_("The colour was deleted.")
        return [
            RecordResult(pk, BulkItemStatus.FAILED, COLOUR_DELETED, message) for pk in record_ids
        ]
    contacts = (
        await Contact.filter(id__in=list(record_ids), organization_id=organization_id)
        .select_for_update()
        .order_by("id")
        .only("id", "colour_id")
    )
    changed = [c.id for c in contacts if c.colour_id != colour_id]
    if changed:
        await Contact.filter(id__in=changed).update(colour_id=colour_id, updated_at=context.moment)
    after = {"colour_id": colour_id}
    return [
        RecordResult(c.id, BulkItemStatus.SUCCEEDED, before={"colour_id": c.colour_id}, after=after)
        if c.colour_id != colour_id
        else RecordResult(
            c.id, BulkItemStatus.SKIPPED, UNCHANGED, N_("The contact already had this colour.")
        )
        for c in contacts
    ]


register(
    KIND,
    Action(
        record_type=contact_targets.RECORD_TYPE,
        permission=Permission.CONTACTS_WRITE,
        apply=set_colour,
        undoable=True,
    ),
)
