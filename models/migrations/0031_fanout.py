"""Deliveries keep the provider's message id, its confirmation and error code, for
provider status callbacks (issue 12)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0030_purchase_invoices")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Delivery",
            name="provider_message_id",
            field=fields.CharField(default="", max_length=64),
        ),
        ops.AddField(
            model_name="Delivery",
            name="confirmed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Delivery",
            name="error_code",
            field=fields.CharField(default="", max_length=32),
        ),
        ops.AddIndex(
            model_name="Delivery",
            index=Index(fields=["provider_message_id"]),
        ),
    ]
