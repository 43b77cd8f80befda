"""One delivery per outbox row, said by a unique constraint (it replaces the plain index on
message_delivery.outbox_message_id): a send job looks its chunk's deliveries up by outbox
id, and PostgreSQL's planner, knowing each id matches one row, keeps that to index lookups
even on a table filled since its last ANALYZE (issue 12, fan-out speed)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0035_privacy')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Delivery',
            name=None,
            fields=['outbox_message_id'],
        ),
        ops.AddConstraint(
            model_name='Delivery',
            constraint=UniqueConstraint(fields=('outbox_message_id',), name='delivery_outbox_message'),
        ),
    ]
