from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0038_fanout_speed')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['finished_at']),
        ),
    ]
