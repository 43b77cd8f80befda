"""The organization's palette of named colours; a contact carries at most one."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


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
