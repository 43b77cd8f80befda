"""Groups, the colour palette and affiliations of the address book: types and operations.

Defining groups and colours needs organization.manage; putting contacts in groups, giving
them a colour and affiliating people needs contacts.write. The Contact type itself lives
in schema/contacts.py and is referenced lazily both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.affiliations import Affiliation
from models.colours import Colour
from models.groups import Group
from resolvers.affiliations import affiliations
from resolvers.colours import colours
from resolvers.common.permissions import Permission
from resolvers.groups import groups
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_id_or_none, scoped_ids
from schema.types import Connection, Node, model_node, related

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


@model_node("Colour", Colour, Permission.CONTACTS_READ)
class ColourType(Node):
    name: str
    hex: str = strawberry.field(description='"#rrggbb", in lower case.')


@model_node("Group", Group, Permission.CONTACTS_READ)
class GroupType(Node):
    name: str
    description: str
    created_at: datetime

    @strawberry.field(description="How many contacts are in the group (archived ones aside).")
    async def member_count(self, info: strawberry.Info) -> int:
        loader = info.context.loader(
            "contacts.group_member_counts", lambda: DataLoader(groups.member_counts)
        )
        return await loader.load(self.id)

    @strawberry.field(description="The group's contacts by name; archived ones only when asked.")
    async def members(
        self,
        include_archived: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ContactRef]:
        page = await groups.members(
            self, include_archived, first=first, after=after, last=last, before=before
        )
        return Connection.of(page)


@model_node(
    "Affiliation",
    Affiliation,
    Permission.CONTACTS_READ,
    organization_path="person__organization_id",
)
class AffiliationType(Node):
    role_title: str = strawberry.field(description="Coach, principal, treasurer…")
    created_at: datetime

    @strawberry.field(description="The PERSON contact.")
    async def person(self) -> ContactRef:
        return await related(self, "person")

    @strawberry.field(description="The ORGANIZATION contact the person belongs to.")
    async def organization_contact(self) -> ContactRef:
        return await related(self, "organization_contact")


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
        description=f"At most {groups.MAX_CONTACTS_PER_CALL}."
    )
    colour_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null clears the contacts' colour."
    )


@strawberry.input
class GroupCreateInput:
    organization_id: strawberry.ID
    name: str
    description: str = ""


@strawberry.input
class GroupUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None


@strawberry.input
class GroupDeleteInput:
    id: strawberry.ID


@strawberry.input
class GroupContactsInput:
    group_id: strawberry.ID
    contact_ids: list[strawberry.ID] = strawberry.field(
        description=f"People or organization contacts, at most {groups.MAX_CONTACTS_PER_CALL}."
    )


@strawberry.input
class AffiliationCreateInput:
    person_id: strawberry.ID = strawberry.field(description="A PERSON contact.")
    organization_contact_id: strawberry.ID = strawberry.field(
        description="An ORGANIZATION contact of the same organization."
    )
    role_title: str = ""


@strawberry.input
class AffiliationUpdateInput:
    id: strawberry.ID
    role_title: str


@strawberry.input
class AffiliationDeleteInput:
    id: strawberry.ID


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
class GroupPayload(Payload):
    group: GroupType | None = None


@strawberry.type
class GroupDeletePayload(Payload):
    deleted_group_id: strawberry.ID | None = None


@strawberry.type
class GroupAddContactsPayload(Payload):
    group: GroupType | None = None
    added_count: int = strawberry.field(default=0, description="Those not already members.")


@strawberry.type
class GroupRemoveContactsPayload(Payload):
    group: GroupType | None = None
    removed_count: int = strawberry.field(default=0, description="Those that were members.")


@strawberry.type
class AffiliationPayload(Payload):
    affiliation: AffiliationType | None = None


@strawberry.type
class AffiliationDeletePayload(Payload):
    deleted_affiliation_id: strawberry.ID | None = None


@strawberry.type
class ContactGroupsQuery:
    @strawberry.field(
        **describe(
            "The organization's colour palette, by name.", requires(Permission.CONTACTS_READ)
        )
    )
    async def colours(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[ColourType]:
        return await colours.palette(info.context.actor(info))

    @strawberry.field(
        **describe(
            "The organization's contact groups, by name; `search` matches part of a name.",
            requires(Permission.CONTACTS_READ),
        )
    )
    async def groups(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[GroupType]:
        page = await groups.groups(
            info.context.actor(info), search, first=first, after=after, last=last, before=before
        )
        return Connection.of(page)

    @strawberry.field(**describe("One contact group.", requires(Permission.CONTACTS_READ)))
    async def group(self, info: strawberry.Info, id: strawberry.ID) -> GroupType | None:
        pk = await scoped_id(info, id, "Group", ("id",))
        return await groups.group(info.context.actor(info), pk)


@strawberry.type
class ContactGroupsMutation:
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

    @strawberry.mutation(
        **describe("Creates a contact group.", requires(Permission.ORGANIZATION_MANAGE))
    )
    async def group_create(self, info: strawberry.Info, input: GroupCreateInput) -> GroupPayload:
        group = await groups.create(info.context.actor(info), input.name, input.description)
        return GroupPayload(group=group)

    @strawberry.mutation(
        **describe(
            "Renames a group or changes its description.",
            requires(Permission.ORGANIZATION_MANAGE),
        )
    )
    async def group_update(self, info: strawberry.Info, input: GroupUpdateInput) -> GroupPayload:
        pk = await scoped_id(info, input.id, "Group", ("input", "id"))
        group = await groups.update(info.context.actor(info), pk, input.name, input.description)
        return GroupPayload(group=group)

    @strawberry.mutation(
        **describe(
            "Deletes a group; its contacts stay in the address book.",
            requires(Permission.ORGANIZATION_MANAGE),
        )
    )
    async def group_delete(
        self, info: strawberry.Info, input: GroupDeleteInput
    ) -> GroupDeletePayload:
        pk = await scoped_id(info, input.id, "Group", ("input", "id"))
        deleted = await groups.delete(info.context.actor(info), pk)
        return GroupDeletePayload(deleted_group_id=ids.encode("Group", deleted))

    @strawberry.mutation(
        **describe(
            "Puts contacts in a group; those already in it are left as they are.",
            requires(Permission.CONTACTS_WRITE, scope="input.groupId"),
        )
    )
    async def group_add_contacts(
        self, info: strawberry.Info, input: GroupContactsInput
    ) -> GroupAddContactsPayload:
        group_id, contact_ids = await _group_and_contacts(info, input)
        group, added = await groups.add_contacts(info.context.actor(info), group_id, contact_ids)
        return GroupAddContactsPayload(group=group, added_count=added)

    @strawberry.mutation(
        **describe(
            "Takes contacts out of a group; those not in it are ignored.",
            requires(Permission.CONTACTS_WRITE, scope="input.groupId"),
        )
    )
    async def group_remove_contacts(
        self, info: strawberry.Info, input: GroupContactsInput
    ) -> GroupRemoveContactsPayload:
        group_id, contact_ids = await _group_and_contacts(info, input)
        group, removed = await groups.remove_contacts(
            info.context.actor(info), group_id, contact_ids
        )
        return GroupRemoveContactsPayload(group=group, removed_count=removed)

    @strawberry.mutation(
        **describe(
            "Affiliates a person with an organization contact, with a role title.",
            requires(Permission.CONTACTS_WRITE, scope="input.personId"),
        )
    )
    async def affiliation_create(
        self, info: strawberry.Info, input: AffiliationCreateInput
    ) -> AffiliationPayload:
        person_id = await scoped_id(info, input.person_id, "Contact", ("input", "personId"))
        organization_contact_id = await scoped_id(
            info, input.organization_contact_id, "Contact", ("input", "organizationContactId")
        )
        affiliation = await affiliations.create(
            info.context.actor(info), person_id, organization_contact_id, input.role_title
        )
        return AffiliationPayload(affiliation=affiliation)

    @strawberry.mutation(
        **describe("Changes an affiliation's role title.", requires(Permission.CONTACTS_WRITE))
    )
    async def affiliation_update(
        self, info: strawberry.Info, input: AffiliationUpdateInput
    ) -> AffiliationPayload:
        pk = await scoped_id(info, input.id, "Affiliation", ("input", "id"))
        affiliation = await affiliations.update(info.context.actor(info), pk, input.role_title)
        return AffiliationPayload(affiliation=affiliation)

    @strawberry.mutation(**describe("Ends an affiliation.", requires(Permission.CONTACTS_WRITE)))
    async def affiliation_delete(
        self, info: strawberry.Info, input: AffiliationDeleteInput
    ) -> AffiliationDeletePayload:
        pk = await scoped_id(info, input.id, "Affiliation", ("input", "id"))
        deleted = await affiliations.delete(info.context.actor(info), pk)
        return AffiliationDeletePayload(deleted_affiliation_id=ids.encode("Affiliation", deleted))


async def _group_and_contacts(
    info: strawberry.Info, input: GroupContactsInput
) -> tuple[int, list[int]]:
    group_id = await scoped_id(info, input.group_id, "Group", ("input", "groupId"))
    contact_ids = await scoped_ids(info, input.contact_ids, "Contact", ("input", "contactIds"))
    return group_id, contact_ids
