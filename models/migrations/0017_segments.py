"""Saved segments: a named contacts filter per organization, its name unique ignoring case
(through the lower-cased `name_key`, so SQLite and PostgreSQL enforce it alike)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0016_invitation_names')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Segment',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='segments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('name_key', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('search', fields.TextField(default='', unique=False)),
                ('filters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='segments', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'segment', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='Segment', constraint=UniqueConstraint(fields=('organization_id', 'name_key'), name='segment_name')),
    ]
