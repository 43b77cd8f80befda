"""Creating, editing, archiving and reading contacts, and the subscriber flag.

A contact needs little: a person a first or last name, an organization contact its name
(staff enter contacts in advance, before any interaction). Emails are normalized, phones
stored in E.164 with the organization's country as the default region. Two contacts may
share an email or a phone — families share addresses, and duplicates are found and merged
later — so writes allow it and return the look-alikes as `possible_duplicates`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from tortoise.expressions import Q, Subquery

from carnet.i18n import N_
from models.accounts import AccountContact, AccountContactKind
from models.catalogue import LIVE_SUBSCRIPTION, FamilyCoverCancellation, Subscription
from models.contacts import Contact, ContactKind, ContactSource
from models.identity import Locale
from models.organizations import Organization
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now, today_in
from resolvers.common.validation import clean_country, clean_text, normalize_email
from resolvers.contacts import links, phones
from resolvers.contacts.records import (
    contact_in,
    jsonable,
    locked_contact,
    refresh_derived,
    remember_number,
)
from resolvers.duplicates import suggestions as duplicates

TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "organization_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
NOTES_MAX_LENGTH = 10_000
PHONE_INPUT_MAX_LENGTH = 40
OLDEST_BIRTH_DATE_YEARS = 150
MAX_POSSIBLE_DUPLICATES = 10
EDITABLE_FIELDS = (
    *TEXT_LIMITS,
    "kind",
    "email",
    "phone",
    "birth_date",
    "locale",
    "country",
    "notes",
    "do_not_contact",
)
# Fields without an empty value: null means nothing, and is refused.
_NOT_CLEARABLE = ("kind", "locale", "do_not_contact", "source")


def clean_phone(
    value: str | None, region: str, errors: ErrorCollector, field: FieldPath
) -> str | None:
    """The number in E.164 ("+15145550123"), read as the organization's country when typed
    without a country code; None when empty, or after adding an error."""
    before = len(errors.errors)
    text = clean_text(value, errors, field, max_length=PHONE_INPUT_MAX_LENGTH)
    if not text or len(errors.errors) > before:
        return None
    e164 = _e164(text, region or "")
    if e164 is None:
        errors.add(
            UserErrorCode.INVALID, field, N_("Enter a valid phone number, e.g. +1 514 555 0123.")
        )
    return e164


@lru_cache(maxsize=4096)
def _e164(text: str, region: str) -> str | None:
    """Pure, so remembered (a file repeats numbers); the number parsed is kept for the
    search text's digits (`records.phone_digits`) not to parse it again. The common
    North American formats take a fast path with the same result (`phones.e164`)."""
    fast = phones.e164(text, region)
    if fast is not phones.NOT_FAST:
        return fast
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    remember_number(e164, number)
    return e164


def clean_notes(value: str | None, errors: ErrorCollector, field: FieldPath) -> str:
    return clean_text(value, errors, field, max_length=NOTES_MAX_LENGTH, multiline=True)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; February 29 becomes February 28."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _clean_birth_date(value, organization: Organization, errors, field):
    if value is None:
        return None
    today = today_in(organization.timezone)
    if value > today:
        errors.add(UserErrorCode.INVALID, field, N_("A birth date cannot be in the future."))
    elif value < years_before(today, OLDEST_BIRTH_DATE_YEARS):
        errors.add(
            UserErrorCode.INVALID,
            field,
            N_("Enter a birth date within the last {max} years."),
            max=OLDEST_BIRTH_DATE_YEARS,
        )
    return value


def clean_values(
    values: dict[str, Any], organization: Organization, errors: ErrorCollector
) -> dict[str, Any]:
    """The given fields, validated and normalized; errors name each field's input path."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        path = ("input", name)
        if value is None and name in _NOT_CLEARABLE:
            errors.add(UserErrorCode.REQUIRED, path, N_("This field is required."))
        elif name in TEXT_LIMITS:
            clean[name] = clean_text(value, errors, path, max_length=TEXT_LIMITS[name])
        elif name == "email":
            email = (value or "").strip()
            clean[name] = (normalize_email(email, errors, path) or None) if email else None
        elif name == "phone":
            clean[name] = clean_phone(value, organization.country, errors, path)
        elif name == "birth_date":
            clean[name] = _clean_birth_date(value, organization, errors, path)
        elif name == "country":
            clean[name] = clean_country(value, errors, path, required=False)
        elif name == "notes":
            clean[name] = clean_notes(value, errors, path)
        elif name == "kind":
            clean[name] = ContactKind(value)
        elif name == "locale":
            clean[name] = Locale(value)
        elif name == "source":
            clean[name] = ContactSource(value)
        elif name == "do_not_contact":
            clean[name] = bool(value)
        else:
            raise ValueError(f"not a contact field: {name}")
    return clean


def check_names(contact: Contact, errors: ErrorCollector) -> None:
    if contact.kind is ContactKind.ORGANIZATION:
        if not contact.organization_name:
            errors.add(
                UserErrorCode.REQUIRED,
                ("input", "organization_name"),
                N_("This field is required."),
            )
    elif not (contact.first_name or contact.last_name):
        errors.add(
            UserErrorCode.REQUIRED, ("input", "first_name"), N_("Enter a first or last name.")
        )


async def create(actor: Actor, values: dict[str, Any]) -> Contact:
    errors = ErrorCollector()
    clean = clean_values(values, actor.organization, errors)
    contact = Contact(
        organization_id=actor.organization_id, **{"locale": actor.organization.locale, **clean}
    )
    check_names(contact, errors)
    errors.raise_if_any()
    refresh_derived(contact)
    async with unit_of_work():
        await contact.save()
        await duplicates.refresh_suggestions(actor.organization_id, [contact.id])
        await audit.record(
            "contact.create",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            after=jsonable({"kind": contact.kind, "source": contact.source, **clean}),
        )
        await links.auto_link(contact, actor.user, actor.meta)
    return contact


async def update(actor: Actor, contact_id: int | None, values: dict[str, Any]) -> Contact:
    """Changes only the fields given; the others keep their values."""
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "id"))
        errors = ErrorCollector()
        clean = clean_values(values, actor.organization, errors)
        before = {name: getattr(contact, name) for name in clean}
        contact.update_from_dict(clean)
        check_names(contact, errors)
        errors.raise_if_any()
        changed_before, changed_after = audit.changes(before, clean)
        if not changed_after:
            return contact
        refresh_derived(contact)
        await contact.save(update_fields=[*changed_after, "sort_name", "search_text", "updated_at"])
        if changed_after.keys() & duplicates.COMPARED_FIELDS:
            await duplicates.refresh_suggestions(actor.organization_id, [contact.id])
        await audit.record(
            "contact.update",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            before=jsonable(changed_before),
            after=jsonable(changed_after),
        )
        if "email" in changed_after:
            await links.auto_link(contact, actor.user, actor.meta)
    return contact


async def archive(actor: Actor, contact_id: int | None) -> Contact:
    """Takes the contact out of lists and audiences; its history stays."""
    return await _set_archived(actor, contact_id, archived=True)


async def restore(actor: Actor, contact_id: int | None) -> Contact:
    return await _set_archived(actor, contact_id, archived=False)


async def _set_archived(actor: Actor, contact_id: int | None, archived: bool) -> Contact:
    async with unit_of_work():
        contact = await locked_contact(actor, contact_id, ("input", "id"))
        if (contact.archived_at is not None) == archived:
            message = (
                N_("This contact is already archived.")
                if archived
                else N_("This contact is not archived.")
            )
            raise UserErrors.single(UserErrorCode.INVALID, ("input", "id"), message)
        contact.archived_at = now() if archived else None
        await contact.save(update_fields=["archived_at", "updated_at"])
        await duplicates.refresh_suggestions(actor.organization_id, [contact.id])
        await audit.record(
            "contact.archive" if archived else "contact.restore",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
        )
    return contact


async def contact(actor: Actor, contact_id: int | None) -> Contact:
    return await contact_in(actor, contact_id, ("id",))


async def possible_duplicates(contact: Contact) -> list[Contact]:
    """Other contacts of the organization with the same email or phone, oldest first."""
    same = [
        Q(**{name: getattr(contact, name)}) for name in ("email", "phone") if getattr(contact, name)
    ]
    if not same:
        return []
    return (
        await Contact.filter(Q(*same, join_type="OR"), organization_id=contact.organization_id)
        .exclude(id=contact.id)
        .order_by("id")
        .limit(MAX_POSSIBLE_DUPLICATES)
    )


async def is_subscriber(contact_ids: Iterable[int]) -> dict[int, bool]:
    """Whether each contact holds a live subscription (TRIAL, ACTIVE or PAST_DUE), theirs
    or a family one of their household: one statement however many contacts."""
    wanted = list(contact_ids)
    found = (
        set(
            await Contact.filter(id__in=wanted)
            .filter(subscriber_condition(True))
            .values_list("id", flat=True)
        )
        if wanted
        else set()
    )
    return {contact_id: contact_id in found for contact_id in wanted}


def subscriber_condition(subscriber: bool) -> Q:
    """Contacts that are (or are not) subscribers, as a filter on Contact: the contact of a
    live subscription of their own, or a MEMBER of an account a live family subscription
    covers who was not taken off it."""
    live = Subscription.filter(status__in=LIVE_SUBSCRIPTION)
    own = Subquery(live.filter(covers_account=False).values("contact_id"))
    families = Subquery(live.filter(covers_account=True).values("account_id"))
    off = Subquery(
        FamilyCoverCancellation.filter(subscription__status__in=LIVE_SUBSCRIPTION).values(
            "member_id"
        )
    )
    covered = Subquery(
        AccountContact.filter(kind=AccountContactKind.MEMBER, account_id__in=families)
        .exclude(id__in=off)
        .values("contact_id")
    )
    condition = Q(id__in=own) | Q(id__in=covered)
    return condition if subscriber else ~condition
