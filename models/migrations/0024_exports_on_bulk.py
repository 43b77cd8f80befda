"""A contact export runs on the bulk-operation engine: it points to its operation."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete

class Migration(migrations.Migration):
    dependencies = [('models', '0023_message_drafts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ContactExport',
            name='operation',
            field=fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', null=True, db_constraint=True, to_field='id', related_name='contact_exports', on_delete=OnDelete.SET_NULL),
        ),
    ]
