"""The organization's palette of named colours (organization.manage), and the one colour a
contact carries (contacts.write). Deleting a colour leaves its contacts without one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tortoise.exceptions import IntegrityError

from carnet.i18n import N_
from models.colours import Colour
from models.contacts import Contact
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text
from resolvers.contacts.records import selected_contacts

NAME_MAX_LENGTH = 50
# A palette is for telling contacts apart at a glance: it stays small enough to be read
# (and listed) whole, without pages.
PALETTE_LIMIT = 100
_HEX = re.compile(r"#[0-9a-f]{6}")


def clean_hex(value: str | None, errors: ErrorCollector, field: FieldPath) -> str:
    """ "#rrggbb", stored in lower case."""
    text = (value or "").strip().lower()
    if not _HEX.fullmatch(text):
        errors.add(UserErrorCode.INVALID, field, N_("Use a colour code such as #1e90ff (#rrggbb)."))
    return text


def snapshot(colour: Colour) -> dict[str, object]:
    return {"name": colour.name, "hex": colour.hex}


def _name_taken() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "name"),
        N_("A colour with this name already exists."),
    )


async def _check_name_free(actor: Actor, name: str, keep_id: int | None = None) -> None:
    others = Colour.filter(organization_id=actor.organization_id, name__iexact=name)
    if keep_id is not None:
        others = others.exclude(id=keep_id)
    if await others.exists():
        raise _name_taken()


async def _locked_colour(actor: Actor, colour_id: int | None, field: FieldPath) -> Colour:
    # Locked, so a colour being assigned cannot be deleted under the assignment.
    return await locked_row(Colour, actor, colour_id, field)


async def palette(actor: Actor) -> list[Colour]:
    return await Colour.filter(organization_id=actor.organization_id).order_by("name", "id")


async def create(actor: Actor, name: str, hex_code: str) -> Colour:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True)
    hex_code = clean_hex(hex_code, errors, ("input", "hex"))
    errors.raise_if_any()
    try:
        async with unit_of_work():
            await _check_name_free(actor, name)
            if await Colour.filter(organization_id=actor.organization_id).count() >= PALETTE_LIMIT:
                raise UserErrors.single(
                    UserErrorCode.INVALID,
                    ("input", "organization_id"),
                    N_("A palette holds at most {max} colours."),
                    max=PALETTE_LIMIT,
                )
            colour = await Colour.create(
                organization_id=actor.organization_id, name=name, hex=hex_code
            )
            await audit.record(
                "colour.create",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Colour", colour.id),
                after=snapshot(colour),
            )
    except IntegrityError:  # the same name created concurrently
        raise _name_taken() from None
    return colour


async def update(
    actor: Actor, colour_id: int | None, name: str | None, hex_code: str | None
) -> Colour:
    errors = ErrorCollector()
    if name is not None:
        name = clean_text(
            name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True
        )
    if hex_code is not None:
        hex_code = clean_hex(hex_code, errors, ("input", "hex"))
    errors.raise_if_any()
    try:
        async with unit_of_work():
            colour = await _locked_colour(actor, colour_id, ("input", "id"))
            before = snapshot(colour)
            if name is not None and name != colour.name:
                await _check_name_free(actor, name, keep_id=colour.id)
                colour.name = name
            if hex_code is not None:
                colour.hex = hex_code
            changed_before, changed_after = audit.changes(before, snapshot(colour))
            if not changed_after:
                return colour
            await colour.save(update_fields=["name", "hex", "updated_at"])
            await audit.record(
                "colour.update",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Colour", colour.id),
                before=changed_before,
                after=changed_after,
            )
    except IntegrityError:
        raise _name_taken() from None
    return colour


async def delete(actor: Actor, colour_id: int | None) -> int:
    async with unit_of_work():
        colour = await _locked_colour(actor, colour_id, ("input", "id"))
        # Explicitly rather than through the foreign key's ON DELETE: the count goes to the
        # audit log, and updated_at moves like for any other colour change.
        cleared = await Contact.filter(
            organization_id=actor.organization_id, colour_id=colour.id
        ).update(colour_id=None, updated_at=now())
        deleted_id = colour.id
        await colour.delete()
        await audit.record(
            "colour.delete",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Colour", deleted_id),
            before={**snapshot(colour), "contact_count": cleared},
        )
    return deleted_id


async def set_contact_colour(
    actor: Actor, contact_id: int | None, colour_id: int | None
) -> Contact:
    """Gives the contact that colour (`None` clears it)."""
    async with unit_of_work():
        contact = None
        if contact_id is not None:
            contact = (
                await Contact.filter(id=contact_id, organization_id=actor.organization_id)
                .select_for_update()
                .first()
            )
        if contact is None:
            raise NotFound(("input", "contact_id"))
        if colour_id is not None:
            await _locked_colour(actor, colour_id, ("input", "colour_id"))
        if contact.colour_id == colour_id:
            return contact
        before = {"colour_id": contact.colour_id}
        contact.colour_id = colour_id
        contact.updated_at = now()
        await Contact.filter(id=contact.id).update(
            colour_id=colour_id, updated_at=contact.updated_at
        )
        await audit.record(
            "contact.colour_set",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            before=before,
            after={"colour_id": colour_id},
        )
    return contact


async def set_contacts_colour(
    actor: Actor, contact_ids: Sequence[int | None], colour_id: int | None
) -> list[Contact]:
    """Gives every listed contact that colour (`None` clears it): all of them or, on any
    error, none. Returns the contacts in the order given."""
    async with unit_of_work():
        if colour_id is not None:
            await _locked_colour(actor, colour_id, ("input", "colour_id"))
        wanted = await selected_contacts(
            actor, contact_ids, ("input", "contact_ids"), "contactsBulkColourSet"
        )
        if not wanted:
            return []
        contacts = {c.id: c for c in await Contact.filter(id__in=wanted)}
        changed = [pk for pk in wanted if contacts[pk].colour_id != colour_id]
        if changed:
            moment = now()
            await Contact.filter(id__in=changed).update(colour_id=colour_id, updated_at=moment)
            for pk in changed:
                contacts[pk].colour_id, contacts[pk].updated_at = colour_id, moment
            await audit.record(
                "contacts.colour_set",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Colour", colour_id) if colour_id is not None else None,
                after={"colour_id": colour_id, "contact_ids": changed},
            )
    return [contacts[pk] for pk in wanted]
