"""Privacy requests (Québec Law 25, GDPR): a person's data exported or erased on request,
and an organization's retention periods.

An export's archive lives in storage under `file_key`; its download link is a random token
(only its hash is stored) that works once, until `expires_at`.
"""

from enum import StrEnum

from tortoise import fields

from models.base import TimestampedModel


class PrivacyRequestKind(StrEnum):
    EXPORT = "EXPORT"  # staff exported one contact of their organization
    MY_EXPORT = "MY_EXPORT"  # a signed-in user exported themselves, every organization
    ERASURE = "ERASURE"  # a contact was erased (pseudonymised)
    # A user deleted their login: the organization's privacy handlers decide what to keep.
    ACCOUNT_DELETION = "ACCOUNT_DELETION"


class PrivacyRequestStatus(StrEnum):
    PENDING = "PENDING"  # waiting for the worker, or for the organization's handlers
    DONE = "DONE"
    FAILED = "FAILED"


class PrivacyRequest(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    # Null for a user's own export across organizations.
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="privacy_requests", null=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(PrivacyRequestKind, max_length=16)
    status = fields.CharEnumField(
        PrivacyRequestStatus, max_length=8, default=PrivacyRequestStatus.PENDING
    )
    # The person concerned (kept after erasure: the contact is then the pseudonym).
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="privacy_requests", null=True, on_delete=fields.SET_NULL
    )
    # Who asked (staff, or the user themselves); receives the export's mail.
    requested_by = fields.ForeignKeyField(
        "models.User", related_name="privacy_requests", null=True, on_delete=fields.SET_NULL
    )
    # Why, in the requester's words (an erasure's reason is never personal data).
    reason = fields.TextField(default="")
    file_key = fields.CharField(max_length=255, null=True)
    download_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    expires_at = fields.DatetimeField(null=True)
    link_used_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "privacy_request"
        indexes = (("organization_id", "created_at"), ("contact_id",))


class RetentionPolicy(TimestampedModel):
    """How long an organization keeps archived contacts and inactive client accounts before
    the daily job erases them; null keeps them."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.OneToOneField(
        "models.Organization", related_name="retention_policy", on_delete=fields.CASCADE
    )
    archived_contact_days = fields.IntField(null=True)
    inactive_account_days = fields.IntField(null=True)

    class Meta:
        table = "retention_policy"
