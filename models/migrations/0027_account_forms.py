"""Forms, tables, requests, feature switches, skills, membership cards and member documents of client accounts."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.account_forms import ResponseStatus
from models.account_requests import RequestKind, RequestState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0026_message_sends')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountForm',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField(default=1)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='account_forms_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_form', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountFormShare',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('models.AccountForm', source_field='form_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.AccessGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='form_shares', on_delete=OnDelete.CASCADE)),
                ('account_contact', fields.ForeignKeyField('models.AccountContact', source_field='account_contact_id', null=True, db_constraint=True, to_field='id', related_name='form_shares', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_form_share', 'app': 'models', 'indexes': [Index(fields=['group_id']), Index(fields=['account_contact_id'])], 'pk_attr': 'id', 'table_description': 'A form assigned to an access group or to one account contact (exactly one).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountFormVersion',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('models.AccountForm', source_field='form_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('title', fields.CharField(max_length=200)),
                ('questions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'account_form_version', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a form asked at one version, never changed once written.'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountFormResponse',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('models.AccountForm', source_field='form_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('version', fields.ForeignKeyField('models.AccountFormVersion', source_field='version_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ResponseStatus.DRAFT, description='DRAFT: DRAFT\nSIGNED: SIGNED', enum_type=ResponseStatus, max_length=8)),
                ('signer_name', fields.CharField(default='', max_length=200)),
                ('signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('signed_by', fields.ForeignKeyField('models.User', source_field='signed_by_id', null=True, db_constraint=True, to_field='id', related_name='account_form_signatures', on_delete=OnDelete.SET_NULL)),
                ('signature_hash', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'account_form_response', 'app': 'models', 'indexes': [Index(fields=['form_id'])], 'pk_attr': 'id', 'table_description': "The account's answers to one version of a form: a draft, then signed."},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountRequest',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='DOCUMENT: DOCUMENT\nANSWER: ANSWER', enum_type=RequestKind, max_length=8)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('due_on', fields.DateField(null=True)),
                ('state', fields.CharEnumField(default=RequestState.OPEN, description='OPEN: OPEN\nSUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nREJECTED: REJECTED', enum_type=RequestState, max_length=10)),
                ('answer', fields.TextField(default='', unique=False)),
                ('document', fields.ForeignKeyField('models.AccountDocument', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.SET_NULL)),
                ('rejection_reason', fields.TextField(default='', unique=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_by', fields.ForeignKeyField('models.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='account_requests_submitted', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='account_requests_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_request', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountRequestShare',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.AccountRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.AccessGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='request_shares', on_delete=OnDelete.CASCADE)),
                ('account_contact', fields.ForeignKeyField('models.AccountContact', source_field='account_contact_id', null=True, db_constraint=True, to_field='id', related_name='request_shares', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_request_share', 'app': 'models', 'indexes': [Index(fields=['group_id']), Index(fields=['account_contact_id'])], 'pk_attr': 'id', 'table_description': 'A request assigned to an access group or to one account contact (exactly one).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountTable',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='tables', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('columns', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='account_tables_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_table', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountTableRow',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('table', fields.ForeignKeyField('models.AccountTable', source_field='table_id', db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.CASCADE)),
                ('values', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('added_by', fields.ForeignKeyField('models.User', source_field='added_by_id', null=True, db_constraint=True, to_field='id', related_name='account_table_rows', on_delete=OnDelete.SET_NULL)),
                ('response', fields.ForeignKeyField('models.AccountFormResponse', source_field='response_id', null=True, db_constraint=True, to_field='id', related_name='rows', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_table_row', 'app': 'models', 'indexes': [Index(fields=['table_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountTableShare',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('table', fields.ForeignKeyField('models.AccountTable', source_field='table_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.AccessGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='table_shares', on_delete=OnDelete.CASCADE)),
                ('account_contact', fields.ForeignKeyField('models.AccountContact', source_field='account_contact_id', null=True, db_constraint=True, to_field='id', related_name='table_shares', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_table_share', 'app': 'models', 'indexes': [Index(fields=['group_id']), Index(fields=['account_contact_id'])], 'pk_attr': 'id', 'table_description': 'A table assigned to an access group or to one account contact (exactly one).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='MemberDocument',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='member_documents', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='member_documents', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=50)),
                ('size', fields.BigIntField()),
                ('storage_key', fields.CharField(max_length=200)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name='member_documents', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'member_document', 'app': 'models', 'indexes': [Index(fields=['contact_id', 'id']), Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A file of one member (a yearly tax receipt): seen by staff and by the primaries of'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='MemberSkill',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='member_skills', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='skills', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('level', fields.CharField(default='', max_length=100)),
                ('achieved_on', fields.DateField(null=True)),
            ],
            options={'table': 'member_skill', 'app': 'models', 'indexes': [Index(fields=['contact_id', 'id'])], 'pk_attr': 'id', 'table_description': "A skill of a person (a contact who is a member of one of the organization's"},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='MembershipCard',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='membership_cards', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='membership_cards', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(max_length=50)),
                ('valid_from', fields.DateField()),
                ('valid_to', fields.DateField()),
                ('verification_code', fields.CharField(unique=True, max_length=40)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='membership_cards_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'membership_card', 'app': 'models', 'indexes': [Index(fields=['contact_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='OrganizationFeatures',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='features', on_delete=OnDelete.CASCADE)),
                ('skills', fields.BooleanField(default=False)),
                ('membership_cards', fields.BooleanField(default=False)),
            ],
            options={'table': 'organization_features', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The optional parts of client accounts an organization uses (no row: all off).'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='AccountFormShare', constraint=UniqueConstraint(fields=('form_id', 'group_id'), name='account_form_group')),
        ops.AddConstraint(model_name='AccountFormShare', constraint=UniqueConstraint(fields=('form_id', 'account_contact_id'), name='account_form_contact')),
        ops.AddConstraint(model_name='AccountFormVersion', constraint=UniqueConstraint(fields=('form_id', 'number'), name='account_form_version_number')),
        ops.AddConstraint(model_name='AccountFormResponse', constraint=UniqueConstraint(fields=('version_id',), name='account_form_response_version')),
        ops.AddConstraint(model_name='AccountRequestShare', constraint=UniqueConstraint(fields=('request_id', 'group_id'), name='account_request_group')),
        ops.AddConstraint(model_name='AccountRequestShare', constraint=UniqueConstraint(fields=('request_id', 'account_contact_id'), name='account_request_contact')),
        ops.AddConstraint(model_name='AccountTableShare', constraint=UniqueConstraint(fields=('table_id', 'group_id'), name='account_table_group')),
        ops.AddConstraint(model_name='AccountTableShare', constraint=UniqueConstraint(fields=('table_id', 'account_contact_id'), name='account_table_contact')),
        ops.AddConstraint(model_name='MembershipCard', constraint=UniqueConstraint(fields=('organization_id', 'number'), name='membership_card_number')),
    ]
