"""Feature switches per organization (organization.manage), and what they turn on:
members' skills and membership cards (accounts.read / accounts.write), with a public
verification of a card's code. Off, they answer FEATURE_DISABLED."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.account_features import MembershipCard, MemberSkill
from resolvers.accounts import features
from resolvers.common.permissions import Permission, Relationship
from resolvers.common.time import now
from schema import ids
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node, related

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]  # noqa: F821


@strawberry.type(description="The optional parts of client accounts the organization uses.")
class OrganizationFeatures:
    skills: bool
    membership_cards: bool


@model_node("MemberSkill", MemberSkill, Permission.ACCOUNTS_READ)
class MemberSkillType(Node):
    name: str
    level: str
    achieved_on: date | None
    created_at: datetime

    @strawberry.field(description="The member (a person may be in several accounts).")
    async def member(self) -> ContactRef:
        return await related(self, "contact")


@model_node("MembershipCard", MembershipCard, Permission.ACCOUNTS_READ)
class MembershipCardType(Node):
    number: str
    valid_from: date
    valid_to: date
    verification_code: str = strawberry.field(
        description="Printed on the card; `membershipCardVerify(code:)` checks it."
    )
    created_at: datetime

    @strawberry.field(description="Valid today.")
    def valid(self) -> bool:
        return self.valid_from <= now().date() <= self.valid_to

    @strawberry.field
    async def member(self) -> ContactRef:
        return await related(self, "contact")


@strawberry.type(description="All a card's code reveals: validity and a first name.")
class MembershipCardVerification:
    valid: bool
    first_name: str | None


@strawberry.type
class OrganizationFeaturesPayload(Payload):
    features: OrganizationFeatures | None = None


@strawberry.input
class MemberSkillAddInput:
    account_contact_id: strawberry.ID = strawberry.field(description="The member.")
    name: str
    level: str = ""
    achieved_on: date | None = None


@strawberry.input
class MemberSkillUpdateInput:
    skill_id: strawberry.ID
    name: str | None = None
    level: str | None = None
    achieved_on: date | None = None


@strawberry.input
class MemberSkillReassignInput:
    skill_id: strawberry.ID
    account_contact_id: strawberry.ID = strawberry.field(description="The other member.")


@strawberry.input
class MemberSkillRemoveInput:
    skill_id: strawberry.ID


@strawberry.input
class MembershipCardCreateInput:
    account_contact_id: strawberry.ID = strawberry.field(description="The member.")
    number: str = strawberry.field(description="Unique in the organization.")
    valid_from: date
    valid_to: date


@strawberry.type
class MemberSkillPayload(Payload):
    skill: MemberSkillType | None = None


@strawberry.type
class MemberSkillRemovePayload(Payload):
    removed_skill_id: strawberry.ID | None = None


@strawberry.type
class MembershipCardPayload(Payload):
    card: MembershipCardType | None = None


def _of(f: features.Features) -> OrganizationFeatures:
    return OrganizationFeatures(skills=f.skills, membership_cards=f.membership_cards)


@strawberry.type
class FeaturesQuery:
    @strawberry.field(
        **describe(
            "Which optional parts of client accounts the organization uses.",
            requires(Permission.ACCOUNTS_READ),
        )
    )
    async def organization_features(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> OrganizationFeatures:
        return _of(await features.features(info.context.actor(info).organization_id))

    @strawberry.field(
        **describe(
            "A member's skills (FEATURE_DISABLED unless the organization uses skills).",
            requires(Permission.ACCOUNTS_READ),
        )
    )
    async def member_skills(
        self, info: strawberry.Info, account_contact_id: strawberry.ID
    ) -> list[MemberSkillType]:
        pk = await scoped_id(info, account_contact_id, "AccountContact", ("accountContactId",))
        return await features.skills_of(info.context.actor(info), pk)

    @strawberry.field(
        **describe(
            "A member's membership cards, latest first (FEATURE_DISABLED unless the "
            "organization uses membership cards).",
            requires(Permission.ACCOUNTS_READ),
        )
    )
    async def membership_cards(
        self, info: strawberry.Info, account_contact_id: strawberry.ID
    ) -> list[MembershipCardType]:
        pk = await scoped_id(info, account_contact_id, "AccountContact", ("accountContactId",))
        return await features.cards_of(info.context.actor(info), pk)

    @strawberry.field(
        **describe(
            "Checks a membership card's verification code (as printed on the card): "
            "whether it is valid today, and the member's first name; nothing else.",
            requires(relationship=Relationship.PUBLIC),
        )
    )
    async def membership_card_verify(self, code: str) -> MembershipCardVerification:
        found = await features.verify(code)
        return MembershipCardVerification(valid=found.valid, first_name=found.first_name)


@strawberry.type
class FeaturesMutation:
    @strawberry.mutation(
        **describe(
            "Turns skills and membership cards on or off for the organization (null: as is).",
            requires(Permission.ORGANIZATION_MANAGE),
        )
    )
    async def organization_features_update(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        skills: bool | None = None,
        membership_cards: bool | None = None,
    ) -> OrganizationFeaturesPayload:
        found = await features.features_update(info.context.actor(info), skills, membership_cards)
        return OrganizationFeaturesPayload(features=_of(found))

    @strawberry.mutation(
        **describe("Adds a skill to a member.", requires(Permission.ACCOUNTS_WRITE))
    )
    async def member_skill_add(
        self, info: strawberry.Info, input: MemberSkillAddInput
    ) -> MemberSkillPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        skill = await features.skill_add(
            info.context.actor(info), pk, input.name, input.level, input.achieved_on
        )
        return MemberSkillPayload(skill=skill)

    @strawberry.mutation(
        **describe("Edits a skill's name, level or date.", requires(Permission.ACCOUNTS_WRITE))
    )
    async def member_skill_update(
        self, info: strawberry.Info, input: MemberSkillUpdateInput
    ) -> MemberSkillPayload:
        pk = await scoped_id(info, input.skill_id, "MemberSkill", ("input", "skillId"))
        skill = await features.skill_update(
            info.context.actor(info), pk, input.name, input.level, input.achieved_on
        )
        return MemberSkillPayload(skill=skill)

    @strawberry.mutation(
        **describe(
            "Moves a skill to another member.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.skillId"),
        )
    )
    async def member_skill_reassign(
        self, info: strawberry.Info, input: MemberSkillReassignInput
    ) -> MemberSkillPayload:
        pk = await scoped_id(info, input.skill_id, "MemberSkill", ("input", "skillId"))
        link = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        skill = await features.skill_reassign(info.context.actor(info), pk, link)
        return MemberSkillPayload(skill=skill)

    @strawberry.mutation(**describe("Removes a skill.", requires(Permission.ACCOUNTS_WRITE)))
    async def member_skill_remove(
        self, info: strawberry.Info, input: MemberSkillRemoveInput
    ) -> MemberSkillRemovePayload:
        pk = await scoped_id(info, input.skill_id, "MemberSkill", ("input", "skillId"))
        await features.skill_remove(info.context.actor(info), pk)
        return MemberSkillRemovePayload(
            removed_skill_id=strawberry.ID(ids.encode("MemberSkill", pk))
        )

    @strawberry.mutation(
        **describe(
            "Makes a membership card for a member: a number unique in the organization, a "
            "validity period, and a random verification code.",
            requires(Permission.ACCOUNTS_WRITE),
        )
    )
    async def membership_card_create(
        self, info: strawberry.Info, input: MembershipCardCreateInput
    ) -> MembershipCardPayload:
        pk = await scoped_id(
            info, input.account_contact_id, "AccountContact", ("input", "accountContactId")
        )
        card = await features.card_create(
            info.context.actor(info), pk, input.number, input.valid_from, input.valid_to
        )
        return MembershipCardPayload(card=card)


@strawberry.type(description="A membership card of you or your household.")
class MyMembershipCard:
    number: str
    first_name: str = strawberry.field(description="The member's first name.")
    valid_from: date
    valid_to: date
    valid: bool = strawberry.field(description="Valid today.")
    verification_code: str = strawberry.field(description="To show, as on the card.")


async def my_membership_cards(root, info: strawberry.Info) -> list[MyMembershipCard]:
    from strawberry.dataloader import DataLoader

    async def batch(links):
        return await features.cards_seen(list(links))

    loader = info.context.loader(
        "accounts.mine.membership_cards",
        lambda: DataLoader(batch, cache_key_fn=lambda link: link.id),
    )
    today = now().date()
    return [
        MyMembershipCard(
            number=card.number,
            first_name=first_name,
            valid_from=card.valid_from,
            valid_to=card.valid_to,
            valid=card.valid_from <= today <= card.valid_to,
            verification_code=card.verification_code,
        )
        for card, first_name in await loader.load(root.link)
    ]
