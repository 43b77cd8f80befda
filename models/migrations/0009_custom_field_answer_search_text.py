"""Text answers get a folded copy (no accents, no case) that the `contains` filter compares.

Existing text answers are backfilled here, in batches, with the same folding the
application uses (lower case, accents stripped, spaces collapsed).
"""

import json
import unicodedata

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

BATCH = 1000


def _fold(text: str) -> str:
    # A frozen copy of resolvers.contacts.records.fold: migrations must not import the app.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


async def backfill(apps, schema_editor) -> None:
    if schema_editor.collect_sql:
        return
    client = schema_editor.client
    slot = "$1" if client.capabilities.dialect == "postgres" else "?"
    other = "$2" if slot == "$1" else "?"
    last = 0
    while True:
        _, rows = await client.execute_query(
            "SELECT a.id, a.content FROM custom_field_answer a "
            "JOIN custom_field f ON f.id = a.field_id "
            f"WHERE f.type = 'TEXT' AND a.id > {int(last)} ORDER BY a.id LIMIT {BATCH}"
        )
        if not rows:
            break
        updates = []
        for row in rows:
            content = row["content"]
            if isinstance(content, str | bytes):
                content = json.loads(content)
            value = content.get("value") if isinstance(content, dict) else None
            if isinstance(value, str):
                updates.append([_fold(value), row["id"]])
        if updates:
            await client.execute_many(
                f"UPDATE custom_field_answer SET search_text = {slot} WHERE id = {other}", updates
            )
        last = rows[-1]["id"]


async def nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [("models", "0008_contact_import_options")]

    initial = False

    operations = [
        ops.AddField(
            model_name="CustomFieldAnswer",
            name="search_text",
            field=fields.TextField(default="", unique=False),
        ),
        ops.RunPython(backfill, nothing),
    ]
