from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.transfers import OnExisting
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_contact_transfers_and_duplicates')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ContactImport',
            name='on_existing',
            field=fields.CharEnumField(default=OnExisting.FILL_BLANKS, description='FILL_BLANKS: FILL_BLANKS\nOVERWRITE: OVERWRITE\nSKIP: SKIP', enum_type=OnExisting, max_length=12),
        ),
        ops.AddField(
            model_name='ContactImport',
            name='skipped_count',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ContactImportRowError',
            name='params',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
