"""Durable job records: work that must happen is written here before it is enqueued.

A task row is created in the same transaction as the change that needs it, enqueued
after commit, and marked done by the job. The sweeper re-enqueues rows that were never
enqueued (a crash between commit and enqueue) or whose job stalled.
"""

from enum import StrEnum

from tortoise import fields

from models.base import TimestampedModel


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class Task(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    function = fields.CharField(max_length=100)
    args = fields.JSONField(default=list)
    status = fields.CharEnumField(TaskStatus, max_length=8, default=TaskStatus.PENDING)
    attempts = fields.IntField(default=0)
    enqueued_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "task"
        # The sweeper's pending tasks; the purge's finished ones.
        indexes = (("status", "enqueued_at"), ("finished_at",))
