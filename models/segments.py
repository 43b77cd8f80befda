"""Saved segments: a named contacts filter, evaluated live each time it is read."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class Segment(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="segments", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
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
