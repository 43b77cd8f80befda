"""The outbox: every email and SMS the platform sends, with its delivery status.

A row holds what the sending job needs to write the message, never a secret: a one-time
link's token is minted by that job (see `resolvers.messaging.email`).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault

from models.base import TimestampedModel


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not sent: its link was revoked, used or expired before the job could mail it.
    SKIPPED = "SKIPPED"


class OutboxMessage(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="outbox", null=True, on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=8)
    template = fields.CharField(max_length=64)
    recipient = fields.CharField(max_length=254)
    # Database defaults too: rows written before these columns existed get them.
    locale = fields.CharField(max_length=8, default="en", db_default="en")
    # The template's values (names, durations, a link without a secret); never a token.
    context = fields.JSONField(default=dict, db_default=SqlDefault("'{}'"))
    # The one-time token the message carries, minted when it is sent, and the web app's
    # page its link opens.
    token = fields.ForeignKeyField(
        "models.OneTimeToken", related_name="outbox_messages", null=True,
        on_delete=fields.SET_NULL,
    )
    link_path = fields.CharField(max_length=64, default="", db_default="")
    subject = fields.CharField(max_length=255, default="")
    # The message as sent, with its links, kept only by the development `outbox` backend
    # (for `carnet outbox`); empty with a real provider, and blanked after the retention.
    body_text = fields.TextField(default="")
    body_html = fields.TextField(default="")
    links = fields.JSONField(default=list)
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    # When the maintenance cron blanked the body, links and context of this sent message.
    purged_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "created_at"),)


class MessageChannel(StrEnum):
    """A group message's channel; INTERNAL lands in the recipient user's inbox."""

    EMAIL = "EMAIL"
    SMS = "SMS"
    INTERNAL = "INTERNAL"


class MessageKind(StrEnum):
    # Consent-gated; drafts are always marketing. TRANSACTIONAL (invitations, receipts)
    # is never used for marketing content and is not chosen by clients.
    MARKETING = "MARKETING"
    TRANSACTIONAL = "TRANSACTIONAL"


class MessageDraft(TimestampedModel):
    """A group message being composed: its channel, audience and per-locale templates."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="message_drafts", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    kind = fields.CharEnumField(MessageKind, max_length=13, default=MessageKind.MARKETING)
    # How the audience was given, as a bulk operation's target: {"segment_id": n},
    # {"contact_ids": [...]} or {"search": "...", "filter": {...}} (stored_filters).
    audience = fields.JSONField(default=dict)
    # {"en": {"subject": "...", "body": "..."}, "fr": {...}}: Jinja2 templates.
    contents = fields.JSONField(default=dict)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="message_drafts", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "message_draft"
        indexes = (("organization_id", "created_at"),)
