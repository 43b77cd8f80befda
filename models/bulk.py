"""Bulk operations: one batch action over a frozen target of records, run chunk by chunk.

The engine knows records only by type and id: what an action does to them is the
action's (resolvers.bulk.actions). `kind` and `record_type` are plain text columns, so a
new kind of operation (messaging, refunds) needs no migration.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.base import TimestampedModel


class BulkOperationKind(StrEnum):
    CONTACT_COLOUR_SET = "CONTACT_COLOUR_SET"
    CONTACT_GROUP_ADD = "CONTACT_GROUP_ADD"
    CONTACT_GROUP_REMOVE = "CONTACT_GROUP_REMOVE"
    CONTACT_UPDATE = "CONTACT_UPDATE"
    CONTACT_ARCHIVE = "CONTACT_ARCHIVE"
    CONTACT_RESTORE = "CONTACT_RESTORE"
    CONTACT_IMPORT = "CONTACT_IMPORT"
    CONTACT_EXPORT = "CONTACT_EXPORT"
    MESSAGE_SEND = "MESSAGE_SEND"
    UNDO = "UNDO"
    PAYMENT_REFUND = "PAYMENT_REFUND"


class BulkOperationState(StrEnum):
    CREATED = "CREATED"  # frozen and queued; no chunk has started
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"  # a chunk was given up after repeated errors
    CANCELED = "CANCELED"  # the chunks left when it was canceled skip their items

    @property
    def finished(self) -> bool:
        return self in (self.COMPLETED, self.FAILED, self.CANCELED)


class BulkItemStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class BulkChunkState(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"  # its task was given up: its items are FAILED


class BulkOperation(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="bulk_operations", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=40)  # a BulkOperationKind
    record_type = fields.CharField(max_length=40)  # e.g. "contact"
    state = fields.CharEnumField(
        BulkOperationState, max_length=10, default=BulkOperationState.CREATED
    )
    params = fields.JSONField(default=dict)  # the action's arguments
    target = fields.JSONField(default=dict)  # how the target was given, for display
    # A large target's selection (its statement and parameters), kept from the request
    # that started the operation until its first job freezes it; null once frozen.
    target_query = fields.JSONField(null=True)
    # Counters, moved in each chunk's transaction: processed = succeeded + skipped + failed.
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    succeeded = fields.IntField(default=0)
    skipped = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    started_by = fields.ForeignKeyField(
        "models.User",
        related_name="bulk_operations_started",
        null=True,
        on_delete=fields.SET_NULL,
    )
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    canceled_at = fields.DatetimeField(null=True)
    canceled_by = fields.ForeignKeyField(
        "models.User",
        related_name="bulk_operations_canceled",
        null=True,
        on_delete=fields.SET_NULL,
    )
    undo_of = fields.ForeignKeyField(
        "models.BulkOperation",
        related_name="undo_operations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    undone_by = fields.ForeignKeyField(
        "models.BulkOperation",
        related_name="undid_operations",
        null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "bulk_operation"
        indexes = (("organization_id", "id"),)


class BulkOperationItem(Model):
    """One record of the frozen target, and what the operation did to it."""

    id = fields.BigIntField(primary_key=True)
    operation = fields.ForeignKeyField(
        "models.BulkOperation", related_name="items", on_delete=fields.CASCADE
    )
    position = fields.IntField()  # 1.. in the target's id order; chunks are ranges of it
    record_id = fields.BigIntField()
    status = fields.CharEnumField(BulkItemStatus, max_length=10, default=BulkItemStatus.PENDING)
    reason_code = fields.CharField(max_length=40, default="")
    message = fields.TextField(default="")  # an English msgid, translated when read
    before = fields.JSONField(null=True)  # the values the action changed, for undo
    after = fields.JSONField(null=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bulk_operation_item"
        constraints = (
            UniqueConstraint(fields=("operation_id", "position"), name="bulk_item_position"),
            UniqueConstraint(fields=("operation_id", "record_id"), name="bulk_item_record"),
        )
        indexes = (("operation_id", "status", "position"),)


class BulkOperationChunk(Model):
    """A range of positions run as one job, in one transaction."""

    id = fields.BigIntField(primary_key=True)
    operation = fields.ForeignKeyField(
        "models.BulkOperation", related_name="chunks", on_delete=fields.CASCADE
    )
    number = fields.IntField()  # 1..
    first_position = fields.IntField()
    last_position = fields.IntField()
    state = fields.CharEnumField(BulkChunkState, max_length=8, default=BulkChunkState.PENDING)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bulk_operation_chunk"
        constraints = (
            UniqueConstraint(fields=("operation_id", "number"), name="bulk_chunk_number"),
        )
        indexes = (("operation_id", "state"),)
