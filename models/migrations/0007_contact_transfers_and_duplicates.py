from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.transfers import TransferStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0006_contact_search_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ContactExport',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='contact_exports', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='contact_exports', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=TransferStatus.PENDING, description='PENDING: PENDING\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED', enum_type=TransferStatus, max_length=8)),
                ('filters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('row_count', fields.IntField(default=0)),
                ('content', fields.TextField(null=True, unique=False)),
                ('download_token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failure', fields.TextField(default='', unique=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contact_export', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='ContactImport',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='contact_imports', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='contact_imports', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=TransferStatus.PENDING, description='PENDING: PENDING\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED', enum_type=TransferStatus, max_length=8)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('content', fields.TextField(unique=False)),
                ('mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('consent', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_rows', fields.IntField(default=0)),
                ('processed_rows', fields.IntField(default=0)),
                ('created_count', fields.IntField(default=0)),
                ('updated_count', fields.IntField(default=0)),
                ('error_count', fields.IntField(default=0)),
                ('failure', fields.TextField(default='', unique=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contact_import', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='ContactImportRowError',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact_import', fields.ForeignKeyField('models.ContactImport', source_field='contact_import_id', db_constraint=True, to_field='id', related_name='row_errors', on_delete=OnDelete.CASCADE)),
                ('row', fields.IntField()),
                ('column', fields.CharField(default='', max_length=255)),
                ('code', fields.CharField(max_length=40)),
                ('message', fields.TextField(unique=False)),
            ],
            options={'table': 'contact_import_row_error', 'app': 'models', 'indexes': [Index(fields=['contact_import_id', 'row', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestion',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='duplicate_suggestions', on_delete=OnDelete.CASCADE)),
                ('older', fields.ForeignKeyField('models.Contact', source_field='older_id', db_constraint=True, to_field='id', related_name='duplicates_as_older', on_delete=OnDelete.CASCADE)),
                ('newer', fields.ForeignKeyField('models.Contact', source_field='newer_id', db_constraint=True, to_field='id', related_name='duplicates_as_newer', on_delete=OnDelete.CASCADE)),
                ('reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dismissed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('dismissed_by', fields.ForeignKeyField('models.User', source_field='dismissed_by_id', null=True, db_constraint=True, to_field='id', related_name='dismissed_duplicates', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'duplicate_suggestion', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'dismissed_at', 'older_id', 'newer_id']), Index(fields=['newer_id'])], 'pk_attr': 'id', 'table_description': 'A likely pair of duplicate contacts, kept current as contacts change (see'},
            bases=['TimestampedModel'],
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['organization_id', 'birth_date']),
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='DuplicateSuggestion', constraint=UniqueConstraint(fields=('older_id', 'newer_id'), name='duplicate_suggestion_pair')),
    ]
