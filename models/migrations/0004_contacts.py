from tortoise import migrations
from tortoise.migrations import operations as ops
from models.contacts import ConsentChannel, ConsentStatus, ContactKind, ContactSource
from models.identity import Locale
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0003_staff_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Colour',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='colours', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=50)),
                ('hex', fields.CharField(max_length=7)),
            ],
            options={'table': 'colour', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(default=ContactKind.PERSON, description='PERSON: PERSON\nORGANIZATION: ORGANIZATION', enum_type=ContactKind, max_length=12)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('organization_name', fields.CharField(default='', max_length=200)),
                ('sort_name', fields.CharField(default='', max_length=300)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('birth_date', fields.DateField(null=True)),
                ('locale', fields.CharEnumField(default=Locale.EN, description='EN: en\nFR: fr', enum_type=Locale, max_length=2)),
                ('address_line1', fields.CharField(default='', max_length=200)),
                ('address_line2', fields.CharField(default='', max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('region', fields.CharField(default='', max_length=100)),
                ('postal_code', fields.CharField(default='', max_length=20)),
                ('country', fields.CharField(default='', max_length=2)),
                ('colour', fields.ForeignKeyField('models.Colour', source_field='colour_id', null=True, db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.SET_NULL)),
                ('notes', fields.TextField(default='', unique=False)),
                ('source', fields.CharEnumField(default=ContactSource.STAFF_ENTRY, description='STAFF_ENTRY: STAFF_ENTRY\nIMPORT: IMPORT\nREGISTRATION: REGISTRATION\nPURCHASE: PURCHASE\nTEAM: TEAM\nSTAFF_MEMBERSHIP: STAFF_MEMBERSHIP\nINVITATION: INVITATION', enum_type=ContactSource, max_length=20)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.SET_NULL)),
                ('last_activity_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('do_not_contact', fields.BooleanField(default=False)),
                ('email_consent', fields.CharEnumField(default=ConsentStatus.NOT_ASKED, description='NOT_ASKED: NOT_ASKED\nEXPRESS: EXPRESS\nIMPLIED: IMPLIED\nWITHDRAWN: WITHDRAWN', enum_type=ConsentStatus, max_length=10)),
                ('email_consent_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sms_consent', fields.CharEnumField(default=ConsentStatus.NOT_ASKED, description='NOT_ASKED: NOT_ASKED\nEXPRESS: EXPRESS\nIMPLIED: IMPLIED\nWITHDRAWN: WITHDRAWN', enum_type=ConsentStatus, max_length=10)),
                ('sms_consent_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contact', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'archived_at', 'sort_name', 'id']), Index(fields=['organization_id', 'email']), Index(fields=['organization_id', 'phone']), Index(fields=['organization_id', 'created_at']), Index(fields=['organization_id', 'last_activity_at']), Index(fields=['organization_id', 'user_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Affiliation',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Contact', source_field='person_id', db_constraint=True, to_field='id', related_name='affiliations', on_delete=OnDelete.CASCADE)),
                ('organization_contact', fields.ForeignKeyField('models.Contact', source_field='organization_contact_id', db_constraint=True, to_field='id', related_name='affiliated_people', on_delete=OnDelete.CASCADE)),
                ('role_title', fields.CharField(default='', max_length=100)),
            ],
            options={'table': 'affiliation', 'app': 'models', 'indexes': [Index(fields=['organization_contact_id'])], 'pk_attr': 'id', 'table_description': 'A person belongs to an organization contact with a role title (coach, principal…).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='consent_records', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=ConsentChannel, max_length=5)),
                ('status', fields.CharEnumField(description='NOT_ASKED: NOT_ASKED\nEXPRESS: EXPRESS\nIMPLIED: IMPLIED\nWITHDRAWN: WITHDRAWN', enum_type=ConsentStatus, max_length=10)),
                ('source', fields.CharField(max_length=64)),
                ('proof', fields.TextField(default='', unique=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recorded_by', fields.ForeignKeyField('models.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='consent_records', on_delete=OnDelete.SET_NULL)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'consent_record', 'app': 'models', 'indexes': [Index(fields=['contact_id', 'channel', 'recorded_at'])], 'pk_attr': 'id', 'table_description': 'One change of consent for one channel: the history, with its source and proof.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Group',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='contact_groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'contact_group', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='group_memberships', on_delete=OnDelete.CASCADE)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact_group_member', 'app': 'models', 'indexes': [Index(fields=['contact_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='Colour', constraint=UniqueConstraint(fields=('organization_id', 'name'), name='colour_name')),
        ops.AddConstraint(model_name='Affiliation', constraint=UniqueConstraint(fields=('person_id', 'organization_contact_id'), name='affiliation_unique')),
        ops.AddConstraint(model_name='Group', constraint=UniqueConstraint(fields=('organization_id', 'name'), name='group_name')),
        ops.AddConstraint(model_name='GroupMember', constraint=UniqueConstraint(fields=('group_id', 'contact_id'), name='group_member_unique')),
    ]
