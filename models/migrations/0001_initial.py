from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.identity import Locale, TokenPurpose
from models.messaging import Channel, OutboxStatus
from models.staff import MembershipStatus, Role
from models.tasks import TaskStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Organization',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('legal_name', fields.CharField(default='', max_length=200)),
                ('address_line1', fields.CharField(default='', max_length=200)),
                ('address_line2', fields.CharField(default='', max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('region', fields.CharField(default='', max_length=100)),
                ('postal_code', fields.CharField(default='', max_length=20)),
                ('country', fields.CharField(default='CA', max_length=2)),
                ('locale', fields.CharEnumField(default=Locale.EN, description='EN: en\nFR: fr', enum_type=Locale, max_length=2)),
                ('timezone', fields.CharField(default='America/Toronto', max_length=64)),
                ('currency', fields.CharField(default='CAD', max_length=3)),
                ('sender_name', fields.CharField(default='', max_length=200)),
                ('sender_email', fields.CharField(default='', max_length=254)),
                ('sms_number', fields.CharField(default='', max_length=20)),
                ('tax_numbers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'organization', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='outbox', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=Channel, max_length=8)),
                ('template', fields.CharField(max_length=64)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(default='', max_length=255)),
                ('body_text', fields.TextField(unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('links', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED', enum_type=OutboxStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Task',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('function', fields.CharField(max_length=100)),
                ('args', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=TaskStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nFAILED: FAILED', enum_type=TaskStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('enqueued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'task', 'app': 'models', 'indexes': [Index(fields=['status', 'enqueued_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('locale', fields.CharEnumField(default=Locale.EN, description='EN: en\nFR: fr', enum_type=Locale, max_length=2)),
                ('email_verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'user', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(default='', max_length=64)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(default='', max_length=64)),
                ('ip_address', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at']), Index(fields=['organization_id', 'action', 'created_at']), Index(fields=['organization_id', 'target_type', 'target_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeToken',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='EMAIL_VERIFICATION: EMAIL_VERIFICATION\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGE: EMAIL_CHANGE\nINVITATION: INVITATION', enum_type=TokenPurpose, max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='one_time_tokens', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_token', 'app': 'models', 'indexes': [Index(fields=['user_id', 'purpose'])], 'pk_attr': 'id', 'table_description': 'A random, single-use, expiring secret mailed to someone (stored as a SHA-256 digest).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('access_token_hash', fields.CharField(unique=True, max_length=64)),
                ('access_expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('refresh_token_hash', fields.CharField(unique=True, max_length=64)),
                ('refresh_expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('previous_refresh_token_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('device', fields.CharField(default='', max_length=255)),
                ('ip_address', fields.CharField(default='', max_length=64)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One signed-in device: a short-lived access token and a rotating refresh token.'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='StaffMembership',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='OWNER: OWNER\nADMIN: ADMIN\nBILLING_ADMIN: BILLING_ADMIN\nAGENT: AGENT\nVIEWER: VIEWER', enum_type=Role, max_length=16)),
                ('status', fields.CharEnumField(default=MembershipStatus.ACTIVE, description='INVITED: INVITED\nACTIVE: ACTIVE\nDEACTIVATED: DEACTIVATED', enum_type=MembershipStatus, max_length=16)),
                ('deactivate_on', fields.DateField(null=True)),
                ('deactivated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_membership', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='User', constraint=CheckConstraint(check='email = lower(email)', name='user_email_lower')),
        ops.AddConstraint(model_name='StaffMembership', constraint=UniqueConstraint(fields=('organization_id', 'user_id'), name='staff_membership_unique')),
    ]
