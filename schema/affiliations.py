"""Affiliations of people to organization contacts: types and operations (contacts.write).

The Contact type itself lives in schema/contacts.py and is referenced lazily both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from models.affiliations import Affiliation
from resolvers.affiliations import affiliations
from resolvers.common.permissions import Permission
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node, related

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


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
class AffiliationPayload(Payload):
    affiliation: AffiliationType | None = None


@strawberry.type
class AffiliationDeletePayload(Payload):
    deleted_affiliation_id: strawberry.ID | None = None


@strawberry.type
class AffiliationsMutation:
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
