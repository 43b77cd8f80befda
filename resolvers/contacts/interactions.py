"""The address book fills itself: whoever interacts with an organization (becomes staff, a
client, buys, joins a team) is found or added as a contact by `record_interaction`.

Called by other domains' flows inside their own transaction; it never fails on data the
caller already validated, and it never overwrites what staff entered: it fills blanks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.contacts import Contact, ContactSource
from models.identity import User
from models.organizations import Organization
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector
from resolvers.common.locks import Purpose, advisory_lock
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import normalize_email
from resolvers.contacts import consent as consent_rules
from resolvers.contacts import links
from resolvers.contacts.consent import ConsentChange
from resolvers.contacts.contacts import clean_phone
from resolvers.contacts.records import jsonable, refresh_derived
from resolvers.duplicates import suggestions as duplicates

_CANDIDATES = 20


async def record_interaction(
    organization_id: int,
    *,
    user: User | None = None,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str | None = None,
    source: ContactSource,
    consent: Iterable[ConsentChange] | None = None,
    by: User | None = None,
    meta: RequestMeta | None = None,
) -> Contact:
    """Finds the contact (the one linked to `user`, else one with the email) or creates it;
    sets `last_activity_at`; links `user` when their email is verified and matches; applies
    the consent given, when it supersedes what the contact has (`consent.supersedes`).

    `email` is trusted as given by the caller (typed by staff, entered on a form); without
    it, the user's login email is used only once verified. An archived contact that
    interacts again comes back to the lists. `by` is the staff member who acted, if any (the
    audit log names the user otherwise; consent history names staff only).
    Raises UserErrors for an invalid email, phone or consent.
    """
    meta = meta or RequestMeta()
    staff, by = by, by or user
    organization = await Organization.get(id=organization_id)
    errors = ErrorCollector()
    if email:
        email = normalize_email(email, errors, ("email",)) or None
    elif user is not None and user.email_verified:
        email = user.email
    phone = clean_phone(phone, organization.country, errors, ("phone",)) if phone else None
    changes = [
        consent_rules.check(change, errors, ("consent", index))
        for index, change in enumerate(consent or ())
    ]
    errors.raise_if_any()
    async with unit_of_work():
        contact = await _find(organization_id, user, email)
        if contact is None:
            # Serializes the creations of one organization's interactions, so two at once
            # (a purchase and a registration) do not add the same person twice.
            await advisory_lock(organization_id, Purpose.CONTACT_MATCHING)
            contact = await _find(organization_id, user, email)
        if contact is None:
            contact = await _create(organization, user, email, first_name, last_name, phone, source)
            await audit.record(
                "contact.create",
                actor=by,
                meta=meta,
                organization_id=organization_id,
                target=("Contact", contact.id),
                after=jsonable({"source": source, "email": email, "automatic": True}),
            )
        else:
            await _touch(contact, first_name, last_name, email, phone, by, meta)
        await links.auto_link(contact, by, meta, user=user)
        for checked in changes:
            if consent_rules.supersedes(contact, checked.change):
                await consent_rules.apply(contact, checked, by, meta, recorded_by=staff)
    return contact


async def _find(organization_id: int, user: User | None, email: str | None) -> Contact | None:
    here = Contact.filter(organization_id=organization_id)
    if user is not None:
        found = await _first(here.filter(user_id=user.id))
        if found is not None:
            return found
    if not email:
        return None
    same_email = here.filter(email=email)
    if user is not None:
        # A contact linked to someone else is that person's, whatever its email.
        same_email = same_email.filter(Q(user_id__isnull=True) | Q(user_id=user.id))
    return await _first(same_email)


async def _first(qs: QuerySet) -> Contact | None:
    """The oldest contact in the lists, else the oldest archived one; locked."""
    rows = await qs.select_for_update().order_by("id").limit(_CANDIDATES)
    return min(rows, key=lambda c: (c.archived_at is not None, c.id), default=None)


async def _create(
    organization: Organization,
    user: User | None,
    email: str | None,
    first_name: str,
    last_name: str,
    phone: str | None,
    source: ContactSource,
) -> Contact:
    if user is not None and not (first_name or last_name):
        first_name, last_name = user.first_name, user.last_name
    contact = Contact(
        organization_id=organization.id,
        first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100],
        email=email,
        phone=phone,
        locale=user.locale if user is not None else organization.locale,
        source=source,
        last_activity_at=now(),
    )
    refresh_derived(contact)
    await contact.save()
    await duplicates.refresh_suggestions(organization.id, [contact.id])
    return contact


async def _touch(
    contact: Contact,
    first_name: str,
    last_name: str,
    email: str | None,
    phone: str | None,
    by: User | None,
    meta: RequestMeta,
) -> None:
    moment = now()
    latest: datetime | None = contact.last_activity_at
    contact.last_activity_at = moment if latest is None or latest < moment else latest
    fills: dict[str, str] = {}
    if not (contact.first_name or contact.last_name) and (first_name or last_name):
        fills.update(first_name=first_name.strip()[:100], last_name=last_name.strip()[:100])
    if email and not contact.email:
        fills["email"] = email
    if phone and not contact.phone:
        fills["phone"] = phone
    fields = ["last_activity_at", "updated_at", *fills]
    if fills:
        contact.update_from_dict(fills)
        refresh_derived(contact)
        fields += ["sort_name", "search_text"]
    if contact.archived_at is not None:
        contact.archived_at = None
        fields.append("archived_at")
        await audit.record(
            "contact.restore",
            actor=by,
            meta=meta,
            organization_id=contact.organization_id,
            target=("Contact", contact.id),
            after={"reason": "interaction"},
        )
    await contact.save(update_fields=fields)
    if fills or "archived_at" in fields:
        await duplicates.refresh_suggestions(contact.organization_id, [contact.id])
