"""Failed sign-ins and lockouts, kept per user for `mySignInAttempts` (purged after
CARNET_SIGN_IN_ATTEMPT_RETENTION_DAYS)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.identity import SignInOutcome, SignInStep

class Migration(migrations.Migration):
    dependencies = [('models', '0014_export_link_used')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sign_in_attempts', on_delete=OnDelete.CASCADE)),
                ('outcome', fields.CharEnumField(description='WRONG_PASSWORD: WRONG_PASSWORD\nLOCKED_OUT: LOCKED_OUT', enum_type=SignInOutcome, max_length=16)),
                ('step', fields.CharEnumField(description='SIGN_IN: SIGN_IN\nPASSWORD_CONFIRMATION: PASSWORD_CONFIRMATION', enum_type=SignInStep, max_length=24)),
                ('ip_address', fields.CharField(default='', max_length=64)),
                ('device', fields.CharField(default='', max_length=255)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sign_in_attempt', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['created_at'])], 'pk_attr': 'id', 'table_description': "A failed sign-in to a user's account, or a client locked out of it: the history"},
            bases=['Model'],
        ),
    ]
