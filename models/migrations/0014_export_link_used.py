"""A contact export's download link works once: when it served the file."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_outbox_minted_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ContactExport',
            name='link_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
