from tortoise import migrations
from tortoise.migrations import operations as ops
from models.staff import InvitationKind, InvitationState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_email_change_undo')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='STAFF: STAFF\nTEAM: TEAM\nACCOUNT: ACCOUNT', enum_type=InvitationKind, max_length=8)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('membership', fields.ForeignKeyField('models.StaffMembership', source_field='membership_id', null=True, db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.SET_NULL)),
                ('invited_by', fields.ForeignKeyField('models.User', source_field='invited_by_id', null=True, db_constraint=True, to_field='id', related_name='invitations_sent', on_delete=OnDelete.SET_NULL)),
                ('token', fields.ForeignKeyField('models.OneTimeToken', source_field='token_id', null=True, db_constraint=True, to_field='id', related_name='invitation', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharEnumField(default=InvitationState.PENDING, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nEXPIRED: EXPIRED\nREVOKED: REVOKED', enum_type=InvitationState, max_length=8)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('send_requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('send_count', fields.IntField(default=0)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invitation', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'kind', 'state', 'created_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
    ]
