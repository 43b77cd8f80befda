"""Bulk operations: the operation, its frozen target (one item per record, each record
once) and its chunks (ranges of item positions, each run as one job)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.bulk import BulkChunkState, BulkItemStatus, BulkOperationState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0018_static_segments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BulkOperation',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='bulk_operations', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('record_type', fields.CharField(max_length=40)),
                ('state', fields.CharEnumField(default=BulkOperationState.CREATED, description='CREATED: CREATED\nRUNNING: RUNNING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELED: CANCELED', enum_type=BulkOperationState, max_length=10)),
                ('params', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('target', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total', fields.IntField(default=0)),
                ('processed', fields.IntField(default=0)),
                ('succeeded', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
                ('failed', fields.IntField(default=0)),
                ('started_by', fields.ForeignKeyField('models.User', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name='bulk_operations_started', on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('canceled_by', fields.ForeignKeyField('models.User', source_field='canceled_by_id', null=True, db_constraint=True, to_field='id', related_name='bulk_operations_canceled', on_delete=OnDelete.SET_NULL)),
                ('undo_of', fields.ForeignKeyField('models.BulkOperation', source_field='undo_of_id', null=True, db_constraint=True, to_field='id', related_name='undo_operations', on_delete=OnDelete.SET_NULL)),
                ('undone_by', fields.ForeignKeyField('models.BulkOperation', source_field='undone_by_id', null=True, db_constraint=True, to_field='id', related_name='undid_operations', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'bulk_operation', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='BulkOperationChunk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('first_position', fields.IntField()),
                ('last_position', fields.IntField()),
                ('state', fields.CharEnumField(default=BulkChunkState.PENDING, description='PENDING: PENDING\nDONE: DONE\nFAILED: FAILED', enum_type=BulkChunkState, max_length=8)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bulk_operation_chunk', 'app': 'models', 'indexes': [Index(fields=['operation_id', 'state'])], 'pk_attr': 'id', 'table_description': 'A range of positions run as one job, in one transaction.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BulkOperationItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('record_id', fields.BigIntField()),
                ('status', fields.CharEnumField(default=BulkItemStatus.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nSKIPPED: SKIPPED\nFAILED: FAILED', enum_type=BulkItemStatus, max_length=10)),
                ('reason_code', fields.CharField(default='', max_length=40)),
                ('message', fields.TextField(default='', unique=False)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bulk_operation_item', 'app': 'models', 'indexes': [Index(fields=['operation_id', 'status', 'position'])], 'pk_attr': 'id', 'table_description': 'One record of the frozen target, and what the operation did to it.'},
            bases=['Model'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='BulkOperationChunk', constraint=UniqueConstraint(fields=('operation_id', 'number'), name='bulk_chunk_number')),
        ops.AddConstraint(model_name='BulkOperationItem', constraint=UniqueConstraint(fields=('operation_id', 'position'), name='bulk_item_position')),
        ops.AddConstraint(model_name='BulkOperationItem', constraint=UniqueConstraint(fields=('operation_id', 'record_id'), name='bulk_item_record')),
    ]
