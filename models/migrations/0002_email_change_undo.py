from tortoise import migrations
from tortoise.migrations import operations as ops
from models.identity import TokenPurpose
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OneTimeToken',
            name='purpose',
            field=fields.CharEnumField(description='EMAIL_VERIFICATION: EMAIL_VERIFICATION\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGE: EMAIL_CHANGE\nINVITATION: INVITATION\nEMAIL_CHANGE_UNDO: EMAIL_CHANGE_UNDO', enum_type=TokenPurpose, max_length=32),
        ),
    ]
