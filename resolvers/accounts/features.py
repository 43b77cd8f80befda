"""Per-organization feature switches (seed 002's optional tabs) and what they turn on:
members' skills and membership cards. Off (the default), their fields and mutations
answer FEATURE_DISABLED.

`issue_card` is the one way a membership card is made: staff call it today; the billing
domain will call it when a membership is purchased.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from carnet.i18n import N_
from models.account_features import MembershipCard, MemberSkill, OrganizationFeatures
from models.accounts import AccountContact
from models.contacts import Contact
from models.identity import User
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ApiError, ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

SKILLS = "skills"
MEMBERSHIP_CARDS = "membership_cards"
NAME_MAX = 100
NUMBER_MAX = 50


class FeatureDisabled(ApiError):
    code = "FEATURE_DISABLED"
    default_message = N_("This feature is turned off for the organization.")


@dataclass(frozen=True)
class Features:
    skills: bool = False
    membership_cards: bool = False


async def features(organization_id: int) -> Features:
    row = await OrganizationFeatures.get_or_none(organization_id=organization_id)
    return Features(row.skills, row.membership_cards) if row else Features()


async def require(organization_id: int, feature: str, *, payload: bool = True) -> None:
    """FEATURE_DISABLED unless the organization turned `feature` on: a payload error for a
    mutation, a top-level error for a query (`payload=False`)."""
    if getattr(await features(organization_id), feature):
        return
    if not payload:
        raise FeatureDisabled()
    raise UserErrors.single(
        UserErrorCode.FEATURE_DISABLED,
        (),
        N_("This feature is turned off for the organization."),
    )


async def _record(actor, action: str, target, **values) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=target,
        **values,
    )


async def features_update(actor, skills: bool | None, membership_cards: bool | None) -> Features:
    async with unit_of_work():
        row, _ = await OrganizationFeatures.get_or_create(organization_id=actor.organization_id)
        before = {"skills": row.skills, "membership_cards": row.membership_cards}
        if skills is not None:
            row.skills = skills
        if membership_cards is not None:
            row.membership_cards = membership_cards
        await row.save()
        after = {"skills": row.skills, "membership_cards": row.membership_cards}
        before, after = audit.changes(before, after)
        if after:
            await _record(
                actor,
                "organization.features_update",
                ("Organization", actor.organization_id),
                before=before,
                after=after,
            )
    return Features(row.skills, row.membership_cards)


async def _member(actor, link_id: int, field) -> int:
    """The contact of an account contact of this organization."""
    link = await AccountContact.get_or_none(
        id=link_id, account__organization_id=actor.organization_id
    )
    if link is None:
        raise NotFound(field)
    return link.contact_id


def _skill_fields(name, level, errors: ErrorCollector, required: bool) -> tuple[str, str]:
    name = clean_text(name, errors, ("input", "name"), max_length=NAME_MAX, required=required)
    level = clean_text(level, errors, ("input", "level"), max_length=NAME_MAX)
    return name, level


async def skill_add(actor, link_id: int, name, level, achieved_on: date | None) -> MemberSkill:
    await require(actor.organization_id, SKILLS)
    errors = ErrorCollector()
    name, level = _skill_fields(name, level, errors, True)
    errors.raise_if_any()
    async with unit_of_work():
        contact_id = await _member(actor, link_id, ("input", "account_contact_id"))
        skill = await MemberSkill.create(
            organization_id=actor.organization_id,
            contact_id=contact_id,
            name=name,
            level=level,
            achieved_on=achieved_on,
        )
        await _record(
            actor,
            "member_skill.add",
            ("MemberSkill", skill.id),
            after={"name": name, "level": level},
        )
    return skill


async def _locked_skill(actor, skill_id: int) -> MemberSkill:
    skill = (
        await MemberSkill.filter(id=skill_id, organization_id=actor.organization_id)
        .select_for_update()
        .first()
    )
    if skill is None:
        raise NotFound(("input", "skill_id"))
    return skill


async def skill_update(actor, skill_id: int, name, level, achieved_on) -> MemberSkill:
    await require(actor.organization_id, SKILLS)
    errors = ErrorCollector()
    async with unit_of_work():
        skill = await _locked_skill(actor, skill_id)
        before = {"name": skill.name, "level": skill.level, "achieved_on": str(skill.achieved_on)}
        new_name, new_level = _skill_fields(name, level, errors, name is not None)
        errors.raise_if_any()
        if name is not None:
            skill.name = new_name
        if level is not None:
            skill.level = new_level
        if achieved_on is not None:
            skill.achieved_on = achieved_on
        await skill.save()
        after = {"name": skill.name, "level": skill.level, "achieved_on": str(skill.achieved_on)}
        before, after = audit.changes(before, after)
        await _record(
            actor, "member_skill.update", ("MemberSkill", skill.id), before=before, after=after
        )
    return skill


async def skill_reassign(actor, skill_id: int, link_id: int) -> MemberSkill:
    """Moves a skill to another member (given by mistake to a sibling, say)."""
    await require(actor.organization_id, SKILLS)
    async with unit_of_work():
        skill = await _locked_skill(actor, skill_id)
        contact_id = await _member(actor, link_id, ("input", "account_contact_id"))
        before = skill.contact_id
        skill.contact_id = contact_id
        await skill.save(update_fields=["contact_id", "updated_at"])
        await _record(
            actor,
            "member_skill.reassign",
            ("MemberSkill", skill.id),
            before={"contact_id": before},
            after={"contact_id": contact_id},
        )
    return skill


async def skill_remove(actor, skill_id: int) -> None:
    await require(actor.organization_id, SKILLS)
    async with unit_of_work():
        skill = await _locked_skill(actor, skill_id)
        await skill.delete()
        await _record(
            actor, "member_skill.remove", ("MemberSkill", skill_id), before={"name": skill.name}
        )


async def skills_of(actor, link_id: int) -> list[MemberSkill]:
    await require(actor.organization_id, SKILLS, payload=False)
    contact_id = await _member(actor, link_id, ("account_contact_id",))
    return await MemberSkill.filter(
        organization_id=actor.organization_id, contact_id=contact_id
    ).order_by("name", "id")


async def issue_card(
    organization_id: int,
    contact_id: int,
    number: str | None,
    valid_from: date,
    valid_to: date,
    *,
    by: User | None,
    meta: RequestMeta,
) -> MembershipCard:
    """Makes a membership card for a contact of the organization: a number unique in the
    organization, a validity period and a random verification code. Joins the caller's
    unit of work (the billing domain's purchase, say)."""
    await require(organization_id, MEMBERSHIP_CARDS)
    errors = ErrorCollector()
    number = clean_text(number, errors, ("input", "number"), max_length=NUMBER_MAX, required=True)
    if valid_to < valid_from:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "valid_to"),
            N_("The end of validity comes after its start."),
        )
    errors.raise_if_any()
    async with unit_of_work():
        if await MembershipCard.filter(organization_id=organization_id, number=number).exists():
            raise UserErrors.single(
                UserErrorCode.ALREADY_EXISTS,
                ("input", "number"),
                N_("A membership card already has this number."),
            )
        card = await MembershipCard.create(
            organization_id=organization_id,
            contact_id=contact_id,
            number=number,
            valid_from=valid_from,
            valid_to=valid_to,
            verification_code=secrets.token_urlsafe(15),
            created_by=by,
        )
        await audit.record(
            "membership_card.create",
            actor=by,
            meta=meta,
            organization_id=organization_id,
            target=("MembershipCard", card.id),
            after={"number": number, "valid_from": str(valid_from), "valid_to": str(valid_to)},
        )
    return card


async def card_create(actor, link_id: int, number, valid_from, valid_to) -> MembershipCard:
    await require(actor.organization_id, MEMBERSHIP_CARDS)
    contact_id = await _member(actor, link_id, ("input", "account_contact_id"))
    return await issue_card(
        actor.organization_id,
        contact_id,
        number,
        valid_from,
        valid_to,
        by=actor.user,
        meta=actor.meta,
    )


async def cards_of(actor, link_id: int) -> list[MembershipCard]:
    await require(actor.organization_id, MEMBERSHIP_CARDS, payload=False)
    contact_id = await _member(actor, link_id, ("account_contact_id",))
    return await MembershipCard.filter(
        organization_id=actor.organization_id, contact_id=contact_id
    ).order_by("-valid_to", "id")


@dataclass(frozen=True)
class Verification:
    valid: bool
    first_name: str | None


async def verify(code: str) -> Verification:
    """What a card's code reveals to anyone: whether it is valid today (its organization
    still using cards) and the member's first name; nothing for an unknown code."""
    card = await MembershipCard.get_or_none(verification_code=(code or "")[:40])
    if card is None:
        return Verification(False, None)
    on = (await features(card.organization_id)).membership_cards
    today = now().date()
    contact = await Contact.get(id=card.contact_id)
    return Verification(on and card.valid_from <= today <= card.valid_to, contact.first_name)


async def cards_seen(links: list[AccountContact]) -> list[list[tuple[MembershipCard, str]]]:
    """For each of a user's account links (fetched with their account and contact): the
    membership cards they see, with the member's first name — the household's for the
    primary and FULL contacts, their own otherwise; none where the organization does not
    use cards. Four statements however many links."""
    from resolvers.accounts.visibility import sees_household

    organizations = {x.account.organization_id for x in links}
    on = set(
        await OrganizationFeatures.filter(
            organization_id__in=list(organizations), membership_cards=True
        ).values_list("organization_id", flat=True)
    )
    wanted = [x for x in links if x.account.organization_id in on]
    whole = [x.account_id for x in wanted if sees_household(x, x.account.primary_contact_id)]
    members = await AccountContact.filter(account_id__in=whole).values_list(
        "account_id", "contact_id"
    )
    contacts_of: dict[int, set[int]] = {x.id: {x.contact_id} for x in wanted}
    for x in wanted:
        if x.account_id in whole:
            contacts_of[x.id] = {c for a, c in members if a == x.account_id}
    everyone = {c for found in contacts_of.values() for c in found}
    cards = (
        await MembershipCard.filter(contact_id__in=list(everyone))
        .select_related("contact")
        .order_by("-valid_to", "id")
        if everyone
        else []
    )
    return [
        [
            (card, card.contact.first_name)
            for card in cards
            if card.contact_id in contacts_of.get(x.id, set())
            and card.organization_id == x.account.organization_id
        ]
        for x in links
    ]
