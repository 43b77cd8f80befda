"""Privacy requests (exports, erasures, deleted logins) and retention policies (issue 17)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.privacy import PrivacyRequestKind, PrivacyRequestStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0034_team_billing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PrivacyRequest',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='privacy_requests', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EXPORT: EXPORT\nMY_EXPORT: MY_EXPORT\nERASURE: ERASURE\nACCOUNT_DELETION: ACCOUNT_DELETION', enum_type=PrivacyRequestKind, max_length=16)),
                ('status', fields.CharEnumField(default=PrivacyRequestStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nFAILED: FAILED', enum_type=PrivacyRequestStatus, max_length=8)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='privacy_requests', on_delete=OnDelete.SET_NULL)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='privacy_requests', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.TextField(default='', unique=False)),
                ('file_key', fields.CharField(null=True, max_length=255)),
                ('download_token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('link_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'privacy_request', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'created_at']), Index(fields=['contact_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='RetentionPolicy',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='retention_policy', on_delete=OnDelete.CASCADE)),
                ('archived_contact_days', fields.IntField(null=True)),
                ('inactive_account_days', fields.IntField(null=True)),
            ],
            options={'table': 'retention_policy', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How long an organization keeps archived contacts and inactive client accounts before'},
            bases=['TimestampedModel'],
        ),
    ]
