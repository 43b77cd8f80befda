"""Tenancy: organizations with their profile, and staff memberships with a role."""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel
from models.identity import Locale


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    BILLING_ADMIN = "BILLING_ADMIN"
    AGENT = "AGENT"
    VIEWER = "VIEWER"


class MembershipStatus(StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class Organization(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    legal_name = fields.CharField(max_length=200, default="")
    address_line1 = fields.CharField(max_length=200, default="")
    address_line2 = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    region = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    country = fields.CharField(max_length=2, default="CA")
    locale = fields.CharEnumField(Locale, max_length=2, default=Locale.EN)
    timezone = fields.CharField(max_length=64, default="America/Toronto")
    currency = fields.CharField(max_length=3, default="CAD")
    sender_name = fields.CharField(max_length=200, default="")
    sender_email = fields.CharField(max_length=254, default="")
    sms_number = fields.CharField(max_length=20, default="")
    tax_numbers = fields.JSONField(default=list)

    class Meta:
        table = "organization"


class StaffMembership(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="staff", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=16)
    status = fields.CharEnumField(MembershipStatus, max_length=16, default=MembershipStatus.ACTIVE)
    # Access ends at the start of this date in the organization's timezone.
    deactivate_on = fields.DateField(null=True)
    deactivated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_membership"
        constraints = (
            UniqueConstraint(fields=("organization_id", "user_id"), name="staff_membership_unique"),
        )
