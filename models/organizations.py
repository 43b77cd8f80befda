"""Tenancy: organizations with their profile. Staff memberships are in models/staff.py."""

from tortoise import fields

from models.base import TimestampedModel
from models.identity import Locale


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
