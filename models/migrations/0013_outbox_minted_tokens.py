"""The outbox stops holding one-time tokens: a row keeps what its job needs to write the
message (template, locale, context, the token's id), and the job mints the token.

Rows written before keep the plain links of their day in their bodies: they are blanked
here, and those not sent yet are given up (their links are asked for again by whoever
waits for them: a reset, a resend of the verification or of the invitation).

Numbered 0013: 0012 is another change made at the same time; once both are merged, this
one depends on it.
"""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import SqlDefault
from tortoise.migrations import operations as ops

from models.messaging import OutboxStatus


async def blank_old_bodies(apps, schema_editor) -> None:
    if schema_editor.collect_sql:
        return
    client = schema_editor.client
    await client.execute_script(
        "UPDATE outbox_message SET status = 'SKIPPED', "
        "last_error = 'written before links were minted at send time; not sent' "
        "WHERE status IN ('PENDING', 'SENDING')"
    )
    await client.execute_script(
        "UPDATE outbox_message SET body_text = '', body_html = '', links = '[]', "
        "purged_at = CURRENT_TIMESTAMP"
    )


async def nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [("models", "0012_contact_transfer_files_in_storage")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="OutboxMessage",
            name="status",
            field=fields.CharEnumField(
                default=OutboxStatus.PENDING,
                description="PENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED\n"
                "SKIPPED: SKIPPED",
                enum_type=OutboxStatus,
                max_length=8,
            ),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="context",
            field=fields.JSONField(
                default=dict,
                db_default=SqlDefault("'{}'"),
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="link_path",
            field=fields.CharField(default="", db_default="", max_length=64),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="locale",
            field=fields.CharField(default="en", db_default="en", max_length=8),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="purged_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="OutboxMessage",
            name="token",
            field=fields.ForeignKeyField(
                "models.OneTimeToken",
                source_field="token_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="outbox_messages",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.RunPython(blank_old_bodies, nothing),
    ]
