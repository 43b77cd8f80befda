"""Contact groups and their members: a contact is in any number of groups."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel


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
