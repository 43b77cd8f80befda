"""Teams and seats: one seat per user and organization (at most one paying team, a
single column), teams with exactly one owner, and their members."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.teams import PaidBy, SeatPayment, SeatStatus, SeatType, TeamMemberStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0020_client_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Team',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='teams_owned', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'team', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'name']), Index(fields=['owner_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Seat',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.CASCADE)),
                ('seat_type', fields.CharEnumField(description='UNLIMITED: UNLIMITED\nESSENTIALS: ESSENTIALS\nSUPPORT: SUPPORT', enum_type=SeatType, max_length=16)),
                ('status', fields.CharEnumField(description='TRIAL: TRIAL\nACTIVE: ACTIVE\nCANCELED: CANCELED', enum_type=SeatStatus, max_length=16)),
                ('trial_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('trial_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_by', fields.CharEnumField(default=PaidBy.SELF, description='SELF: SELF\nTEAM: TEAM', enum_type=PaidBy, max_length=8)),
                ('paying_team', fields.ForeignKeyField('models.Team', source_field='paying_team_id', null=True, db_constraint=True, to_field='id', related_name='paid_seats', on_delete=OnDelete.RESTRICT)),
                ('team_pays_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('access_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'seat', 'app': 'models', 'indexes': [Index(fields=['paying_team_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='TeamMember',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='team_memberships', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='INVITED: INVITED\nACTIVE: ACTIVE', enum_type=TeamMemberStatus, max_length=8)),
                ('seat_type', fields.CharEnumField(null=True, description='UNLIMITED: UNLIMITED\nESSENTIALS: ESSENTIALS\nSUPPORT: SUPPORT', enum_type=SeatType, max_length=16)),
                ('payment', fields.CharEnumField(null=True, description='PAY_NOW: PAY_NOW\nPAY_AFTER_TRIAL: PAY_AFTER_TRIAL\nMEMBER_PAYS: MEMBER_PAYS', enum_type=SeatPayment, max_length=16)),
                ('invitation', fields.ForeignKeyField('models.Invitation', source_field='invitation_id', null=True, db_constraint=True, to_field='id', related_name='team_members', on_delete=OnDelete.SET_NULL)),
                ('invited_by', fields.ForeignKeyField('models.User', source_field='invited_by_id', null=True, db_constraint=True, to_field='id', related_name='team_invitations_sent', on_delete=OnDelete.SET_NULL)),
                ('joined_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'team_member', 'app': 'models', 'indexes': [Index(fields=['user_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A user in a team (its owner too), invited until they accept.'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='Seat', constraint=CheckConstraint(check="(paid_by = 'TEAM' AND paying_team_id IS NOT NULL) OR (paid_by = 'SELF' AND paying_team_id IS NULL)", name='seat_team_pays_with_a_team')),
        ops.AddConstraint(model_name='Seat', constraint=CheckConstraint(check="status <> 'TRIAL' OR trial_ends_at IS NOT NULL", name='seat_trial_has_an_end')),
        ops.AddConstraint(model_name='Seat', constraint=CheckConstraint(check="status <> 'CANCELED' OR canceled_at IS NOT NULL", name='seat_canceled_has_a_date')),
        # After the checks: SQLite adds a check by rebuilding the table, unique indexes lost.
        ops.AddConstraint(model_name='Seat', constraint=UniqueConstraint(fields=('organization_id', 'user_id'), name='seat_one_per_user')),
        ops.AddConstraint(model_name='TeamMember', constraint=UniqueConstraint(fields=('team_id', 'user_id'), name='team_member_unique')),
    ]
