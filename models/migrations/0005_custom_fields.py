from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.custom_fields import CustomFieldType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_contacts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomForm',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='custom_forms', on_delete=OnDelete.CASCADE)),
                ('name_en', fields.CharField(max_length=200)),
                ('name_fr', fields.CharField(max_length=200)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'custom_form', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'position'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CustomSection',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('models.CustomForm', source_field='form_id', db_constraint=True, to_field='id', related_name='sections', on_delete=OnDelete.CASCADE)),
                ('name_en', fields.CharField(max_length=200)),
                ('name_fr', fields.CharField(max_length=200)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'custom_section', 'app': 'models', 'indexes': [Index(fields=['form_id', 'position'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CustomField',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='custom_fields', on_delete=OnDelete.CASCADE)),
                ('section', fields.ForeignKeyField('models.CustomSection', source_field='section_id', db_constraint=True, to_field='id', related_name='fields', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=64)),
                ('label_en', fields.CharField(max_length=200)),
                ('label_fr', fields.CharField(max_length=200)),
                ('type', fields.CharEnumField(description='TEXT: TEXT\nNUMBER: NUMBER\nDATE: DATE\nBOOLEAN: BOOLEAN\nSINGLE_CHOICE: SINGLE_CHOICE\nMULTIPLE_CHOICE: MULTIPLE_CHOICE', enum_type=CustomFieldType, max_length=16)),
                ('choices', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('required', fields.BooleanField(default=False)),
                ('position', fields.IntField(default=0)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'custom_field', 'app': 'models', 'indexes': [Index(fields=['section_id', 'position'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CustomFieldAnswer',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='custom_field_answers', on_delete=OnDelete.CASCADE)),
                ('field', fields.ForeignKeyField('models.CustomField', source_field='field_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('content', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'custom_field_answer', 'app': 'models', 'indexes': [Index(fields=['field_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='CustomField', constraint=UniqueConstraint(fields=('organization_id', 'key'), name='custom_field_key')),
        ops.AddConstraint(model_name='CustomFieldAnswer', constraint=UniqueConstraint(fields=('contact_id', 'field_id'), name='custom_field_answer_unique')),
    ]
