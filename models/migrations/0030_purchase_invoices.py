"""Purchases and subscriptions link to the invoice that charged them, a membership
purchase to the card it made; items say their membership period and RL-24 eligibility
(issue 14)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0029_catalogue')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Purchase',
            name='invoice',
            field=fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.NO_ACTION),
        ),
        ops.AddField(
            model_name='Subscription',
            name='invoice',
            field=fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.NO_ACTION),
        ),
        ops.AddField(
            model_name='Purchase',
            name='card',
            field=fields.ForeignKeyField('models.MembershipCard', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='CatalogueItem',
            name='membership_months',
            field=fields.IntField(default=12),
        ),
        ops.AddField(
            model_name='CatalogueItem',
            name='rl24_eligible',
            field=fields.BooleanField(default=False),
        ),
    ]
