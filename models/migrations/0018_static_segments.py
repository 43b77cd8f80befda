"""Static segments: a segment's kind (SAVED by default, as every existing one) and the
frozen members of STATIC ones, each contact at most once per segment."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.segments import SegmentKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0017_segments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SegmentMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('segment', fields.ForeignKeyField('models.Segment', source_field='segment_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='segment_memberships', on_delete=OnDelete.CASCADE)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'segment_member', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One contact of a static segment.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Segment',
            name='kind',
            field=fields.CharEnumField(default=SegmentKind.SAVED, description='SAVED: SAVED\nSTATIC: STATIC', enum_type=SegmentKind, max_length=8),
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='SegmentMember', constraint=UniqueConstraint(fields=('segment_id', 'contact_id'), name='segment_member_unique')),
    ]
