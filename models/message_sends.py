"""Sent group messages (issue 12): a Message is the sent copy of a draft, run as a bulk
operation on its audience; a Delivery is what happened for one recipient, unique per
(message, contact), with the consent it relied on and the text as rendered for them.
INTERNAL deliveries are the recipient user's inbox."""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel
from models.messaging import MessageChannel, MessageKind


class MessageState(StrEnum):
    SCHEDULED = "SCHEDULED"  # waits for `send_at`; cancellable
    SENDING = "SENDING"  # its bulk operation runs
    SENT = "SENT"  # every recipient handled (sent, queued to a provider, or skipped)
    CANCELED = "CANCELED"  # canceled before it started


class DeliveryStatus(StrEnum):
    QUEUED = "QUEUED"  # handed to the outbox; the provider call is the outbox job's
    SENDING = "SENDING"  # the provider is being called (committed before the call)
    SENT = "SENT"
    SKIPPED = "SKIPPED"  # not sent: `skip_reason`
    FAILED = "FAILED"
    BOUNCED = "BOUNCED"
    # A worker died while the provider was called: it may or may not have gone; never
    # sent again.
    UNKNOWN = "UNKNOWN"


class Message(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="messages", on_delete=fields.CASCADE
    )
    # The draft it was sent from; sending a draft twice is refused (unique).
    draft = fields.ForeignKeyField(
        "models.MessageDraft", related_name="messages", null=True, unique=True,
        on_delete=fields.SET_NULL,
    )
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    kind = fields.CharEnumField(MessageKind, max_length=13, default=MessageKind.MARKETING)
    audience = fields.JSONField(default=dict)  # as the draft's
    contents = fields.JSONField(default=dict)  # as the draft's, frozen when sent
    state = fields.CharEnumField(MessageState, max_length=10, default=MessageState.SCHEDULED)
    send_at = fields.DatetimeField()
    operation = fields.ForeignKeyField(
        "models.BulkOperation", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    created_by = fields.ForeignKeyField(
        "models.User", related_name="messages_sent", null=True, on_delete=fields.SET_NULL
    )
    started_at = fields.DatetimeField(null=True)
    canceled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message"
        indexes = (("organization_id", "state", "id"), ("state", "send_at"))


class Delivery(Model):
    id = fields.BigIntField(primary_key=True)
    message = fields.ForeignKeyField(
        "models.Message", related_name="deliveries", on_delete=fields.CASCADE
    )
    organization_id = fields.BigIntField()
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    contact_key = fields.BigIntField()  # the contact's id, kept for uniqueness
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    status = fields.CharEnumField(DeliveryStatus, max_length=8)
    skip_reason = fields.CharField(max_length=20, default="")
    recipient = fields.CharField(max_length=254, default="")  # address or phone
    # INTERNAL: whose inbox it is in.
    user = fields.ForeignKeyField(
        "models.User", related_name="inbox", null=True, on_delete=fields.CASCADE
    )
    locale = fields.CharField(max_length=8, default="en")
    subject = fields.CharField(max_length=255, default="")
    body = fields.TextField(default="")
    # The consent the message relied on: its kind (EXPRESS, IMPLIED), source and date.
    consent_kind = fields.CharField(max_length=10, default="")
    consent_source = fields.CharField(max_length=64, default="")
    consent_at = fields.DatetimeField(null=True)
    outbox_message = fields.ForeignKeyField(
        "models.OutboxMessage", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    # The provider's own id for the message (a Twilio Message SID), for its status
    # callbacks; email callbacks find a delivery by its outbox row (Message-ID
    # <outbox-N@carnet>).
    provider_message_id = fields.CharField(max_length=64, default="")
    # When the provider confirmed it reached the handset (a "delivered" status callback).
    confirmed_at = fields.DatetimeField(null=True)
    # The provider's error code for a delivery it could not make (e.g. Twilio's 30003).
    error_code = fields.CharField(max_length=32, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)
    bounced_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message_delivery"
        constraints = (
            UniqueConstraint(fields=("message_id", "contact_key"), name="delivery_recipient"),
            # One delivery per outbox row; unique, so that PostgreSQL's planner knows a send
            # job's ids each match one row even before the table is analyzed.
            UniqueConstraint(fields=("outbox_message_id",), name="delivery_outbox_message"),
        )
        indexes = (
            ("message_id", "status", "id"),
            ("user_id", "read_at", "id"),
            ("recipient",),
            ("provider_message_id",),
        )


class UndeliverableAddress(Model):
    """An email address a provider reported as hard-bounced (the mailbox does not exist):
    later sends skip contacts with it, in every organization (UNDELIVERABLE)."""

    id = fields.BigIntField(primary_key=True)
    address = fields.CharField(max_length=254, unique=True)  # lower-case
    reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "undeliverable_address"
