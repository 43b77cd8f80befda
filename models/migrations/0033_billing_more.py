"""Subscription lifecycle, family covers and charged bookings (issue 14): renewal periods,
once per subscription and start; a subscription's due invoice and date, cancel at period
end, payment source, end date; family subscriptions (the account covered) and members
taken off a family pass or subscription one by one; the purchase that charged a booking."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0031_fanout')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FamilyCoverCancellation',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='family_cover_cancellations', on_delete=OnDelete.CASCADE)),
                ('purchase', fields.ForeignKeyField('models.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='member_cancellations', on_delete=OnDelete.CASCADE)),
                ('subscription', fields.ForeignKeyField('models.Subscription', source_field='subscription_id', null=True, db_constraint=True, to_field='id', related_name='member_cancellations', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.AccountContact', source_field='member_id', db_constraint=True, to_field='id', related_name='family_cancellations', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='family_cancellations_made', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'family_cover_cancellation', 'app': 'models', 'indexes': [Index(fields=['member_id'])], 'pk_attr': 'id', 'table_description': 'One member taken off a family pass (a FAMILY purchase) or a family subscription,'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='SubscriptionPeriod',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('models.Subscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='periods', on_delete=OnDelete.CASCADE)),
                ('period_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('period_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('unit_amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='subscription_periods', on_delete=OnDelete.NO_ACTION)),
                ('charge_state', fields.CharField(default='', max_length=10)),
            ],
            options={'table': 'subscription_period', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One renewed period of a subscription, at most once per subscription and start (the'},
            bases=['TimestampedModel'],
        ),
        ops.AddField(
            model_name='Booking',
            name='purchase',
            field=fields.ForeignKeyField('models.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Subscription',
            name='account',
            field=fields.ForeignKeyField('models.ClientAccount', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Subscription',
            name='cancel_at_period_end',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Subscription',
            name='covers_account',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Subscription',
            name='due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Subscription',
            name='due_invoice',
            field=fields.ForeignKeyField('models.Invoice', source_field='due_invoice_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions_due', on_delete=OnDelete.NO_ACTION),
        ),
        ops.AddField(
            model_name='Subscription',
            name='ended_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Subscription',
            name='payment_source',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['status', 'current_period_end']),
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['status', 'due_at']),
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['account_id', 'covers_account']),
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='FamilyCoverCancellation', constraint=UniqueConstraint(fields=('purchase_id', 'member_id'), name='family_cancel_purchase')),
        ops.AddConstraint(model_name='FamilyCoverCancellation', constraint=UniqueConstraint(fields=('subscription_id', 'member_id'), name='family_cancel_subscription')),
        ops.AddConstraint(model_name='SubscriptionPeriod', constraint=UniqueConstraint(fields=('subscription_id', 'period_start'), name='subscription_period_start')),
    ]
