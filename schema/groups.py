"""Contact groups: types and operations.

Defining groups needs organization.manage; putting contacts in groups needs contacts.write.
The Contact type itself lives in schema/contacts.py and is referenced lazily both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.groups import Group
from resolvers.common.permissions import Permission
from resolvers.contacts import records
from resolvers.groups import groups
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.types import Connection, Node, model_node

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


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
        description=f"People or organization contacts, at most {records.MAX_CONTACTS_PER_CALL}."
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
class GroupsQuery:
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
class GroupsMutation:
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


async def _group_and_contacts(
    info: strawberry.Info, input: GroupContactsInput
) -> tuple[int, list[int]]:
    group_id = await scoped_id(info, input.group_id, "Group", ("input", "groupId"))
    contact_ids = await scoped_ids(info, input.contact_ids, "Contact", ("input", "contactIds"))
    return group_id, contact_ids
