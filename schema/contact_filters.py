"""The contacts list's filter and sort inputs, and how they become a `ContactFilter`;
contactsExport takes the same filter."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers.common.errors import NotFound
from resolvers.contacts import search as contact_search
from schema import ids
from schema.contact_consent import ConsentChannelEnum, ConsentStatusEnum
from schema.types import SortDirection

if TYPE_CHECKING:
    from schema.contacts import ContactKindEnum

ContactKindRef = Annotated["ContactKindEnum", strawberry.lazy("schema.contacts")]

GroupMatchEnum = strawberry.enum(contact_search.GroupMatch, name="GroupMatch")
ContactSortEnum = strawberry.enum(contact_search.ContactSort, name="ContactSortField")


@strawberry.input
class GroupsFilterInput:
    ids: list[strawberry.ID]
    mode: GroupMatchEnum = contact_search.GroupMatch.ANY


@strawberry.input
class ConsentFilterInput:
    channel: ConsentChannelEnum
    statuses: list[ConsentStatusEnum] = strawberry.field(
        description="Effective statuses: an expired implied consent counts as NOT_ASKED."
    )


@strawberry.input(description="Whole years, in the organization's timezone; both ends included.")
class AgeRangeInput:
    min: int | None = None
    max: int | None = None


@strawberry.input(description="Calendar days in the organization's timezone, both included.")
class DateRangeInput:
    from_: date | None = strawberry.field(default=None, name="from")
    to: date | None = None


@strawberry.input(
    description="Conditions on one custom field's answer, all of which must hold. Which fit "
    "which type: TEXT contains; NUMBER and DATE equals, in, min, max; BOOLEAN and "
    "SINGLE_CHOICE equals, in; MULTIPLE_CHOICE in (any of the choices); isSet for all. "
    "Another condition raises BAD_USER_INPUT."
)
class CustomFieldFilterInput:
    field_id: strawberry.ID
    equals: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="The answer is this value; null: the contact has no answer.",
    )
    in_: list[JSON] | None = strawberry.field(
        default=None, name="in", description="The answer is one of these values."
    )
    contains: str | None = strawberry.field(
        default=None, description="Text answers containing this, ignoring case."
    )
    is_set: bool | None = strawberry.field(
        default=None, description="True: answered; false: not answered."
    )
    min: JSON | None = strawberry.field(
        default=None, description="At least this number or date (YYYY-MM-DD)."
    )
    max: JSON | None = strawberry.field(
        default=None, description="At most this number or date (YYYY-MM-DD)."
    )


@strawberry.input
class ContactFilterInput:
    kind: ContactKindRef | None = None
    colour_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Any of these colours."
    )
    groups: GroupsFilterInput | None = None
    is_user: bool | None = None
    is_subscriber: bool | None = None
    consent: ConsentFilterInput | None = strawberry.field(
        default=None,
        description="The consent alone, whether or not the contact has an address to use.",
    )
    marketing_allowed: ConsentChannelEnum | None = strawberry.field(
        default=None,
        description="Contacts that can be messaged on this channel now: those whose "
        "`marketingAllowed` is true for it (consent in force, an email or a phone to use, "
        "not doNotContact).",
    )
    age: AgeRangeInput | None = strawberry.field(
        default=None, description="Contacts without a birth date never match."
    )
    created_at: DateRangeInput | None = None
    last_activity_at: DateRangeInput | None = None
    affiliated_to: strawberry.ID | None = strawberry.field(
        default=None, description="People affiliated with this organization contact."
    )
    custom_fields: list[CustomFieldFilterInput] | None = strawberry.field(
        default=None, description="Custom field answers; every condition must hold."
    )
    archived: bool = strawberry.field(
        default=False, description="True lists the archived contacts instead of the others."
    )


@strawberry.input
class ContactSortInput:
    field: ContactSortEnum = contact_search.ContactSort.NAME
    direction: SortDirection = SortDirection.ASC


def _date_range(days: DateRangeInput | None) -> contact_search.DateRange | None:
    return contact_search.DateRange(days.from_, days.to) if days is not None else None


def _custom_field_condition(
    given: CustomFieldFilterInput,
) -> contact_search.CustomFieldCondition:
    has_equals = given.equals is not strawberry.UNSET
    return contact_search.CustomFieldCondition(
        field_id=ids.decode_as(given.field_id, "CustomField"),
        has_equals=has_equals,
        equals=given.equals if has_equals else None,
        in_=given.in_,
        contains=given.contains,
        is_set=given.is_set,
        min=given.min,
        max=given.max,
    )


def contact_filter(
    text: str | None, given: ContactFilterInput | None
) -> contact_search.ContactFilter:
    given = given or ContactFilterInput()
    affiliated_to = None
    if given.affiliated_to is not None:
        affiliated_to = ids.decode_as(given.affiliated_to, "Contact")
        if affiliated_to is None:
            raise NotFound(("filter", "affiliatedTo"))
    return contact_search.ContactFilter(
        search=text,
        kind=given.kind,
        colour_ids=(
            [ids.decode_as(g, "Colour") for g in given.colour_ids]
            if given.colour_ids is not None
            else None
        ),
        group_ids=[ids.decode_as(g, "Group") for g in given.groups.ids] if given.groups else None,
        group_match=given.groups.mode if given.groups else contact_search.GroupMatch.ANY,
        is_user=given.is_user,
        is_subscriber=given.is_subscriber,
        consent_channel=given.consent.channel if given.consent else None,
        consent_statuses=given.consent.statuses if given.consent else None,
        marketing_allowed=given.marketing_allowed,
        age_min=given.age.min if given.age else None,
        age_max=given.age.max if given.age else None,
        created=_date_range(given.created_at),
        last_activity=_date_range(given.last_activity_at),
        affiliated_to=affiliated_to,
        custom_fields=(
            [_custom_field_condition(c) for c in given.custom_fields]
            if given.custom_fields is not None
            else None
        ),
        archived=given.archived,
    )
