"""Per-organization feature switches and what they turn on: members' skills and
membership cards; and documents that belong to one member (yearly tax receipts)."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class OrganizationFeatures(TimestampedModel):
    """The optional parts of client accounts an organization uses (no row: all off)."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.OneToOneField(
        "models.Organization", related_name="features", on_delete=fields.CASCADE
    )
    skills = fields.BooleanField(default=False)
    membership_cards = fields.BooleanField(default=False)

    class Meta:
        table = "organization_features"


class MemberSkill(TimestampedModel):
    """A skill of a person (a contact who is a member of one of the organization's
    accounts): the same person in two households keeps one set of skills."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="member_skills", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="skills", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    level = fields.CharField(max_length=100, default="")
    achieved_on = fields.DateField(null=True)

    class Meta:
        table = "member_skill"
        indexes = (("contact_id", "id"),)


class MembershipCard(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="membership_cards", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="membership_cards", on_delete=fields.CASCADE
    )
    number = fields.CharField(max_length=50)
    valid_from = fields.DateField()
    valid_to = fields.DateField()
    # Printed on the card (a QR code): what `membershipCardVerify` takes. Long and random.
    verification_code = fields.CharField(max_length=40, unique=True)
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="membership_cards_created",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "membership_card"
        constraints = (
            UniqueConstraint(fields=("organization_id", "number"), name="membership_card_number"),
        )
        indexes = (("contact_id",),)


class MemberDocument(TimestampedModel):
    """A file of one member (a yearly tax receipt): seen by staff and by the primaries of
    every account the member belongs to. Kept in storage under `storage_key`."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="member_documents", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="member_documents", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=50)
    size = fields.BigIntField()
    storage_key = fields.CharField(max_length=200)
    uploaded_by = fields.ForeignKeyField(
        "models.User", related_name="member_documents", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "member_document"
        indexes = (("contact_id", "id"), ("organization_id", "id"))
