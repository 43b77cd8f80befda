"""Contacts: people and organization contacts, their consent, the list with its search box
and filters, and links to platform users.

Groups, colours and affiliations have their types in schema/contact_groups.py; both
modules refer to each other's types lazily.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from models.contacts import ConsentChannel, ConsentStatus, Contact, ContactKind, ContactSource
from resolvers.common.errors import NotFound
from resolvers.common.permissions import Permission
from resolvers.contacts import consent, contacts, custom_field_answers, links, loaders
from resolvers.contacts import search as contact_search
from resolvers.contacts.records import display_name
from schema import ids
from schema.identity import LocaleEnum, UserType
from schema.organizations import PostalAddress
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Connection, Node, SortDirection, model_node

if TYPE_CHECKING:
    from schema.contact_groups import AffiliationType, ColourType, GroupType
    from schema.custom_fields import CustomFieldAnswerType

GroupRef = Annotated["GroupType", strawberry.lazy("schema.contact_groups")]
ColourRef = Annotated["ColourType", strawberry.lazy("schema.contact_groups")]
AffiliationRef = Annotated["AffiliationType", strawberry.lazy("schema.contact_groups")]
CustomFieldAnswerRef = Annotated["CustomFieldAnswerType", strawberry.lazy("schema.custom_fields")]

ContactKindEnum = strawberry.enum(ContactKind, name="ContactKind")
ContactSourceEnum = strawberry.enum(
    ContactSource, name="ContactSource", description="How a contact arrived in the address book."
)
ConsentChannelEnum = strawberry.enum(ConsentChannel, name="ConsentChannel")
ConsentStatusEnum = strawberry.enum(ConsentStatus, name="ConsentStatus")
ImpliedBasisEnum = strawberry.enum(
    consent.ImpliedBasis,
    name="ImpliedConsentBasis",
    description="What implied consent rests on: a purchase (2 years) or an inquiry (6 months).",
)
GroupMatchEnum = strawberry.enum(contact_search.GroupMatch, name="GroupMatch")
ContactSortEnum = strawberry.enum(contact_search.ContactSort, name="ContactSortField")


@strawberry.type(description="Marketing consent on one channel.")
class ChannelConsent:
    status: ConsentStatusEnum = strawberry.field(
        description="In force now: an implied consent past its expiry reads NOT_ASKED."
    )
    recorded_status: ConsentStatusEnum = strawberry.field(description="As last recorded.")
    expires_at: datetime | None = strawberry.field(description="When implied consent ends.")
    lapsed: bool = strawberry.field(description="An implied consent that has expired.")


@strawberry.type(description="Whether marketing may be sent now, per channel.")
class MarketingAllowed:
    email: bool
    sms: bool


@strawberry.type(name="ConsentRecord", description="One change of consent, with its proof.")
class ConsentRecordType:
    channel: ConsentChannelEnum
    status: ConsentStatusEnum
    source: str
    proof: str
    expires_at: datetime | None
    recorded_at: datetime

    @strawberry.field(
        description="The staff member who recorded it; null when the person gave it themself "
        "(a form, a purchase)."
    )
    def recorded_by(self) -> UserType | None:
        return self.recorded_by  # fetched with the record


def _channel_consent(contact: Contact, channel: ConsentChannel) -> ChannelConsent:
    status, expires_at = consent.recorded(contact, channel)
    effective = consent.current(contact, channel)
    return ChannelConsent(
        status=effective,
        recorded_status=status,
        expires_at=expires_at,
        lapsed=effective is not status,
    )


def _loader(info: strawberry.Info, name: str, batch) -> DataLoader:
    return info.context.loader(f"contacts.{name}", lambda: DataLoader(batch))


@model_node("Contact", Contact, Permission.CONTACTS_READ)
class ContactType(Node):
    kind: ContactKindEnum
    first_name: str
    last_name: str
    organization_name: str = strawberry.field(description="The name of an ORGANIZATION contact.")
    email: str | None
    phone: str | None = strawberry.field(description="E.164, e.g. +15145550123.")
    birth_date: date | None
    locale: LocaleEnum
    notes: str
    source: ContactSourceEnum
    do_not_contact: bool = strawberry.field(description="Blocks marketing on every channel.")
    last_activity_at: datetime | None = strawberry.field(
        description="The latest recorded interaction."
    )
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="First and last name, or the organization's name.")
    def display_name(self) -> str:
        return display_name(self)

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

    @strawberry.field(description="Archived contacts leave lists and audiences.")
    def archived(self) -> bool:
        return self.archived_at is not None

    @strawberry.field(description="Linked to a Carnet login.")
    def is_user(self) -> bool:
        return self.user_id is not None

    @strawberry.field(description="Has at least one active subscription.")
    async def is_subscriber(self, info: strawberry.Info) -> bool:
        return await _loader(info, "subscriber_flags", loaders.subscriber_flags).load(self.id)

    @strawberry.field
    def email_consent(self) -> ChannelConsent:
        return _channel_consent(self, ConsentChannel.EMAIL)

    @strawberry.field
    def sms_consent(self) -> ChannelConsent:
        return _channel_consent(self, ConsentChannel.SMS)

    @strawberry.field(
        description="Per channel: not archived, not do-not-contact, an address or number, and "
        "express or unexpired implied consent."
    )
    def marketing_allowed(self) -> MarketingAllowed:
        return MarketingAllowed(
            email=consent.marketing_allowed(self, ConsentChannel.EMAIL),
            sms=consent.marketing_allowed(self, ConsentChannel.SMS),
        )

    @strawberry.field(description="Consent changes, newest first; both channels unless one given.")
    async def consent_history(
        self, info: strawberry.Info, channel: ConsentChannelEnum | None = None
    ) -> list[ConsentRecordType]:
        loader = _loader(info, "consent_histories", loaders.consent_histories)
        return await loader.load((self.id, ConsentChannel(channel) if channel else None))

    @strawberry.field
    async def colour(self, info: strawberry.Info) -> ColourRef | None:
        if self.colour_id is None:
            return None
        return await _loader(info, "colours", loaders.colours).load(self.colour_id)

    @strawberry.field(description="The groups the contact is in, by name.")
    async def groups(self, info: strawberry.Info) -> list[GroupRef]:
        return await _loader(info, "groups_of", loaders.groups_of).load(self.id)

    @strawberry.field(description="A person's organizations, with their role titles.")
    async def affiliations(self, info: strawberry.Info) -> list[AffiliationRef]:
        loader = _loader(info, "affiliations_of_people", loaders.affiliations_of_people)
        return await loader.load(self.id)

    @strawberry.field(description="An organization contact's people, with their role titles.")
    async def affiliated_people(self, info: strawberry.Info) -> list[AffiliationRef]:
        return await _loader(info, "affiliated_people", loaders.affiliated_people).load(self.id)

    @strawberry.field(
        description="Answers to the organization's custom fields (archived questions aside), "
        "in form, section and question order."
    )
    async def custom_fields(self, info: strawberry.Info) -> list[CustomFieldAnswerRef]:
        loader = _loader(info, "custom_field_answers", custom_field_answers.answers_of)
        return await loader.load(self.id)


@strawberry.input(description="Contact fields; on update, only those given change.")
class ContactFieldsInput:
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    organization_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Any usual format; read in the organization's country unless it starts with +.",
    )
    birth_date: date | None = strawberry.UNSET
    locale: LocaleEnum | None = strawberry.field(
        default=strawberry.UNSET, description="The organization's language when not given."
    )
    address_line1: str | None = strawberry.UNSET
    address_line2: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166 code, e.g. CA."
    )
    notes: str | None = strawberry.UNSET
    do_not_contact: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Blocks marketing on every channel."
    )


@strawberry.input
class ContactCreateInput(ContactFieldsInput):
    organization_id: strawberry.ID
    kind: ContactKindEnum = ContactKind.PERSON
    source: ContactSourceEnum = ContactSource.STAFF_ENTRY


@strawberry.input
class ContactUpdateInput(ContactFieldsInput):
    id: strawberry.ID
    kind: ContactKindEnum | None = strawberry.UNSET


@strawberry.input
class ContactInput:
    id: strawberry.ID


@strawberry.input
class ContactConsentSetInput:
    contact_id: strawberry.ID
    channel: ConsentChannelEnum
    status: ConsentStatusEnum
    source: str = strawberry.field(description='How it was given: "web form", "phone call"…')
    proof: str = strawberry.field(default="", description="The wording agreed to, a reference…")
    implied_basis: ImpliedBasisEnum | None = strawberry.field(
        default=None, description="Required for IMPLIED."
    )
    implied_at: datetime | None = strawberry.field(
        default=None,
        description="When the purchase or inquiry happened (IMPLIED); now if not given.",
    )


@strawberry.input
class ContactUserLinkInput:
    contact_id: strawberry.ID
    user_id: strawberry.ID = strawberry.field(description="A user whose email is verified.")


@strawberry.input
class ContactUserUnlinkInput:
    contact_id: strawberry.ID


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
    kind: ContactKindEnum | None = None
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


@strawberry.type
class ContactPayload(Payload):
    contact: ContactType | None = None


@strawberry.type
class ContactWritePayload(Payload):
    contact: ContactType | None = None

    @strawberry.field(
        description="Other contacts with the same email or phone (allowed; merge them later)."
    )
    async def possible_duplicates(self) -> list[ContactType]:
        return await contacts.possible_duplicates(self.contact) if self.contact else []


def _given(input_: Any, exclude: tuple[str, ...]) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(input_).items()
        if value is not strawberry.UNSET and name not in exclude
    }


def _range(days: DateRangeInput | None) -> contact_search.DateRange | None:
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


def _filter(text: str | None, given: ContactFilterInput | None) -> contact_search.ContactFilter:
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
        created=_range(given.created_at),
        last_activity=_range(given.last_activity_at),
        affiliated_to=affiliated_to,
        custom_fields=(
            [_custom_field_condition(c) for c in given.custom_fields]
            if given.custom_fields is not None
            else None
        ),
        archived=given.archived,
    )


@strawberry.type
class ContactQuery:
    @strawberry.field(
        **describe("One contact, archived or not.", requires(Permission.CONTACTS_READ))
    )
    async def contact(self, info: strawberry.Info, id: strawberry.ID) -> ContactType | None:
        pk = await scoped_id(info, id, "Contact", ("id",))
        return await contacts.contact(info.context.actor(info), pk)

    @strawberry.field(
        **describe(
            "The address book. `search` matches names, email and phone (typed any way), "
            "ignoring accents and case; every filter given must hold; archived contacts are "
            "listed only with `filter: {archived: true}`.",
            requires(Permission.CONTACTS_READ, scope="organizationId"),
        )
    )
    async def contacts(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        search: str | None = None,
        filter: ContactFilterInput | None = None,
        sort: ContactSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ContactType]:
        sort = sort or ContactSortInput()
        page = await contact_search.contacts(
            info.context.actor(info),
            _filter(search, filter),
            contact_search.ContactSort(sort.field),
            sort.direction is SortDirection.DESC,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)


@strawberry.type
class ContactMutation:
    @strawberry.mutation(
        **describe(
            "Adds a contact; a name is enough. Same email or phone as another contact is "
            "allowed: see `possibleDuplicates`.",
            requires(Permission.CONTACTS_WRITE),
        )
    )
    async def contact_create(
        self, info: strawberry.Info, input: ContactCreateInput
    ) -> ContactWritePayload:
        values = _given(input, exclude=("organization_id",))
        return ContactWritePayload(contact=await contacts.create(info.context.actor(info), values))

    @strawberry.mutation(
        **describe(
            "Edits a contact: only the fields given change.", requires(Permission.CONTACTS_WRITE)
        )
    )
    async def contact_update(
        self, info: strawberry.Info, input: ContactUpdateInput
    ) -> ContactWritePayload:
        pk = await scoped_id(info, input.id, "Contact", ("input", "id"))
        values = _given(input, exclude=("id",))
        return ContactWritePayload(
            contact=await contacts.update(info.context.actor(info), pk, values)
        )

    @strawberry.mutation(
        **describe(
            "Takes a contact out of lists and audiences; its history stays.",
            requires(Permission.CONTACTS_WRITE),
        )
    )
    async def contact_archive(self, info: strawberry.Info, input: ContactInput) -> ContactPayload:
        pk = await scoped_id(info, input.id, "Contact", ("input", "id"))
        return ContactPayload(contact=await contacts.archive(info.context.actor(info), pk))

    @strawberry.mutation(
        **describe("Brings an archived contact back.", requires(Permission.CONTACTS_WRITE))
    )
    async def contact_restore(self, info: strawberry.Info, input: ContactInput) -> ContactPayload:
        pk = await scoped_id(info, input.id, "Contact", ("input", "id"))
        return ContactPayload(contact=await contacts.restore(info.context.actor(info), pk))

    @strawberry.mutation(
        **describe(
            "Records a contact's marketing consent on one channel, with its source and proof.",
            requires(Permission.CONTACTS_WRITE),
        )
    )
    async def contact_consent_set(
        self, info: strawberry.Info, input: ContactConsentSetInput
    ) -> ContactPayload:
        pk = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        change = consent.ConsentChange(
            channel=ConsentChannel(input.channel),
            status=ConsentStatus(input.status),
            source=input.source,
            proof=input.proof,
            implied_basis=consent.ImpliedBasis(input.implied_basis)
            if input.implied_basis
            else None,
            implied_at=input.implied_at,
        )
        return ContactPayload(
            contact=await consent.set_consent(info.context.actor(info), pk, change)
        )

    @strawberry.mutation(
        **describe(
            "Links a contact to a Carnet login (never changing the login's email).",
            requires(Permission.CONTACTS_WRITE, scope="input.contactId"),
        )
    )
    async def contact_user_link(
        self, info: strawberry.Info, input: ContactUserLinkInput
    ) -> ContactPayload:
        contact_id = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        user_id = await scoped_id(info, input.user_id, "User", ("input", "userId"))
        contact = await links.link(info.context.actor(info), contact_id, user_id)
        return ContactPayload(contact=contact)

    @strawberry.mutation(
        **describe("Unlinks a contact from its login.", requires(Permission.CONTACTS_WRITE))
    )
    async def contact_user_unlink(
        self, info: strawberry.Info, input: ContactUserUnlinkInput
    ) -> ContactPayload:
        pk = await scoped_id(info, input.contact_id, "Contact", ("input", "contactId"))
        return ContactPayload(contact=await links.unlink(info.context.actor(info), pk))
