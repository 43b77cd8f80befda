"""Plans, subscriptions, the catalogue (items, prices, slots), group booking quotas, bookings and purchases."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.catalogue import HoldingStatus, ItemKind, PassKind, PriceInterval, QuotaPeriod, SubscriptionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0028_ledger')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CatalogueItem',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='catalogue_items', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='ACTIVITY: ACTIVITY\nMERCHANDISE: MERCHANDISE\nPASS: PASS\nMEMBERSHIP: MEMBERSHIP', enum_type=ItemKind, max_length=12)),
                ('pass_kind', fields.CharEnumField(null=True, description='SINGLE: SINGLE\nFAMILY: FAMILY', enum_type=PassKind, max_length=8)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalogue_item', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'kind', 'name'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CatalogueSlot',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.CatalogueItem', source_field='item_id', db_constraint=True, to_field='id', related_name='slots', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
            ],
            options={'table': 'catalogue_slot', 'app': 'models', 'indexes': [Index(fields=['item_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': 'A bookable time of an ACTIVITY (a court, a class), for at most `capacity` bookings.'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slot', fields.ForeignKeyField('models.CatalogueSlot', source_field='slot_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.AccountContact', source_field='member_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=HoldingStatus.ACTIVE, description='ACTIVE: ACTIVE\nCANCELED: CANCELED', enum_type=HoldingStatus, max_length=8)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='bookings_made', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'booking', 'app': 'models', 'indexes': [Index(fields=['slot_id', 'status']), Index(fields=['contact_id', 'status', 'starts_at']), Index(fields=['member_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='GroupBookingQuota',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='booking_quotas', on_delete=OnDelete.CASCADE)),
                ('period', fields.CharEnumField(description='WEEK: WEEK\nMONTH: MONTH', enum_type=QuotaPeriod, max_length=8)),
                ('max_bookings', fields.IntField()),
            ],
            options={'table': 'group_booking_quota', 'app': 'models', 'pk_attr': 'id', 'table_description': 'At most `max_bookings` ACTIVE bookings per period for each member of the group.'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Plan',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('currency', fields.CharField(max_length=3)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'plan', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'name'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CatalogueItemPrice',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.CatalogueItem', source_field='item_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', null=True, db_constraint=True, to_field='id', related_name='item_prices', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='item_prices', on_delete=OnDelete.CASCADE)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'catalogue_item_price', 'app': 'models', 'indexes': [Index(fields=['group_id']), Index(fields=['plan_id'])], 'pk_attr': 'id', 'table_description': "An item's price for the subscribers of one plan, or for the members of one group"},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='PlanGroupPrice',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='group_prices', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='plan_prices', on_delete=OnDelete.CASCADE)),
                ('interval', fields.CharEnumField(description='ONE_OFF: ONE_OFF\nMONTHLY: MONTHLY\nANNUAL: ANNUAL', enum_type=PriceInterval, max_length=8)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'plan_group_price', 'app': 'models', 'indexes': [Index(fields=['group_id'])], 'pk_attr': 'id', 'table_description': "A group's price for a plan and interval (deleting the group deletes its prices)."},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='PlanPrice',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('interval', fields.CharEnumField(description='ONE_OFF: ONE_OFF\nMONTHLY: MONTHLY\nANNUAL: ANNUAL', enum_type=PriceInterval, max_length=8)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'plan_price', 'app': 'models', 'pk_attr': 'id', 'table_description': "The plan's base price for one interval: what a contact pays when no group of theirs"},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Purchase',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.AccountContact', source_field='member_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.CatalogueItem', source_field='item_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('covers_account', fields.BooleanField(default=False)),
                ('quantity', fields.IntField(default=1)),
                ('unit_amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharEnumField(default=HoldingStatus.ACTIVE, description='ACTIVE: ACTIVE\nCANCELED: CANCELED', enum_type=HoldingStatus, max_length=8)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='purchases_made', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'purchase', 'app': 'models', 'indexes': [Index(fields=['member_id']), Index(fields=['account_id', 'covers_account']), Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': 'What a member bought, at the unit price actually charged. A FAMILY pass covers'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.AccountContact', source_field='member_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('interval', fields.CharEnumField(description='ONE_OFF: ONE_OFF\nMONTHLY: MONTHLY\nANNUAL: ANNUAL', enum_type=PriceInterval, max_length=8)),
                ('status', fields.CharEnumField(description='TRIAL: TRIAL\nACTIVE: ACTIVE\nPAST_DUE: PAST_DUE\nCANCELED: CANCELED\nEXPIRED: EXPIRED', enum_type=SubscriptionStatus, max_length=8)),
                ('current_period_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('current_period_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('unit_amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'subscription', 'app': 'models', 'indexes': [Index(fields=['contact_id', 'status']), Index(fields=['member_id']), Index(fields=['organization_id', 'id'])], 'pk_attr': 'id', 'table_description': "One account member's subscription to a plan. `contact` is the member's contact,"},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='GroupBookingQuota', constraint=UniqueConstraint(fields=('group_id', 'period'), name='group_booking_quota_unique')),
        ops.AddConstraint(model_name='CatalogueItemPrice', constraint=UniqueConstraint(fields=('item_id', 'plan_id'), name='catalogue_item_plan_price')),
        ops.AddConstraint(model_name='CatalogueItemPrice', constraint=UniqueConstraint(fields=('item_id', 'group_id'), name='catalogue_item_group_price')),
        ops.AddConstraint(model_name='PlanGroupPrice', constraint=UniqueConstraint(fields=('plan_id', 'group_id', 'interval'), name='plan_group_price_unique')),
        ops.AddConstraint(model_name='PlanPrice', constraint=UniqueConstraint(fields=('plan_id', 'interval'), name='plan_price_interval')),
    ]
