"""The address book: contacts (people and organizations) and their consent. Groups,
colours, affiliations and duplicate pairs have their own modules.

The current consent per channel is kept on the contact (for filters and audiences); every
change is also a `ConsentRecord` row, the readable history and proof.
"""

from enum import StrEnum

from tortoise import fields
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
