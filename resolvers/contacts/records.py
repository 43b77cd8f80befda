"""The contact row itself: its derived columns (`sort_name`, `search_text`), the folding
they and the search box share, and the tenant-scoped look-ups every contact write starts
with. The other contact modules build on this one; it imports none of them (only the
phone fast path, resolvers.contacts.phones, which imports nothing of Carnet).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import Enum
from typing import Any

import phonenumbers

from carnet.i18n import N_
from models.contacts import Contact, ContactKind
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.contacts.phones import nanp_digits

SORT_NAME_MAX_LENGTH = 300
# One call handles at most this many contacts; bigger selections go through the bulk
# operations (contactsBulkColourSet, contactsBulkGroupAdd…), which run in the worker.
MAX_CONTACTS_PER_CALL = 500
_PARSED: dict[str, phonenumbers.PhoneNumber] = {}  # by E.164: see remember_number
_PARSED_MAX = 4096


def fold(text: str) -> str:
    """Lower case, without accents, one space between words: what search compares."""
    if text.isascii():  # no accent to remove; ASCII's case folding is lower()
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def phone_digits(e164: str | None) -> list[str]:
    """The stored number's digits, international and national ("33612345678" and
    "0612345678"), so a number typed either way is found."""
    if not e164:
        return []
    nanp = nanp_digits(e164)
    if nanp is not None:
        return nanp
    digits = [e164.lstrip("+")]
    number = _PARSED.get(e164)
    if number is None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return digits
    national = re.sub(
        r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    if national and national not in digits[0]:
        digits.append(national)
    return digits


def remember_number(e164: str, parsed: phonenumbers.PhoneNumber) -> None:
    """Keeps a number just validated, as `phonenumbers.parse(e164)` would read it back (no
    extension, no raw input), for `phone_digits`: a contact write validates its phone,
    then computes its search text from it."""
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[e164] = phonenumbers.PhoneNumber(
        country_code=parsed.country_code,
        national_number=parsed.national_number,
        italian_leading_zero=parsed.italian_leading_zero,
        number_of_leading_zeros=parsed.number_of_leading_zeros,
    )


def refresh_derived(contact: Contact) -> None:
    """Recomputes `sort_name` and `search_text`; every write of a name, the email or the
    phone calls it before saving.

    `sort_name` is folded "last, first" for people ("desjardins, marie"), the folded name for
    organizations, so lists sort alike on every database whatever the accents and case.
    """
    if contact.kind is ContactKind.ORGANIZATION:
        name = contact.organization_name
    else:
        name = ", ".join(part for part in (contact.last_name, contact.first_name) if part)
    # A contact recorded from an interaction may have no name yet: its address stands in.
    contact.sort_name = fold(name or contact.email or contact.phone or "")[:SORT_NAME_MAX_LENGTH]
    parts = [
        contact.first_name,
        contact.last_name,
        contact.organization_name,
        contact.email or "",
        *phone_digits(contact.phone),
    ]
    contact.search_text = fold(" ".join(parts))


def display_name(contact: Contact) -> str:
    if contact.kind is ContactKind.ORGANIZATION:
        return contact.organization_name
    full = f"{contact.first_name} {contact.last_name}".strip()
    return full or contact.email or contact.phone or ""


async def contact_in(actor: Actor, contact_id: int | None, field: FieldPath) -> Contact:
    """The contact, if it is in the actor's organization (archived or not); else NOT_FOUND."""
    contact = None
    if contact_id is not None:
        contact = await Contact.get_or_none(id=contact_id, organization_id=actor.organization_id)
    if contact is None:
        raise NotFound(field)
    return contact


async def locked_contact(actor: Actor, contact_id: int | None, field: FieldPath) -> Contact:
    """The same, locked for the current transaction."""
    return await locked_row(Contact, actor, contact_id, field)


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Audit-log values: enums by value, dates and times in ISO 8601."""

    def one(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    return {key: one(value) for key, value in values.items()}


async def selected_contacts(
    actor: Actor, contact_ids: Sequence[int | None], field: FieldPath, bulk_mutation: str
) -> list[int]:
    """The distinct contact ids, in the given order, all of the actor's organization.

    `None` stands for an id that did not decode as a Contact's. Each id that does not
    resolve here — missing, another organization's, malformed — is a NOT_FOUND on its own
    index, e.g. ["input", "contactIds", 3], all reported together. Past
    MAX_CONTACTS_PER_CALL, the error names `bulk_mutation`, the bulk operation to use.
    """
    if len(contact_ids) > MAX_CONTACTS_PER_CALL:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            field,
            N_(
                "At most {max} contacts at a time: for more, use {mutation}, a bulk "
                "operation on a segment, a filter or a list of ids."
            ),
            max=MAX_CONTACTS_PER_CALL,
            mutation=bulk_mutation,
        )
    wanted = {pk for pk in contact_ids if pk is not None}
    found: set[int] = set()
    if wanted:
        mine = Contact.filter(organization_id=actor.organization_id, id__in=wanted)
        found = set(await mine.values_list("id", flat=True))
    errors = ErrorCollector()
    for index, pk in enumerate(contact_ids):
        if pk not in found:
            errors.add(UserErrorCode.NOT_FOUND, (*field, index), N_("Not found."))
    errors.raise_if_any()
    return list(dict.fromkeys(pk for pk in contact_ids if pk is not None))
