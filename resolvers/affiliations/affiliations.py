"""Affiliations: a PERSON contact belongs to an ORGANIZATION contact (a school, an
association, another club) with a role title; at most one affiliation per pair.

An affiliation has no organization column: its tenant is its person's (and, by the
rule enforced here, its organization contact's).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from carnet.i18n import N_
from models.affiliations import Affiliation
from models.contacts import Contact, ContactKind
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

ROLE_TITLE_MAX_LENGTH = 100


def snapshot(affiliation: Affiliation) -> dict[str, object]:
    return {
        "person_id": affiliation.person_id,
        "organization_contact_id": affiliation.organization_contact_id,
        "role_title": affiliation.role_title,
    }


def _already_affiliated() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "organization_contact_id"),
        N_("This person is already affiliated with this organization."),
    )


async def _contact(
    actor: Actor,
    contact_id: int | None,
    kind: ContactKind,
    errors: ErrorCollector,
    field: FieldPath,
) -> Contact | None:
    contact = None
    if contact_id is not None:
        contact = await Contact.get_or_none(id=contact_id, organization_id=actor.organization_id)
    if contact is None:
        errors.add(UserErrorCode.NOT_FOUND, field, N_("Not found."))
    elif contact.kind is not kind:
        message = {
            ContactKind.PERSON: N_("Choose a person."),
            ContactKind.ORGANIZATION: N_("Choose an organization contact."),
        }[kind]
        errors.add(UserErrorCode.INVALID, field, message)
    return contact


async def _locked_affiliation(actor: Actor, affiliation_id: int | None) -> Affiliation:
    affiliation = None
    if affiliation_id is not None:
        affiliation = (
            await Affiliation.filter(
                id=affiliation_id, person__organization_id=actor.organization_id
            )
            .select_for_update()
            .first()
        )
    if affiliation is None:
        raise NotFound(("input", "id"))
    return affiliation


async def create(
    actor: Actor,
    person_id: int | None,
    organization_contact_id: int | None,
    role_title: str | None,
) -> Affiliation:
    errors = ErrorCollector()
    role_title = clean_text(
        role_title, errors, ("input", "role_title"), max_length=ROLE_TITLE_MAX_LENGTH
    )
    person = await _contact(actor, person_id, ContactKind.PERSON, errors, ("input", "person_id"))
    organization = await _contact(
        actor,
        organization_contact_id,
        ContactKind.ORGANIZATION,
        errors,
        ("input", "organization_contact_id"),
    )
    errors.raise_if_any()
    assert person is not None and organization is not None
    try:
        async with unit_of_work():
            if await Affiliation.exists(
                person_id=person.id, organization_contact_id=organization.id
            ):
                raise _already_affiliated()
            affiliation = await Affiliation.create(
                person_id=person.id, organization_contact_id=organization.id, role_title=role_title
            )
            await audit.record(
                "affiliation.create",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Affiliation", affiliation.id),
                after=snapshot(affiliation),
            )
    except IntegrityError:  # the same pair created concurrently, or a contact deleted
        if await Affiliation.exists(person_id=person.id, organization_contact_id=organization.id):
            raise _already_affiliated() from None
        raise
    return affiliation


async def update(actor: Actor, affiliation_id: int | None, role_title: str) -> Affiliation:
    errors = ErrorCollector()
    role_title = clean_text(
        role_title, errors, ("input", "role_title"), max_length=ROLE_TITLE_MAX_LENGTH
    )
    errors.raise_if_any()
    async with unit_of_work():
        affiliation = await _locked_affiliation(actor, affiliation_id)
        if affiliation.role_title == role_title:
            return affiliation
        before = {"role_title": affiliation.role_title}
        affiliation.role_title = role_title
        await affiliation.save(update_fields=["role_title", "updated_at"])
        await audit.record(
            "affiliation.update",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Affiliation", affiliation.id),
            before=before,
            after={"role_title": role_title},
        )
    return affiliation


async def delete(actor: Actor, affiliation_id: int | None) -> int:
    async with unit_of_work():
        affiliation = await _locked_affiliation(actor, affiliation_id)
        deleted_id = affiliation.id
        await affiliation.delete()
        await audit.record(
            "affiliation.delete",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Affiliation", deleted_id),
            before=snapshot(affiliation),
        )
    return deleted_id
