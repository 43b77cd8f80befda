"""Group message drafts (issue 12): channel, audience and per-locale templates."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.messaging import MessageChannel, MessageKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_account_items')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MessageDraft',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='message_drafts', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS\nINTERNAL: INTERNAL', enum_type=MessageChannel, max_length=8)),
                ('kind', fields.CharEnumField(default=MessageKind.MARKETING, description='MARKETING: MARKETING\nTRANSACTIONAL: TRANSACTIONAL', enum_type=MessageKind, max_length=13)),
                ('audience', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('contents', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='message_drafts', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'message_draft', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A group message being composed: its channel, audience and per-locale templates.'},
            bases=['TimestampedModel'],
        ),
    ]
