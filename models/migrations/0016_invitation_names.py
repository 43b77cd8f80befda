"""An invitation keeps the name the inviter typed, so that a takeover of an address someone
registered first (unproven) gives the login that name instead of the registrant's.

Numbered 0014 on its branch; the integrator renumbers it when merging.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0015_sign_in_attempts")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Invitation",
            name="first_name",
            field=fields.CharField(default="", db_default="", max_length=100),
        ),
        ops.AddField(
            model_name="Invitation",
            name="last_name",
            field=fields.CharField(default="", db_default="", max_length=100),
        ),
    ]
