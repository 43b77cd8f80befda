"""The contacts list's default order, served by an index: live contacts by name.

`contact (organization_id, archived_at, sort_name, id)` cannot give the name order for
`archived_at IS NULL`: PostgreSQL treats IS NULL as a filter, not an equality, so at a
million contacts the first page sorted every live contact (about a second). This partial
index holds exactly the live contacts in list order: the first page and any page after a
cursor (a row comparison, see resolvers/common/pagination.py) read 51 index entries.
Searches are kept off it (resolvers/contacts/search.py sorts them by an expression), since
walking the name order while filtering on a late-sorting surname reads most of it.

Production: built without CONCURRENTLY (migrations run in a transaction); on a big live
table, build it by hand first with `CREATE INDEX CONCURRENTLY IF NOT EXISTS ...` and this
migration skips it.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "contact_live_name"


async def _run(schema_editor, sql: str) -> None:
    if schema_editor.collect_sql:
        schema_editor.collected_sql.append(sql)
    else:
        await schema_editor.client.execute_script(sql)


async def create_index(apps, schema_editor) -> None:
    await _run(
        schema_editor,
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "contact" '
        '("organization_id", "sort_name", "id") WHERE "archived_at" IS NULL',
    )


async def drop_index(apps, schema_editor) -> None:
    await _run(schema_editor, f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("models", "0009_custom_field_answer_search_text")]

    initial = False

    operations = [ops.RunPython(create_index, reverse_code=drop_index)]
