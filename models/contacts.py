"""The address book: contacts (people and organizations), consent, groups, colours, and
affiliations of people to organization contacts.

The current consent per channel is kept on the contact (for filters and audiences); every
change is also a `ConsentRecord` row, the readable history and proof.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel
from models.identity import Locale


class ContactKind(StrEnum):
    PERSON = "PERSON"
    ORGANIZATION = "ORGANIZATION"


class ContactSource(StrEnum):
    """How a contact arrived in the address book."""

    STAFF_ENTRY = "STAFF_ENTRY"  # entered by staff, possibly before any interaction
    IMPORT = "IMPORT"
    REGISTRATION = "REGISTRATION"
    PURCHASE = "PURCHASE"
    TEAM = "TEAM"
    STAFF_MEMBERSHIP = "STAFF_MEMBERSHIP"
    INVITATION = "INVITATION"


class ConsentChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class ConsentStatus(StrEnum):
    NOT_ASKED = "NOT_ASKED"
    EXPRESS = "EXPRESS"
    IMPLIED = (
        "IMPLIED"  # with an expiry (CASL: 2 years after a purchase, 6 months after an inquiry)
    )
    WITHDRAWN = "WITHDRAWN"


class Colour(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="colours", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=50)
    hex = fields.CharField(max_length=7)  # "#1e90ff"

    class Meta:
        table = "colour"
        constraints = (UniqueConstraint(fields=("organization_id", "name"), name="colour_name"),)


class Contact(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="contacts", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ContactKind, max_length=12, default=ContactKind.PERSON)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    # For ORGANIZATION contacts (a school, an association, another club).
    organization_name = fields.CharField(max_length=200, default="")
    # What lists sort by: "Last, First" for people, the name for organizations.
    sort_name = fields.CharField(max_length=300, default="")
    # Lower-case, accent-free names, email and phone digits: what the search box matches.
    search_text = fields.TextField(default="")
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=20, null=True)  # E.164
    birth_date = fields.DateField(null=True)
    locale = fields.CharEnumField(Locale, max_length=2, default=Locale.EN)
    address_line1 = fields.CharField(max_length=200, default="")
    address_line2 = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    region = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    country = fields.CharField(max_length=2, default="")
    colour = fields.ForeignKeyField(
        "models.Colour", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    notes = fields.TextField(default="")
    source = fields.CharEnumField(ContactSource, max_length=20, default=ContactSource.STAFF_ENTRY)
    user = fields.ForeignKeyField(
        "models.User", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    last_activity_at = fields.DatetimeField(null=True)
    archived_at = fields.DatetimeField(null=True)
    do_not_contact = fields.BooleanField(default=False)
    email_consent = fields.CharEnumField(
        ConsentStatus, max_length=10, default=ConsentStatus.NOT_ASKED
    )
    email_consent_expires_at = fields.DatetimeField(null=True)
    sms_consent = fields.CharEnumField(
        ConsentStatus, max_length=10, default=ConsentStatus.NOT_ASKED
    )
    sms_consent_expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "contact"
        indexes = (
            ("organization_id", "archived_at", "sort_name", "id"),
            ("organization_id", "email"),
            ("organization_id", "phone"),
            ("organization_id", "created_at"),
            ("organization_id", "last_activity_at"),
            ("organization_id", "user_id"),
            ("organization_id", "birth_date"),
        )


class ConsentRecord(Model):
    """One change of consent for one channel: the history, with its source and proof."""

    id = fields.BigIntField(primary_key=True)
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="consent_records", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(ConsentChannel, max_length=5)
    status = fields.CharEnumField(ConsentStatus, max_length=10)
    source = fields.CharField(max_length=64)  # "web form", "import", "purchase #123"...
    proof = fields.TextField(default="")  # the wording shown, the checkbox text...
    expires_at = fields.DatetimeField(null=True)
    recorded_by = fields.ForeignKeyField(
        "models.User", related_name="consent_records", null=True, on_delete=fields.SET_NULL
    )
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consent_record"
        indexes = (("contact_id", "channel", "recorded_at"),)


class Group(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="contact_groups", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")

    class Meta:
        table = "contact_group"
        constraints = (UniqueConstraint(fields=("organization_id", "name"), name="group_name"),)


class GroupMember(Model):
    id = fields.BigIntField(primary_key=True)
    group = fields.ForeignKeyField("models.Group", related_name="members", on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="group_memberships", on_delete=fields.CASCADE
    )
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contact_group_member"
        constraints = (
            UniqueConstraint(fields=("group_id", "contact_id"), name="group_member_unique"),
        )
        indexes = (("contact_id",),)


class Affiliation(TimestampedModel):
    """A person belongs to an organization contact with a role title (coach, principal…)."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField(
        "models.Contact", related_name="affiliations", on_delete=fields.CASCADE
    )
    organization_contact = fields.ForeignKeyField(
        "models.Contact", related_name="affiliated_people", on_delete=fields.CASCADE
    )
    role_title = fields.CharField(max_length=100, default="")

    class Meta:
        table = "affiliation"
        constraints = (
            UniqueConstraint(
                fields=("person_id", "organization_contact_id"), name="affiliation_unique"
            ),
        )
        indexes = (("organization_contact_id",),)


class DuplicateSuggestion(TimestampedModel):
    """A likely pair of duplicate contacts, kept current as contacts change (see
    `resolvers.contacts.duplicates`), so listing them never scans the address book.
    A pair staff marked as not duplicates stays dismissed while it still matches."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="duplicate_suggestions", on_delete=fields.CASCADE
    )
    older = fields.ForeignKeyField(  # the smaller id of the two
        "models.Contact", related_name="duplicates_as_older", on_delete=fields.CASCADE
    )
    newer = fields.ForeignKeyField(
        "models.Contact", related_name="duplicates_as_newer", on_delete=fields.CASCADE
    )
    reasons = fields.JSONField(default=list)  # ["EMAIL", "PHONE", "NAME_AND_BIRTH_DATE"]
    dismissed_at = fields.DatetimeField(null=True)
    dismissed_by = fields.ForeignKeyField(
        "models.User", related_name="dismissed_duplicates", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "duplicate_suggestion"
        constraints = (
            UniqueConstraint(fields=("older_id", "newer_id"), name="duplicate_suggestion_pair"),
        )
        indexes = (
            ("organization_id", "dismissed_at", "older_id", "newer_id"),
            ("newer_id",),
        )
