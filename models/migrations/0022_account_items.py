from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0021_teams')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessGroup',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='access_groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
            ],
            options={'table': 'account_access_group', 'app': 'models', 'pk_attr': 'id', 'table_description': "A named group of one account's contacts (seed 004): items are assigned to it."},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccessGroupMember',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.AccessGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('account_contact', fields.ForeignKeyField('models.AccountContact', source_field='account_contact_id', db_constraint=True, to_field='id', related_name='access_groups', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_access_group_member', 'app': 'models', 'indexes': [Index(fields=['account_contact_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountDocument',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=50)),
                ('size', fields.BigIntField()),
                ('storage_key', fields.CharField(max_length=200)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name='account_documents', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'account_document', 'app': 'models', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A file of the account, kept in storage under `storage_key` (never in the row).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='AccountDocumentShare',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('models.AccountDocument', source_field='document_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.AccessGroup', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='document_shares', on_delete=OnDelete.CASCADE)),
                ('account_contact', fields.ForeignKeyField('models.AccountContact', source_field='account_contact_id', null=True, db_constraint=True, to_field='id', related_name='document_shares', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'account_document_share', 'app': 'models', 'indexes': [Index(fields=['group_id']), Index(fields=['account_contact_id'])], 'pk_attr': 'id', 'table_description': 'A document assigned to an access group or to one account contact (exactly one).'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='AccessGroup', constraint=UniqueConstraint(fields=('account_id', 'name'), name='account_access_group_name')),
        ops.AddConstraint(model_name='AccessGroupMember', constraint=UniqueConstraint(fields=('group_id', 'account_contact_id'), name='account_access_group_member_unique')),
        ops.AddConstraint(model_name='AccountDocumentShare', constraint=UniqueConstraint(fields=('document_id', 'group_id'), name='account_document_group')),
        ops.AddConstraint(model_name='AccountDocumentShare', constraint=UniqueConstraint(fields=('document_id', 'account_contact_id'), name='account_document_contact')),
    ]
