"""Custom fields of the address book: per organization, forms of sections of typed,
bilingual questions, and each contact's answers (one row per contact and field).

What a value may be for each type is checked by resolvers/custom_fields/fields.py.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class CustomFieldType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    SINGLE_CHOICE = "SINGLE_CHOICE"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"


class CustomFieldScope(StrEnum):
    """Who a question is about, and so when a required one must be answered: CONTACT
    questions when their section or form is saved; ACCOUNT questions of a client account's
    holder and MEMBER questions of each member, when the account or member is saved."""

    CONTACT = "CONTACT"
    ACCOUNT = "ACCOUNT"
    MEMBER = "MEMBER"


class CustomForm(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="custom_forms", on_delete=fields.CASCADE
    )
    name_en = fields.CharField(max_length=200)
    name_fr = fields.CharField(max_length=200)
    position = fields.IntField(default=0)

    class Meta:
        table = "custom_form"
        indexes = (("organization_id", "position"),)


class CustomSection(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    form = fields.ForeignKeyField(
        "models.CustomForm", related_name="sections", on_delete=fields.CASCADE
    )
    name_en = fields.CharField(max_length=200)
    name_fr = fields.CharField(max_length=200)
    position = fields.IntField(default=0)

    class Meta:
        table = "custom_section"
        indexes = (("form_id", "position"),)


class CustomField(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="custom_fields", on_delete=fields.CASCADE
    )
    section = fields.ForeignKeyField(
        "models.CustomSection", related_name="fields", on_delete=fields.CASCADE
    )
    # A stable slug for imports, exports and filters; labels may change, the key does not.
    key = fields.CharField(max_length=64)
    label_en = fields.CharField(max_length=200)
    label_fr = fields.CharField(max_length=200)
    type = fields.CharEnumField(CustomFieldType, max_length=16)
    # For the choice types: [{"value": "u12", "label_en": "Under 12", "label_fr": "Moins de 12"}]
    choices = fields.JSONField(default=list)
    required = fields.BooleanField(default=False)
    scope = fields.CharEnumField(
        CustomFieldScope, max_length=8, default=CustomFieldScope.CONTACT, db_default="CONTACT"
    )
    position = fields.IntField(default=0)
    # Archived fields keep their answers but are no longer asked, shown or required.
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "custom_field"
        constraints = (
            UniqueConstraint(fields=("organization_id", "key"), name="custom_field_key"),
        )
        indexes = (("section_id", "position"),)


class CustomFieldAnswer(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="custom_field_answers", on_delete=fields.CASCADE
    )
    field = fields.ForeignKeyField(
        "models.CustomField", related_name="answers", on_delete=fields.CASCADE
    )
    # {"value": v}, v of the field's type: text, number, "YYYY-MM-DD", boolean, a choice's
    # value, or a list of choice values; never null or empty (no answer means no row).
    # Wrapped because Tortoise's JSONField reads a bare string as JSON text ("M" fails).
    content = fields.JSONField()
    # A text answer without accents or case (resolvers.contacts.records.fold): what the
    # `contains` filter compares, so "eleve" finds "Élève". Empty for other types.
    search_text = fields.TextField(default="")

    @property
    def value(self):
        return self.content["value"]

    class Meta:
        table = "custom_field_answer"
        constraints = (
            UniqueConstraint(fields=("contact_id", "field_id"), name="custom_field_answer_unique"),
        )
        indexes = (("field_id",),)
