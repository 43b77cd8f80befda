"""Organizations (the tenants), their profile, and the roles table."""

from __future__ import annotations

from datetime import datetime

import strawberry

from carnet.i18n import translate
from models.organizations import Organization
from models.staff import Role
from resolvers.common.permissions import (
    PERMISSION_DESCRIPTIONS,
    ROLE_DESCRIPTIONS,
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    Permission,
    Relationship,
    role_label,
)
from resolvers.organizations import profile
from resolvers.privacy import retention
from schema.identity import LocaleEnum
from schema.payloads import Payload
from schema.permissions import PermissionEnum, describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node

RoleEnum = strawberry.enum(Role, name="Role")


@strawberry.type
class TaxNumber:
    label: str
    number: str


@strawberry.type(description="A postal address.")
class PostalAddress:
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


@model_node("Organization", Organization, Permission.ORGANIZATION_READ)
class OrganizationType(Node):
    name: str
    legal_name: str
    locale: LocaleEnum
    timezone: str
    currency: str
    sender_name: str = strawberry.field(description="Sender name on the organization's email.")
    sender_email: str = strawberry.field(description="Sender address of its email.")
    sms_number: str = strawberry.field(description="The number its SMS come from (E.164).")
    created_at: datetime

    @strawberry.field
    def address(self) -> PostalAddress:
        return PostalAddress(
            line1=self.address_line1,
            line2=self.address_line2,
            city=self.city,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
        )

    @strawberry.field(description="Tax registration numbers (GST/HST, QST...).")
    def tax_numbers(self) -> list[TaxNumber]:
        return [TaxNumber(label=t["label"], number=t["number"]) for t in self.tax_numbers]

    @strawberry.field(description="Your role here.")
    async def my_role(self, info: strawberry.Info) -> RoleEnum | None:
        actor = await info.context.actor_for(self.id)
        return actor.role if actor else None


@strawberry.type(description="A staff role and the permissions it grants.")
class RoleInfo:
    role: RoleEnum
    label: str = strawberry.field(description="In the reader's language.")
    label_en: str
    label_fr: str
    description: str
    permissions: list[PermissionEnum]


@strawberry.type
class PermissionInfo:
    permission: PermissionEnum
    description: str


def role_info(role: Role, locale: str) -> RoleInfo:
    labels = ROLE_LABELS[role]
    return RoleInfo(
        role=role,
        label=role_label(role, locale),
        label_en=labels["en"],
        label_fr=labels["fr"],
        description=translate(ROLE_DESCRIPTIONS[role], locale),
        permissions=sorted(ROLE_PERMISSIONS[role], key=list(Permission).index),
    )


@strawberry.input
class TaxNumberInput:
    label: str
    number: str


@strawberry.input
class RetentionInput:
    archived_contact_days: int | None = strawberry.field(
        default=None, description="Days an archived contact is kept; 0 keeps them."
    )
    inactive_account_days: int | None = strawberry.field(
        default=None,
        description="Days a client account with no activity is kept (then all its contacts "
        "are erased); 0 keeps them.",
    )


@strawberry.input
class OrganizationProfileInput:
    legal_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166 code, e.g. CA.")
    locale: LocaleEnum | None = None
    timezone: str | None = strawberry.field(
        default=None, description="IANA name, e.g. America/Toronto."
    )
    currency: str | None = strawberry.field(default=None, description="ISO 4217, e.g. CAD.")
    sender_name: str | None = None
    sender_email: str | None = None
    sms_number: str | None = None
    tax_numbers: list[TaxNumberInput] | None = None


@strawberry.input
class OrganizationCreateInput(OrganizationProfileInput):
    name: str = ""


@strawberry.input
class OrganizationUpdateInput(OrganizationProfileInput):
    id: strawberry.ID
    name: str | None = None
    retention: RetentionInput | None = strawberry.field(
        default=None,
        description="How long archived contacts and inactive accounts are kept before the "
        "daily job erases them (see `retentionDryRun`). Also requires privacy.manage.",
    )


@strawberry.type
class OrganizationPayload(Payload):
    organization: OrganizationType | None = None


def _given(input_, exclude=("id",)) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(input_).items()
        if value is not None and name not in exclude
    }


@strawberry.type
class OrganizationQuery:
    @strawberry.field(**describe("One organization.", requires(Permission.ORGANIZATION_READ)))
    async def organization(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> OrganizationType | None:
        await scoped_id(info, id, "Organization", ("id",))
        return info.context.actor(info).organization

    @strawberry.field(
        **describe(
            "Organizations where you are active staff.", requires(relationship=Relationship.SELF)
        )
    )
    async def my_organizations(self, info: strawberry.Info) -> list[OrganizationType]:
        return await profile.my_organizations(info.context.user)

    @strawberry.field(
        **describe(
            "Every staff role with its label and permissions.",
            requires(relationship=Relationship.PUBLIC),
        )
    )
    def roles(self, info: strawberry.Info) -> list[RoleInfo]:
        return [role_info(role, info.context.locale) for role in Role]

    @strawberry.field(
        **describe("Every permission, described.", requires(relationship=Relationship.PUBLIC))
    )
    def permissions(self, info: strawberry.Info) -> list[PermissionInfo]:
        return [
            PermissionInfo(permission=p, description=translate(d, info.context.locale))
            for p, d in PERMISSION_DESCRIPTIONS.items()
        ]

    @strawberry.field(
        **describe(
            "What you may do in an organization, so a UI can hide the rest.",
            requires(Permission.ORGANIZATION_READ),
        )
    )
    async def my_permissions(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[PermissionEnum]:
        return sorted(info.context.actor(info).permissions, key=list(Permission).index)


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(
        **describe(
            "Creates an organization; you become its OWNER. Needs a verified email address "
            "(EMAIL_NOT_VERIFIED otherwise).",
            requires(relationship=Relationship.AUTHENTICATED),
        )
    )
    async def organization_create(
        self, info: strawberry.Info, input: OrganizationCreateInput
    ) -> OrganizationPayload:
        org = await profile.create(info.context.user, _given(input), info.context.meta)
        return OrganizationPayload(organization=org)

    @strawberry.mutation(
        **describe("Edits the organization's profile.", requires(Permission.ORGANIZATION_MANAGE))
    )
    async def organization_update(
        self, info: strawberry.Info, input: OrganizationUpdateInput
    ) -> OrganizationPayload:
        await scoped_id(info, input.id, "Organization", ("input", "id"))
        actor = info.context.actor(info)
        kept = retention.check(actor, vars(input.retention) if input.retention else None)
        org = await profile.update(actor, _given(input, exclude=("id", "retention")))
        await retention.update(actor, kept)
        return OrganizationPayload(organization=org)
