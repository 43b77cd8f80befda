"""Likely pairs of duplicate contacts, kept current as contacts change."""

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class DuplicateSuggestion(TimestampedModel):
    """A likely pair of duplicate contacts, kept current as contacts change (see
    `resolvers.duplicates`), so listing them never scans the address book.
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
