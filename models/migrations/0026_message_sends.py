"""Sends of group messages (issue 12): messages, deliveries, undeliverable addresses."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.message_sends import DeliveryStatus, MessageState
from models.messaging import MessageChannel, MessageKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0025_imports_on_bulk')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Message',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('draft', fields.ForeignKeyField('models.MessageDraft', source_field='draft_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS\nINTERNAL: INTERNAL', enum_type=MessageChannel, max_length=8)),
                ('kind', fields.CharEnumField(default=MessageKind.MARKETING, description='MARKETING: MARKETING\nTRANSACTIONAL: TRANSACTIONAL', enum_type=MessageKind, max_length=13)),
                ('audience', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('contents', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharEnumField(default=MessageState.SCHEDULED, description='SCHEDULED: SCHEDULED\nSENDING: SENDING\nSENT: SENT\nCANCELED: CANCELED', enum_type=MessageState, max_length=10)),
                ('send_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('operation', fields.ForeignKeyField('models.BulkOperation', source_field='operation_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='messages_sent', on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'state', 'id']), Index(fields=['state', 'send_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('organization_id', fields.BigIntField()),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('contact_key', fields.BigIntField()),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS\nINTERNAL: INTERNAL', enum_type=MessageChannel, max_length=8)),
                ('status', fields.CharEnumField(description='QUEUED: QUEUED\nSENDING: SENDING\nSENT: SENT\nSKIPPED: SKIPPED\nFAILED: FAILED\nBOUNCED: BOUNCED\nUNKNOWN: UNKNOWN', enum_type=DeliveryStatus, max_length=8)),
                ('skip_reason', fields.CharField(default='', max_length=20)),
                ('recipient', fields.CharField(default='', max_length=254)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='inbox', on_delete=OnDelete.CASCADE)),
                ('locale', fields.CharField(default='en', max_length=8)),
                ('subject', fields.CharField(default='', max_length=255)),
                ('body', fields.TextField(default='', unique=False)),
                ('consent_kind', fields.CharField(default='', max_length=10)),
                ('consent_source', fields.CharField(default='', max_length=64)),
                ('consent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outbox_message', fields.ForeignKeyField('models.OutboxMessage', source_field='outbox_message_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('bounced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_delivery', 'app': 'models', 'indexes': [Index(fields=['message_id', 'status', 'id']), Index(fields=['user_id', 'read_at', 'id']), Index(fields=['outbox_message_id']), Index(fields=['recipient'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UndeliverableAddress',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('address', fields.CharField(unique=True, max_length=254)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'undeliverable_address', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An email address a provider reported as hard-bounced (the mailbox does not exist):'},
            bases=['Model'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='Delivery', constraint=UniqueConstraint(fields=('message_id', 'contact_key'), name='delivery_recipient')),
    ]
