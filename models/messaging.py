"""The outbox: every email and SMS the platform sends, with its delivery status."""

from enum import StrEnum

from tortoise import fields

from models.base import TimestampedModel


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxMessage(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="outbox", null=True, on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=8)
    template = fields.CharField(max_length=64)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=255, default="")
    body_text = fields.TextField()
    body_html = fields.TextField(default="")
    # Links in the message, kept so `carnet outbox` can show them in development.
    links = fields.JSONField(default=list)
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "outbox_message"
        indexes = (("status", "created_at"),)
