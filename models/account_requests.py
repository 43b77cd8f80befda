"""Requests: a document or an answer staff ask of a client account, with a due date.

OPEN → SUBMITTED (the client answered or uploaded) → ACCEPTED or REJECTED (with a reason;
the client may then submit again). OVERDUE is not stored: an OPEN or REJECTED request past
its due date reads as overdue.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class RequestKind(StrEnum):
    DOCUMENT = "DOCUMENT"
    ANSWER = "ANSWER"


class RequestState(StrEnum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class AccountRequest(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="requests", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(RequestKind, max_length=8)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    due_on = fields.DateField(null=True)
    state = fields.CharEnumField(RequestState, max_length=10, default=RequestState.OPEN)
    answer = fields.TextField(default="")
    document = fields.ForeignKeyField(
        "models.AccountDocument", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    rejection_reason = fields.TextField(default="")
    submitted_at = fields.DatetimeField(null=True)
    submitted_by = fields.ForeignKeyField(
        "models.User",
        related_name="account_requests_submitted",
        null=True,
        on_delete=fields.SET_NULL,
    )
    decided_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="account_requests_created",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "account_request"
        indexes = (("account_id", "id"),)


class AccountRequestShare(TimestampedModel):
    """A request assigned to an access group or to one account contact (exactly one)."""

    id = fields.BigIntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.AccountRequest", related_name="shares", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.AccessGroup", related_name="request_shares", null=True, on_delete=fields.CASCADE
    )
    account_contact = fields.ForeignKeyField(
        "models.AccountContact",
        related_name="request_shares",
        null=True,
        on_delete=fields.CASCADE,
    )

    class Meta:
        table = "account_request_share"
        constraints = (
            UniqueConstraint(fields=("request_id", "group_id"), name="account_request_group"),
            UniqueConstraint(
                fields=("request_id", "account_contact_id"), name="account_request_contact"
            ),
        )
        indexes = (("group_id",), ("account_contact_id",))
