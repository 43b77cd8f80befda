"""The colour palette: types and operations.

Defining colours needs organization.manage; giving contacts a colour needs contacts.write.
The Contact type itself lives in schema/contacts.py and is referenced lazily both ways.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.colours import Colour
from resolvers.colours import colours
from resolvers.common.permissions import Permission
from resolvers.contacts import records
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none, scoped_ids
from schema.types import Node, model_node

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


@model_node("Colour", Colour, Permission.CONTACTS_READ)
class ColourType(Node):
    name: str
    hex: str = strawberry.field(description='"#rrggbb", in lower case.')


@strawberry.input
class ColourCreateInput:
    organization_id: strawberry.ID
    name: str
    hex: str = strawberry.field(description='"#rrggbb".')


@strawberry.input
class ColourUpdateInput:
    id: strawberry.ID
    name: str | None = None
    hex: str | None = None


@strawberry.input
class ColourDeleteInput:
    id: strawberry.ID


@strawberry.input
class ContactColourSetInput:
    contact_id: strawberry.ID
    colour_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null clears the contact's colour."
    )


@strawberry.input
class ContactsColourSetInput:
    organization_id: strawberry.ID
    contact_ids: list[strawberry.ID] = strawberry.field(
        description=f"At most {records.MAX_CONTACTS_PER_CALL}."
    )
    colour_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null clears the contacts' colour."
    )


@strawberry.type
class ColourPayload(Payload):
    colour: ColourType | None = None


@strawberry.type
class ColourDeletePayload(Payload):
    deleted_colour_id: strawberry.ID | None = None


@strawberry.type
class ContactColourSetPayload(Payload):
    contact: ContactRef | None = None


@strawberry.type
class ContactsColourSetPayload(Payload):
    contacts: list[ContactRef] = strawberry.field(
        default_factory=list, description="The contacts, in the order given."
    )


@strawberry.type
class ColoursQuery:
    @strawberry.field(
        **describe(
            "The organization's colour palette, by name.", requires(Permission.CONTACTS_READ)
        )
    )
    async def colours(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[ColourType]:
        return await colours.palette(info.context.actor(info))


@strawberry.type
class ColoursMutation:
    @strawberry.mutation(
        **describe("Adds a colour to the palette.", requires(Permission.ORGANIZATION_MANAGE))
    )
    async def colour_create(self, info: strawberry.Info, input: ColourCreateInput) -> ColourPayload:
        colour = await colours.create(info.context.actor(info), input.name, input.hex)
        return ColourPayload(colour=colour)

    @strawberry.mutation(
        **describe("Renames or recolours a colour.", requires(Permission.ORGANIZATION_MANAGE))
    )
    async def colour_update(self, info: strawberry.Info, input: ColourUpdateInput) -> ColourPayload:
        pk = await scoped_id(info, input.id, "Colour", ("input", "id"))
        colour = await colours.update(info.context.actor(info), pk, input.name, input.hex)
        return ColourPayload(colour=colour)

    @strawberry.mutation(
        **describe(
            "Removes a colour from the palette; its contacts are left without a colour.",
            requires(Permission.ORGANIZATION_MANAGE),
        )
    )
    async def colour_delete(
        self, info: strawberry.Info, input: ColourDeleteInput
    ) -> ColourDeletePayload:
        pk = await scoped_id(info, input.id, "Colour", ("input", "id"))
        deleted = await colours.delete(info.context.actor(info), pk)
        return ColourDeletePayload(deleted_colour_id=ids.encode("Colour", deleted))

    @strawberry.mutation(
        **describe(
            "Gives a contact one of the palette's colours, or none.",
            requires(Permission.CONTACTS_WRITE, scope="input.contactId"),
        )
    )
    async def contact_colour_set(
        self, info: strawberry.Info, input: ContactColourSetInput
    ) -> ContactColourSetPayload:
        contact_id = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        colour_id = await scoped_id_or_none(info, input.colour_id, "Colour", ("input", "colourId"))
        contact = await colours.set_contact_colour(info.context.actor(info), contact_id, colour_id)
        return ContactColourSetPayload(contact=contact)

    @strawberry.mutation(
        **describe(
            "Gives several contacts one colour, or none: all of them or, on any error, none.",
            requires(Permission.CONTACTS_WRITE, scope="input.organizationId"),
        )
    )
    async def contacts_colour_set(
        self, info: strawberry.Info, input: ContactsColourSetInput
    ) -> ContactsColourSetPayload:
        colour_id = await scoped_id_or_none(info, input.colour_id, "Colour", ("input", "colourId"))
        contact_ids = await scoped_ids(info, input.contact_ids, "Contact", ("input", "contactIds"))
        contacts = await colours.set_contacts_colour(
            info.context.actor(info), contact_ids, colour_id
        )
        return ContactsColourSetPayload(contacts=contacts)
