"""Forms and tables of a client account (seed 004), assigned like documents to access
groups or to individual account contacts.

A form's questions live in versions: editing a form makes a new version, and a response
belongs to one version, so a signed response keeps exactly what was signed (its hash
covers the version and the answers). A table is a structured list (vehicles, employees):
columns defined by staff, rows added by the client side or by a form's TABLE question.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class ResponseStatus(StrEnum):
    DRAFT = "DRAFT"  # answers saved, editable
    SIGNED = "SIGNED"  # submitted and signed: read-only


class AccountForm(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="forms", on_delete=fields.CASCADE
    )
    # The current version's number: a new version on every edit of title or questions.
    version = fields.IntField(default=1)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="account_forms_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "account_form"
        indexes = (("account_id", "id"),)


class AccountFormVersion(TimestampedModel):
    """What a form asked at one version, never changed once written."""

    id = fields.BigIntField(primary_key=True)
    form = fields.ForeignKeyField(
        "models.AccountForm", related_name="versions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    title = fields.CharField(max_length=200)
    # [{"key", "label", "kind", "required", "choices", "table_id"}]
    questions = fields.JSONField(default=list)

    class Meta:
        table = "account_form_version"
        constraints = (
            UniqueConstraint(fields=("form_id", "number"), name="account_form_version_number"),
        )


class AccountFormResponse(TimestampedModel):
    """The account's answers to one version of a form: a draft, then signed."""

    id = fields.BigIntField(primary_key=True)
    form = fields.ForeignKeyField(
        "models.AccountForm", related_name="responses", on_delete=fields.CASCADE
    )
    version = fields.ForeignKeyField(
        "models.AccountFormVersion", related_name="responses", on_delete=fields.CASCADE
    )
    answers = fields.JSONField(default=dict)  # question key -> value
    status = fields.CharEnumField(ResponseStatus, max_length=8, default=ResponseStatus.DRAFT)
    signer_name = fields.CharField(max_length=200, default="")
    signed_at = fields.DatetimeField(null=True)
    signed_by = fields.ForeignKeyField(
        "models.User", related_name="account_form_signatures", null=True, on_delete=fields.SET_NULL
    )
    # SHA-256 (hex) of the canonical JSON of the version and the answers signed.
    signature_hash = fields.CharField(max_length=64, default="")

    class Meta:
        table = "account_form_response"
        constraints = (
            UniqueConstraint(fields=("version_id",), name="account_form_response_version"),
        )
        indexes = (("form_id",),)


class AccountFormShare(TimestampedModel):
    """A form assigned to an access group or to one account contact (exactly one)."""

    id = fields.BigIntField(primary_key=True)
    form = fields.ForeignKeyField(
        "models.AccountForm", related_name="shares", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.AccessGroup", related_name="form_shares", null=True, on_delete=fields.CASCADE
    )
    account_contact = fields.ForeignKeyField(
        "models.AccountContact", related_name="form_shares", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "account_form_share"
        constraints = (
            UniqueConstraint(fields=("form_id", "group_id"), name="account_form_group"),
            UniqueConstraint(fields=("form_id", "account_contact_id"), name="account_form_contact"),
        )
        indexes = (("group_id",), ("account_contact_id",))


class AccountTable(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="tables", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    columns = fields.JSONField(default=list)  # [{"key", "label"}]
    created_by = fields.ForeignKeyField(
        "models.User", related_name="account_tables_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "account_table"
        indexes = (("account_id", "id"),)


class AccountTableRow(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    table = fields.ForeignKeyField(
        "models.AccountTable", related_name="rows", on_delete=fields.CASCADE
    )
    values = fields.JSONField(default=dict)  # column key -> text
    added_by = fields.ForeignKeyField(
        "models.User", related_name="account_table_rows", null=True, on_delete=fields.SET_NULL
    )
    # The signed form response that added it, when a form's TABLE question did.
    response = fields.ForeignKeyField(
        "models.AccountFormResponse", related_name="rows", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "account_table_row"
        indexes = (("table_id", "id"),)


class AccountTableShare(TimestampedModel):
    """A table assigned to an access group or to one account contact (exactly one)."""

    id = fields.BigIntField(primary_key=True)
    table = fields.ForeignKeyField(
        "models.AccountTable", related_name="shares", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.AccessGroup", related_name="table_shares", null=True, on_delete=fields.CASCADE
    )
    account_contact = fields.ForeignKeyField(
        "models.AccountContact", related_name="table_shares", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "account_table_share"
        constraints = (
            UniqueConstraint(fields=("table_id", "group_id"), name="account_table_group"),
            UniqueConstraint(
                fields=("table_id", "account_contact_id"), name="account_table_contact"
            ),
        )
        indexes = (("group_id",), ("account_contact_id",))
