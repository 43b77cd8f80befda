"""Affiliations: a PERSON contact belongs to an ORGANIZATION contact with a role title."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


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
