"""Client accounts: households naming their one primary contact, their account contacts
(each contact at most once per account), and the scope of custom-field questions."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import AccessLevel, AccountContactKind
from models.custom_fields import CustomFieldScope
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0019_bulk_operations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClientAccount',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='client_accounts', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('primary_contact', fields.ForeignKeyField('models.Contact', source_field='primary_contact_id', db_constraint=True, to_field='id', related_name='primary_of_accounts', on_delete=OnDelete.RESTRICT)),
                ('sort_name', fields.CharField(default='', max_length=200)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='client_accounts_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'client_account', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'sort_name', 'id']), Index(fields=['primary_contact_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountContact',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='account_contacts', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='account_links', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='MEMBER: MEMBER\nOTHER: OTHER', enum_type=AccountContactKind, max_length=8)),
                ('access_level', fields.CharEnumField(default=AccessLevel.NONE, description='FULL: FULL\nASSIGNED: ASSIGNED\nNONE: NONE', enum_type=AccessLevel, max_length=8)),
                ('relationship', fields.CharField(default='', max_length=100)),
                ('invitation', fields.ForeignKeyField('models.Invitation', source_field='invitation_id', null=True, db_constraint=True, to_field='id', related_name='account_contacts', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_contact', 'app': 'models', 'indexes': [Index(fields=['contact_id'])], 'pk_attr': 'id', 'table_description': 'One contact of one account: a contact may be in several accounts.'},
            bases=['TimestampedModel'],
        ),
        ops.AddField(
            model_name='CustomField',
            name='scope',
            field=fields.CharEnumField(default=CustomFieldScope.CONTACT, description='CONTACT: CONTACT\nACCOUNT: ACCOUNT\nMEMBER: MEMBER', db_default='CONTACT', enum_type=CustomFieldScope, max_length=8),
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='AccountContact', constraint=UniqueConstraint(fields=('account_id', 'contact_id'), name='account_contact_unique')),
    ]
