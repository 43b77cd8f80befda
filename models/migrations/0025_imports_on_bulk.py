"""A contact import runs on the bulk-operation engine: it points to its operation. A bulk
operation keeps its large target's selection until its first job freezes it."""

from tortoise import migrations
import functools
from json import dumps, loads
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.fields.base import OnDelete

class Migration(migrations.Migration):
    dependencies = [('models', '0024_exports_on_bulk')]

    initial = False

    operations = [
        ops.AddField(
            model_name='BulkOperation',
            name='target_query',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ContactImport',
            name='operation',
            field=fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', null=True, db_constraint=True, to_field='id', related_name='contact_imports', on_delete=OnDelete.SET_NULL),
        ),
    ]
