"""Creating organizations and editing their profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import available_timezones

from carnet.i18n import N_
from models.contacts import ContactSource
from models.identity import Locale, User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import today_in
from resolvers.common.validation import (
    clean_country,
    clean_currency,
    clean_text,
    normalize_email,
)
from resolvers.contacts.interactions import record_interaction

TEXT_LIMITS = {
    "name": 200,
    "legal_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "sender_name": 200,
}
PROFILE_FIELDS = (
    *TEXT_LIMITS,
    "country",
    "locale",
    "timezone",
    "currency",
    "sender_email",
    "sms_number",
    "tax_numbers",
)


@dataclass
class TaxNumber:
    label: str
    number: str


@dataclass
class ProfileChanges:
    """Fields left as None are unchanged."""

    values: dict[str, object] = field(default_factory=dict)


def _validate(changes: dict[str, object], errors: ErrorCollector) -> dict[str, object]:
    clean: dict[str, object] = {}
    for name, value in changes.items():
        path = ("input", name)
        if name in TEXT_LIMITS:
            clean[name] = clean_text(
                value, errors, path, max_length=TEXT_LIMITS[name], required=name == "name"
            )
        elif name == "country":
            clean[name] = clean_country(str(value), errors, path, required=True)
        elif name == "timezone":
            if value not in available_timezones():
                errors.add(UserErrorCode.INVALID, path, N_("Unknown time zone."))
            clean[name] = value
        elif name == "currency":
            clean[name] = clean_currency(str(value), errors, path)
        elif name == "sender_email":
            clean[name] = normalize_email(str(value), errors, path) if value else ""
        elif name == "sms_number":
            number = str(value).strip()
            if number and not (
                number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16
            ):
                errors.add(
                    UserErrorCode.INVALID,
                    path,
                    N_("Use the international format, e.g. +15145550123."),
                )
            clean[name] = number
        elif name == "tax_numbers":
            numbers = []
            for i, tax in enumerate(value):  # type: ignore[arg-type]
                label = clean_text(
                    tax.label, errors, (*path, i, "label"), max_length=50, required=True
                )
                number = clean_text(
                    tax.number, errors, (*path, i, "number"), max_length=50, required=True
                )
                numbers.append({"label": label, "number": number})
            clean[name] = numbers
        elif name == "locale":
            clean[name] = Locale(value)
    return clean


def snapshot(organization: Organization, names) -> dict[str, object]:
    return {n: getattr(organization, n) for n in names}


async def create(user: User, changes: dict[str, object], meta: RequestMeta) -> Organization:
    errors = ErrorCollector()
    if not user.email_verified:
        # An organization mails invitations in its own name: whoever creates one must have
        # proven an address first, so each one leads back to a person who can be reached.
        errors.add(
            UserErrorCode.EMAIL_NOT_VERIFIED,
            (),
            N_(
                "Confirm your email address before creating an organization: "
                "open the link we sent you, or ask for a new one."
            ),
        )
    values = _validate({"name": "", **changes}, errors)
    errors.raise_if_any()
    async with unit_of_work():
        organization = await Organization.create(**values)
        membership = await StaffMembership.create(
            organization=organization, user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE
        )
        await audit.record(
            "organization.create",
            actor=user,
            meta=meta,
            organization_id=organization.id,
            target=("Organization", organization.id),
            after=_jsonable(snapshot(organization, values)),
        )
        await audit.record(
            "staff.add",
            actor=user,
            meta=meta,
            organization_id=organization.id,
            target=("StaffMembership", membership.id),
            after={"user_id": user.id, "role": Role.OWNER.value},
        )
        await record_interaction(
            organization.id,
            user=user,
            first_name=user.first_name,
            last_name=user.last_name,
            source=ContactSource.STAFF_MEMBERSHIP,
            meta=meta,
        )
    return organization


async def update(actor: Actor, changes: dict[str, object]) -> Organization:
    errors = ErrorCollector()
    values = _validate(changes, errors)
    errors.raise_if_any()
    async with unit_of_work():
        # NO KEY: inserts that only reference the organization (contacts, the audit log)
        # need not wait for its profile's edit.
        organization = (
            await Organization.filter(id=actor.organization_id).select_for_update(no_key=True).get()
        )
        before, after = audit.changes(snapshot(organization, values), values)
        if after:
            organization.update_from_dict(values)
            await organization.save(update_fields=[*values, "updated_at"])
            await audit.record(
                "organization.update",
                actor=actor.user,
                meta=actor.meta,
                organization_id=organization.id,
                target=("Organization", organization.id),
                before=_jsonable(before),
                after=_jsonable(after),
            )
    return organization


def _jsonable(values: dict[str, object]) -> dict[str, object]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


async def my_organizations(user: User) -> list[Organization]:
    """Where the user is active staff today, by name; a deactivation date that has come
    counts at once (each organization's own timezone), before the job records it."""
    memberships = await StaffMembership.filter(
        user_id=user.id, status=MembershipStatus.ACTIVE
    ).select_related("organization")
    return sorted(
        (
            m.organization
            for m in memberships
            if not m.deactivate_on or m.deactivate_on > today_in(m.organization.timezone)
        ),
        key=lambda organization: (organization.name.lower(), organization.id),
    )
