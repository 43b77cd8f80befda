"""Team billing (issue 16): billing accounts with their cycle and stored payment method,
teams on them, charges keyed per period and seat, their seat items, and the seat's
`billing_access_ends_at` (access lost after a failed charge's grace period)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.team_billing import BillingInterval, TeamChargeKind, TeamChargeStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0033_billing_more')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TeamBillingAccount',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='team_billing_accounts', on_delete=OnDelete.CASCADE)),
                ('account', fields.OneToOneField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='team_billing', on_delete=OnDelete.RESTRICT)),
                ('interval', fields.CharEnumField(description='MONTHLY: MONTHLY\nANNUAL: ANNUAL', enum_type=BillingInterval, max_length=8)),
                ('anchor_date', fields.DateField()),
                ('payment_method', fields.CharField(default='', max_length=200)),
                ('past_due_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('access_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'team_billing_account', 'app': 'models', 'indexes': [Index(fields=['organization_id'])], 'pk_attr': 'id', 'table_description': 'What one bill covers: one team, or several grouped by staff (billing.write).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='TeamBilling',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team', fields.OneToOneField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='billing', on_delete=OnDelete.CASCADE)),
                ('billing_account', fields.ForeignKeyField('models.TeamBillingAccount', source_field='billing_account_id', db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'team_billing', 'app': 'models', 'indexes': [Index(fields=['billing_account_id'])], 'pk_attr': 'id', 'table_description': "A team's place in a billing account."},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='TeamCharge',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('billing_account', fields.ForeignKeyField('models.TeamBillingAccount', source_field='billing_account_id', db_constraint=True, to_field='id', related_name='charges', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='RENEWAL: RENEWAL\nPRORATION: PRORATION', enum_type=TeamChargeKind, max_length=10)),
                ('key', fields.CharField(max_length=100)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='team_charges', on_delete=OnDelete.NO_ACTION)),
                ('amount', fields.BigIntField(default=0)),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(default=TeamChargeStatus.PENDING, description='PENDING: PENDING\nPAID: PAID\nFAILED: FAILED', enum_type=TeamChargeStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=200)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'team_billing_charge', 'app': 'models', 'indexes': [Index(fields=['billing_account_id', 'period_start']), Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='TeamChargeItem',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('charge', fields.ForeignKeyField('models.TeamCharge', source_field='charge_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='charge_items', on_delete=OnDelete.NO_ACTION)),
                ('seat', fields.ForeignKeyField('models.Seat', source_field='seat_id', db_constraint=True, to_field='id', related_name='charge_items', on_delete=OnDelete.NO_ACTION)),
                ('seat_type', fields.CharField(max_length=16)),
                ('period_start', fields.DateField()),
                ('amount', fields.BigIntField()),
                ('line', fields.ForeignKeyField('models.InvoiceLine', source_field='line_id', null=True, db_constraint=True, to_field='id', related_name='team_items', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'team_billing_item', 'app': 'models', 'indexes': [Index(fields=['seat_id', 'period_start']), Index(fields=['charge_id'])], 'pk_attr': 'id', 'table_description': "One seat on a charge: the invoice's line, and the team's section it belongs to."},
            bases=['TimestampedModel'],
        ),
        ops.AddField(
            model_name='Seat',
            name='billing_access_ends_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='TeamCharge', constraint=UniqueConstraint(fields=('billing_account_id', 'key'), name='team_charge_key')),
    ]
