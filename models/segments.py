"""Segments: a named contacts filter evaluated live each time it is read (SAVED), or a
frozen list of contacts (STATIC, its members in `segment_member`)."""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel


class SegmentKind(StrEnum):
    SAVED = "SAVED"
    STATIC = "STATIC"


class Segment(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="segments", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(SegmentKind, max_length=8, default=SegmentKind.SAVED)
    # The name folded to lower case: unique per organization, so "VIP" and "vip" clash.
    name_key = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    search = fields.TextField(default="")
    # The contacts filter (search aside), stored as exports store theirs
    # (resolvers.contacts.stored_filters).
    filters = fields.JSONField(default=dict)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="segments", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "segment"
        constraints = (
            UniqueConstraint(fields=("organization_id", "name_key"), name="segment_name"),
        )


class SegmentMember(Model):
    """One contact of a static segment."""

    id = fields.BigIntField(primary_key=True)
    segment = fields.ForeignKeyField(
        "models.Segment", related_name="members", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="segment_memberships", on_delete=fields.CASCADE
    )
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "segment_member"
        constraints = (
            UniqueConstraint(fields=("segment_id", "contact_id"), name="segment_member_unique"),
        )
